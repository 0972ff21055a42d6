/**
 * Probes: prompts with candidate continuations, scored while a model trains ("I drink coffee
 * every" → " morning" against " elephant"), so the report can draw their probabilities over steps.
 */
import { ScratchError } from '../core/errors.js';
import type { GPT } from '../model/gpt.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { nextTokens } from './next.js';
import { encodeText } from './vocab.js';

/** A prompt and the continuations whose probabilities are followed over training. */
export interface Probe {
  prompt: string;
  candidates: string[];
}

/** One probe's scores at one evaluation (as metrics.jsonl keeps them under "probes"). */
export interface ProbeResult {
  prompt: string;
  candidates: { text: string; prob: number; logprob: number }[];
}

/** "prompt|cand|cand;;prompt|cand" (or one probe per line) → probes; '' → none. */
export function parseProbes(spec: string): Probe[] {
  const out: Probe[] = [];
  for (const part of spec.split(/;;|\n/)) {
    if (part.trim() === '') continue;
    const [prompt, ...candidates] = part.split('|');
    const cands = candidates.filter((c) => c !== '');
    if (!prompt || cands.length === 0) throw new ScratchError(`probe ${JSON.stringify(part)} must be 'prompt|candidate|candidate', e.g. 'I drink coffee every| morning| elephant'`);
    out.push({ prompt, candidates: cands });
  }
  return out;
}

/** Fails early (before training) when a probe cannot be encoded by the run's tokenizer. */
export function checkProbes(tok: Tokenizer, probes: readonly Probe[]): void {
  for (const p of probes) {
    encodeText(tok, p.prompt, 'the probe prompt');
    for (const c of p.candidates) encodeText(tok, c, `the probe candidate (of ${JSON.stringify(p.prompt)})`);
  }
}

/** Every probe's candidate probabilities under the model now. */
export function runProbes(model: GPT, tok: Tokenizer, probes: readonly Probe[]): ProbeResult[] {
  return probes.map((p) => {
    const r = nextTokens(model, tok, p.prompt, { top: 1, candidates: p.candidates });
    return { prompt: p.prompt, candidates: r.candidates.map((c) => ({ text: c.text, prob: c.prob, logprob: c.logprob })) };
  });
}
