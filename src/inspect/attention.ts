/** Attention of every layer and head over a prompt, with each head's scores (`scratchlm attention`). */
import type { GPT } from '../model/gpt.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { headScores, type HeadReport } from './heads.js';
import { traceForward } from './trace.js';
import { encodePrompt, tokenText } from './vocab.js';

/** `scratchlm attention --json` prints exactly this. */
export interface AttentionResult {
  prompt: string;
  /** The prompt's tokens as text (the heatmaps' axes). */
  tokens: string[];
  ids: number[];
  heads: HeadReport[];
  /** weights[layer][head][query][key]: the attention probabilities over the prompt. */
  weights: number[][][][];
  notes: string[];
}

/** Attention maps and head scores (previous / first / self / entropy on the prompt, induction on a repeated random sequence). */
export function attentionMaps(model: GPT, tok: Tokenizer, prompt: string, opts: { seed?: number } = {}): AttentionResult {
  const { blockSize, nLayer, nHead } = model.config;
  const p = encodePrompt(tok, prompt, blockSize);
  model.train(null);
  const tr = traceForward(model, p.ids, { attention: true, logits: 'none' });
  const T = tr.T;
  const weights: number[][][][] = [];
  for (let l = 0; l < nLayer; l++) {
    const layer: number[][][] = [];
    for (let h = 0; h < nHead; h++) {
      const m: number[][] = [];
      for (let q = 0; q < T; q++) m.push(Array.from(tr.attention[l]!.subarray((h * T + q) * T, (h * T + q) * T + T)));
      layer.push(m);
    }
    weights.push(layer);
  }
  const notes = [...p.notes];
  if (T < 2) notes.push('the prompt is one token: every head attends to it alone; give a longer prompt to see patterns');
  return { prompt, tokens: p.ids.map((id) => tokenText(tok, id)), ids: p.ids, heads: headScores(model, p.ids, { seed: opts.seed }), weights, notes };
}
