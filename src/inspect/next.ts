/**
 * What comes next: the model's most likely next tokens after a prompt, and candidate
 * continuations scored token by token with teacher forcing (the sum of each token's
 * log-probability given the prompt and the candidate's tokens before it). Multi-token
 * candidates make "coffee every → morning vs elephant" work for character models too.
 */
import { ScratchError } from '../core/errors.js';
import type { GPT } from '../model/gpt.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { logProbAt, softmax, topK, traceForward } from './trace.js';
import { encodePrompt, encodeText, tokenText } from './vocab.js';

/** One of the most likely next tokens, with its probability. */
export interface TopToken {
  token: string;
  id: number;
  prob: number;
}

/** One token of a scored candidate continuation. */
export interface CandidateToken {
  token: string;
  id: number;
  /** log p(this token | prompt and the candidate's tokens before it), natural log. */
  logprob: number;
}

/** A candidate continuation's probability, token by token. */
export interface CandidateScore {
  text: string;
  /** Sum of the tokens' log-probabilities (natural log). */
  logprob: number;
  /** exp(logprob): the probability of the whole continuation. */
  prob: number;
  /** Rank of the first token among all next tokens (1 = most likely). */
  rank: number;
  tokens: CandidateToken[];
}

/** `scratchlm next --json` prints exactly this. */
export interface NextResult {
  prompt: string;
  /** How many prompt tokens the model read. */
  promptTokens: number;
  top: TopToken[];
  /** In the order given. */
  candidates: CandidateScore[];
  /** What was adjusted (prompt cut to the block size, --top clamped, ...), one sentence each. */
  notes: string[];
}

/** Options of `nextTokens` / `model.next`. */
export interface NextOptions {
  /** How many most likely tokens (default 10; clamped to the vocabulary, with a note). */
  top?: number;
  /** Continuations to score, each one or more tokens. */
  candidates?: readonly string[];
  /** Softmax temperature (default 1: the model's own probabilities); logits are divided by it. */
  temperature?: number;
}

/** logits / temperature (the same array when temperature is 1). */
function tempered<T extends ArrayLike<number>>(logits: T, temperature: number): T | Float64Array {
  if (temperature === 1) return logits;
  const out = new Float64Array(logits.length);
  for (let i = 0; i < out.length; i++) out[i] = logits[i]! / temperature;
  return out;
}

/** Splits "--candidates ' morning| elephant'" on '|' (spaces kept: they are part of the tokens). */
export function parseCandidates(text: string): string[] {
  return text.split('|').filter((c) => c !== '');
}

/**
 * The most likely next tokens after `prompt` and the scores of `candidates`. A prompt longer than
 * the block size keeps its last tokens (a note says so); so does one that leaves no room for a
 * candidate's tokens, which are scored in the same window.
 */
export function nextTokens(model: GPT, tok: Tokenizer, prompt: string, opts: NextOptions = {}): NextResult {
  const { blockSize, vocabSize: V } = model.config;
  const notes: string[] = [];
  let top = opts.top ?? 10;
  if (!Number.isInteger(top) || top < 1) throw new ScratchError(`--top must be a whole number ≥ 1, got ${top}`);
  if (top > V) {
    notes.push(`--top ${top} is more than the vocabulary's ${V} tokens: showing all ${V}`);
    top = V;
  }
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new ScratchError(`the temperature must be a number > 0, got ${temperature}`);
  const p = encodePrompt(tok, prompt, blockSize);
  notes.push(...p.notes);
  model.train(null);
  const probs = softmax(tempered(traceForward(model, p.ids).logits, temperature));
  const order = topK(probs, top);
  const result: NextResult = {
    prompt,
    promptTokens: p.ids.length,
    top: order.map((id) => ({ token: tokenText(tok, id), id, prob: probs[id]! })),
    candidates: [],
    notes,
  };
  for (const text of opts.candidates ?? []) {
    const ids = encodeText(tok, text, 'the candidate');
    if (ids.length === 0) throw new ScratchError(`the candidate ${JSON.stringify(text)} encodes to no tokens`);
    if (ids.length >= blockSize) throw new ScratchError(`the candidate ${JSON.stringify(text)} is ${ids.length} tokens; the model reads at most ${blockSize} with the prompt, so at most ${blockSize - 1} can be scored`);
    // the window: the prompt's last tokens, then all but the candidate's last token
    const keep = Math.min(p.ids.length, blockSize - (ids.length - 1));
    if (keep < p.ids.length) notes.push(`for the candidate ${JSON.stringify(text)} the model reads the prompt's last ${keep} tokens (block size ${blockSize})`);
    const ctx = [...p.ids.slice(-keep), ...ids.slice(0, -1)];
    const logits = tempered(traceForward(model, ctx, { logits: 'all' }).logits, temperature);
    const tokens: CandidateToken[] = ids.map((id, k) => ({ token: tokenText(tok, id), id, logprob: logProbAt(logits, (keep - 1 + k) * V, V, id) }));
    const logprob = tokens.reduce((a, t) => a + t.logprob, 0);
    // rank of the first token in the window the candidate was scored in
    const row = (keep - 1) * V;
    let rank = 1;
    for (let j = 0; j < V; j++) if (logits[row + j]! > logits[row + ids[0]!]! || (logits[row + j] === logits[row + ids[0]!] && j < ids[0]!)) rank++;
    result.candidates.push({ text, logprob, prob: Math.exp(logprob), rank, tokens });
  }
  return result;
}
