/**
 * Token ids in, text out, piece by piece: a character cut between tokens (UTF-8 bytes of one code
 * point spread over two BPE tokens) is held back until it is complete, and so is any ending that
 * could be the start of a stop string, so text that is shown never has to be taken back.
 */
import type { Tokenizer } from '../tokenizer/types.js';

/** What TextStream gives for one id: new text, and whether a stop string ended the stream. */
export interface StreamPiece {
  /** New text, safe to show. */
  text: string;
  /** A stop string was found: `text` ends just before it, and nothing more comes. */
  stopped: boolean;
}

/**
 * Turns generated ids into text that is safe to show: whole UTF-8 characters only, and text that could
 * begin a stop string is held until settled.
 */
export class TextStream {
  private readonly dec;
  private held = '';
  private done = false;

  constructor(
    tok: Tokenizer,
    private readonly stop: readonly string[] = [],
  ) {
    this.dec = tok.streamDecoder();
  }

  /** Whether a stop string was found (nothing more comes). */
  get stopped(): boolean {
    return this.done;
  }

  /** The text that token `id` completes. */
  push(id: number): StreamPiece {
    if (this.done) return { text: '', stopped: true };
    return this.scan(this.held + this.dec.push(id), false);
  }

  /** The end of the text: whatever was held back (an incomplete character becomes U+FFFD). */
  flush(): StreamPiece {
    if (this.done) return { text: '', stopped: true };
    return this.scan(this.held + this.dec.flush(), true);
  }

  private scan(s: string, final: boolean): StreamPiece {
    let at = -1;
    for (const st of this.stop) {
      const i = st ? s.indexOf(st) : -1;
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at >= 0) {
      this.done = true;
      this.held = '';
      return { text: s.slice(0, at), stopped: true };
    }
    if (final) {
      this.held = '';
      return { text: s, stopped: false };
    }
    // hold back the longest ending of s that begins some stop string
    let keep = 0;
    for (const st of this.stop) {
      for (let n = Math.min(st.length - 1, s.length); n > keep; n--) {
        if (s.endsWith(st.slice(0, n))) {
          keep = n;
          break;
        }
      }
    }
    this.held = s.slice(s.length - keep);
    return { text: s.slice(0, s.length - keep), stopped: false };
  }
}
