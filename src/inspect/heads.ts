/**
 * What each attention head does, as small named measurements (TransformerLens's head detector:
 * its detection patterns and its "mul" measure): a score is the share of a head's attention that
 * falls where a pattern says, sum(attention × pattern) / sum(attention), taken over the query
 * positions the pattern can match (row 0 has no previous token; only the repeated half of the
 * induction sequence has an earlier copy), so a head that does exactly what the pattern says
 * scores 1. (The detector divides by every row instead: its number is ours times the share of
 * rows that can match, e.g. (T - 1) / T for a perfect previous-token head.)
 *
 *   previous   pattern: key = query - 1            (on the given text)
 *   first      pattern: key = 0, the attention sink (on the given text)
 *   self       pattern: key = query                (on the given text)
 *   induction  pattern: key = the position after an earlier copy of the query's token, measured
 *              on a random token sequence repeated twice, as the detector is used.
 *
 * Plus the mean entropy of a head's attention rows (nats) and a one-line label.
 */
import { Rng } from '../core/rng.js';
import type { GPT } from '../model/gpt.js';
import { traceForward } from './trace.js';

/**
 * How much of a head's attention follows each pattern (0 to 1): previous token, first token, self,
 * induction.
 */
export interface HeadScores {
  previous: number;
  first: number;
  self: number;
  induction: number;
}

/** One attention head's scores, entropy and the pattern it is labelled with. */
export interface HeadReport {
  layer: number;
  head: number;
  scores: HeadScores;
  /** Mean over query positions of the attention row's entropy, in nats (uniform over t + 1 keys: ln(t + 1)). */
  entropy: number;
  label: string;
}

/** (T, T) 0/1 detection pattern, lower triangular, row-major. */
export type Pattern = Uint8Array;

/** The T x T pattern of a previous-token head: each query attends to the position before it. */
export function previousPattern(T: number): Pattern {
  const p = new Uint8Array(T * T);
  for (let q = 1; q < T; q++) p[q * T + q - 1] = 1;
  return p;
}

/** The T x T pattern of a first-token head: each query attends to position 0. */
export function firstPattern(T: number): Pattern {
  const p = new Uint8Array(T * T);
  for (let q = 0; q < T; q++) p[q * T] = 1;
  return p;
}

/** The T x T pattern of a self head: each query attends to its own position. */
export function selfPattern(T: number): Pattern {
  const p = new Uint8Array(T * T);
  for (let q = 0; q < T; q++) p[q * T + q] = 1;
  return p;
}

/** TransformerLens's induction pattern: key k + 1 for every earlier k holding the query's token. */
export function inductionPattern(ids: readonly number[]): Pattern {
  const T = ids.length;
  const p = new Uint8Array(T * T);
  for (let q = 0; q < T; q++) for (let k = 0; k < q; k++) if (ids[k] === ids[q]) p[q * T + k + 1] = 1;
  return p;
}

/**
 * sum(att × pattern) / sum(att) for one head's (T, T) attention starting at `off`, over the query
 * rows where the pattern has a 1 (0 when no row has one).
 */
export function patternScore(att: ArrayLike<number>, off: number, T: number, pattern: Pattern): number {
  let hit = 0, all = 0;
  for (let q = 0; q < T; q++) {
    let any = false;
    for (let k = 0; k <= q; k++) if (pattern[q * T + k]) any = true;
    if (!any) continue;
    for (let k = 0; k <= q; k++) {
      const a = att[off + q * T + k]!;
      all += a;
      if (pattern[q * T + k]) hit += a;
    }
  }
  return all > 0 ? hit / all : 0;
}

/** Mean entropy (nats) of the rows of one head's (T, T) attention. */
export function meanEntropy(att: ArrayLike<number>, off: number, T: number): number {
  let sum = 0;
  for (let q = 0; q < T; q++) {
    let h = 0;
    for (let k = 0; k <= q; k++) {
      const a = att[off + q * T + k]!;
      if (a > 0) h -= a * Math.log(a);
    }
    sum += h;
  }
  return sum / T;
}

/**
 * n random ids repeated twice (the induction probe), from a seeded generator; distinct within a
 * half when the vocabulary has n ids or more, so the only earlier copies are the repeat's.
 */
export function repeatedRandomIds(V: number, n: number, seed = 0): number[] {
  const rng = new Rng(seed);
  let half: number[];
  if (n <= V) {
    const pool = Array.from({ length: V }, (_, i) => i);
    for (let i = 0; i < n; i++) {
      const j = i + rng.int(V - i);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    half = pool.slice(0, n);
  } else half = Array.from({ length: n }, () => rng.int(V));
  return [...half, ...half];
}

/** The one-line name of what a head does, from its scores (thresholds say "most of its attention"). */
export function headLabel(s: HeadScores, entropy: number, T: number): string {
  if (s.induction >= 0.5 && s.induction >= s.previous) return `induction head (${pct(s.induction)} of its attention on the repeat)`;
  const named: [keyof HeadScores, string][] = [
    ['previous', 'previous-token head'],
    ['first', 'first-token head (attention sink)'],
    ['self', 'current-token head'],
  ];
  let best = named[0]!;
  for (const n of named) if (s[n[0]] > s[best[0]]) best = n;
  if (s[best[0]] >= 0.5) return `${best[1]} (${pct(s[best[0]])} of its attention)`;
  // uniform rows over t + 1 keys have entropy ln(t + 1); their mean is the ceiling
  let uniform = 0;
  for (let q = 0; q < T; q++) uniform += Math.log(q + 1);
  uniform /= T;
  if (uniform > 0 && entropy >= 0.8 * uniform) return 'broad head (attention spread nearly evenly over the past)';
  return `mixed head (most: ${best[1].replace(/ \(.*/, '')}, ${pct(s[best[0]])})`;
}

function pct(x: number): string {
  return `${Math.round(Math.min(1, x) * 100)}%`;
}

/** Options of the head detector. */
export interface HeadScoreOptions {
  /** Seed of the repeated random sequence for the induction score (default 0). */
  seed?: number;
  /** Half-length of that sequence (default: up to 32, fitting the block size). */
  inductionLength?: number;
}

/**
 * Scores of every head: previous / first / self and entropy on `ids` (a real text), induction on a
 * repeated random token sequence. `ids` must fit the block size (callers cut prompts first).
 */
export function headScores(model: GPT, ids: readonly number[], opts: HeadScoreOptions = {}): HeadReport[] {
  const { vocabSize: V, blockSize, nLayer, nHead } = model.config;
  model.train(null);
  const text = traceForward(model, ids, { attention: true, logits: 'none' });
  const n = Math.max(1, Math.min(opts.inductionLength ?? 32, Math.floor(blockSize / 2)));
  const rep = repeatedRandomIds(V, n, opts.seed ?? 0);
  const ind = rep.length >= 2 ? traceForward(model, rep, { attention: true, logits: 'none' }) : null;
  const T = ids.length;
  const pats = { previous: previousPattern(T), first: firstPattern(T), self: selfPattern(T) };
  const indPat = inductionPattern(rep);
  const out: HeadReport[] = [];
  for (let l = 0; l < nLayer; l++) {
    for (let h = 0; h < nHead; h++) {
      const off = h * T * T;
      const scores: HeadScores = {
        previous: patternScore(text.attention[l]!, off, T, pats.previous),
        first: patternScore(text.attention[l]!, off, T, pats.first),
        self: patternScore(text.attention[l]!, off, T, pats.self),
        induction: ind ? patternScore(ind.attention[l]!, h * rep.length * rep.length, rep.length, indPat) : 0,
      };
      const entropy = meanEntropy(text.attention[l]!, off, T);
      out.push({ layer: l, head: h, scores, entropy, label: headLabel(scores, entropy, T) });
    }
  }
  return out;
}
