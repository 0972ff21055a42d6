/**
 * The logit lens (nostalgebraist, 2020): read the residual stream after the embedding and after
 * every block through the model's own final norm and LM head, and see which next token it already
 * points at. The last layer's reading is the model's output.
 */
import type { GPT } from '../model/gpt.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { softmax, topK, traceForward, unembedRows } from './trace.js';
import { encodePrompt, tokenText } from './vocab.js';

/** The logit lens at one layer: what the model would predict if it stopped there. */
export interface LensLayer {
  /** 0: the embedding; l: after block l (1-based, so the last is nLayer). */
  layer: number;
  name: string;
  /** The most likely next token read here, and its probability. */
  token: string;
  id: number;
  prob: number;
  /** The next few, most likely first. */
  top: { token: string; id: number; prob: number }[];
}

/** `scratchlm lens --json` prints exactly this. */
export interface LensResult {
  prompt: string;
  promptTokens: number;
  layers: LensLayer[];
  notes: string[];
}

/** The logit lens at the prompt's last position: one reading per layer. */
export function logitLens(model: GPT, tok: Tokenizer, prompt: string, opts: { top?: number } = {}): LensResult {
  const { blockSize, nLayer, nEmbd: C, vocabSize: V } = model.config;
  const p = encodePrompt(tok, prompt, blockSize);
  model.train(null);
  const tr = traceForward(model, p.ids, { residuals: true, logits: 'none' });
  const T = tr.T;
  // the last position's row of each layer, unembedded together
  const rows = new Float32Array((nLayer + 1) * C);
  tr.residuals.forEach((r, l) => rows.set(r.subarray((T - 1) * C, T * C), l * C));
  const logits = unembedRows(model, rows, nLayer + 1);
  const k = Math.min(opts.top ?? 5, V);
  const layers: LensLayer[] = [];
  for (let l = 0; l <= nLayer; l++) {
    const probs = softmax(logits, l * V, V);
    const top = topK(probs, k).map((id) => ({ token: tokenText(tok, id), id, prob: probs[id]! }));
    layers.push({ layer: l, name: l === 0 ? 'embedding' : `after block ${l}`, token: top[0]!.token, id: top[0]!.id, prob: top[0]!.prob, top });
  }
  return { prompt, promptTokens: T, layers, notes: p.notes };
}
