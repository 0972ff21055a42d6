/** Nearest tokens by cosine similarity of their embedding rows (the model's wte). */
import { ScratchError } from '../core/errors.js';
import type { GPT } from '../model/gpt.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { topK } from './trace.js';
import { tokenId, tokenText } from './vocab.js';

/** A token near another in embedding space, with the cosine of their embeddings. */
export interface Neighbor {
  token: string;
  id: number;
  cosine: number;
}

/** `scratchlm neighbors --json` prints exactly this. */
export interface NeighborsResult {
  token: string;
  id: number;
  neighbors: Neighbor[];
  notes: string[];
}

/** Cosine similarity of rows a and b of a (rows, C) matrix (0 when either is all zeros). */
export function rowCosine(m: ArrayLike<number>, C: number, a: number, b: number): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < C; i++) {
    const x = m[a * C + i]!, y = m[b * C + i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** The `top` tokens whose embeddings point most nearly the same way as `token`'s (itself left out). */
export function nearestTokens(model: GPT, tok: Tokenizer, token: string, opts: { top?: number } = {}): NeighborsResult {
  const V = model.config.vocabSize;
  const C = model.config.nEmbd;
  const notes: string[] = [];
  let top = opts.top ?? 10;
  if (!Number.isInteger(top) || top < 1) throw new ScratchError(`--top must be a whole number ≥ 1, got ${top}`);
  if (top > V - 1) {
    notes.push(`--top ${top} is more than the ${V - 1} other tokens: showing all of them`);
    top = V - 1;
  }
  const id = tokenId(tok, token);
  const wte = model.params.get('wte.weight').data;
  const sims = new Float64Array(V);
  for (let j = 0; j < V; j++) sims[j] = j === id ? -Infinity : rowCosine(wte, C, id, j);
  const order = top > 0 ? topK(sims, top) : [];
  return { token, id, neighbors: order.map((j) => ({ token: tokenText(tok, j), id: j, cosine: sims[j]! })), notes };
}
