/**
 * Bytes and characters: UTF-8 without allocation on the hot path, and GPT-2's printable stand-in
 * for each byte (the alphabet that encoder.json, vocab.bpe and Hugging Face's tokenizer.json use).
 */

/**
 * UTF-8 of `text[start, end)` written into `out` (which must hold 3 bytes per code unit). Lone
 * surrogates become U+FFFD's bytes (EF BF BD), as TextEncoder and tiktoken do. Returns the length.
 * Example: "é" → [0xc3, 0xa9]; "😀" (a surrogate pair) → [0xf0, 0x9f, 0x98, 0x80].
 */
export function utf8Into(text: string, start: number, end: number, out: Int32Array | Uint8Array): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[n++] = 0xf0 | (c >> 18);
        out[n++] = 0x80 | ((c >> 12) & 63);
        out[n++] = 0x80 | ((c >> 6) & 63);
        out[n++] = 0x80 | (c & 63);
      } else {
        out[n++] = 0xef;
        out[n++] = 0xbf;
        out[n++] = 0xbd;
      }
    } else {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}

/** UTF-8 bytes of a whole string. */
export function utf8Bytes(text: string): Uint8Array {
  const buf = new Uint8Array(text.length * 3);
  return buf.slice(0, utf8Into(text, 0, text.length, buf));
}

let byteChars: string[] | undefined;
let charBytes: Map<string, number> | undefined;

/**
 * GPT-2's `bytes_to_unicode`: printable Latin-1 bytes stand for themselves, the other 68 bytes
 * map to U+0100 upwards, so every byte has a visible one-character name (space → "Ġ", "\n" → "Ċ").
 */
export function byteToChar(): readonly string[] {
  if (!byteChars) {
    const chars: string[] = new Array(256);
    let next = 256;
    for (let b = 0; b < 256; b++) {
      const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      chars[b] = String.fromCharCode(printable ? b : next++);
    }
    byteChars = chars;
  }
  return byteChars;
}

/** The inverse of `byteToChar`. */
export function charToByte(): ReadonlyMap<string, number> {
  if (!charBytes) charBytes = new Map(byteToChar().map((c, b) => [c, b]));
  return charBytes;
}

/** Bytes → GPT-2's printable form, e.g. [0x20, 0x74] → "Ġt". */
export function bytesToPrintable(bytes: ArrayLike<number>): string {
  const chars = byteToChar();
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += chars[bytes[i]!];
  return s;
}

/** GPT-2's printable form → bytes; undefined when a character is not one of the 256 stand-ins. */
export function printableToBytes(s: string): Uint8Array | undefined {
  const map = charToByte();
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = map.get(s[i]!);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

/** A byte string as a Map key: one char per byte (Latin-1). */
export function bytesKey(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Human-readable name of a code point for error messages, e.g. 'é' (U+00E9). */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `${JSON.stringify(ch)} (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}
