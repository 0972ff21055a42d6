/**
 * Byte-level BPE training, minbpe's algorithm at Hugging Face's speed.
 *
 * 1. Pre-tokenize (GPT-2's pattern by default) and count distinct chunks: merges never cross chunks,
 *    and a chunk seen 10,000 times is processed once with weight 10,000.
 * 2. Count pairs over distinct chunks, weighted by their counts, and remember which chunks hold
 *    each pair.
 * 3. Repeatedly merge the most frequent pair, ties broken by the pair seen first (a max-heap with
 *    lazy deletion), and update the counts of only the pairs next to each merge site, in only the
 *    chunks that hold the merged pair: no full recount per merge.
 *
 * Worked example (minbpe / Wikipedia): "aaabdaaabac" with 3 merges learns aa → 256, ab → 257
 * (tied with (256, a) at 2, but seen first), then (256, 257) → 258 ("aaab"); it encodes as
 * [258, 100, 258, 97, 99].
 */
import { ScratchError } from '../core/errors.js';
import { BpeTokenizer } from './bpe.js';
import { utf8Into } from './bytes.js';
import { splitterFor } from './pretokenize.js';
import { checkSpecialNames } from './special.js';

/** Options of `trainBpe`. */
export interface TrainBpeOptions {
  /** Pre-tokenizer: 'gpt2' (default), 'gpt4' or a regex source. */
  pattern?: 'gpt2' | 'gpt4' | (string & {});
  /** Special tokens, given the last ids; occurrences in the corpus are left out of training. */
  specialTokens?: readonly string[];
}

/** What `trainBpe` returns: the tokenizer and how many merges it learned. */
export interface TrainBpeResult {
  tokenizer: BpeTokenizer;
  /** Merges learned (vocabSize - 256 - specials unless the corpus ran out of pairs). */
  merges: number;
  /** Set when fewer merges were possible than asked for. */
  warning?: string;
}

const KEY = 2097152; // pair key = a * KEY + b (ids < 2^21)

/**
 * Trains a byte-level BPE of `vocabSize` ids (256 bytes + merges + special tokens) on `text`
 * (or on several texts: no chunk spans two of them).
 */
export function trainBpe(text: string | readonly string[], vocabSize: number, opts: TrainBpeOptions = {}): TrainBpeResult {
  const pattern = opts.pattern ?? 'gpt2';
  const specials = [...(opts.specialTokens ?? [])];
  checkSpecialNames(specials);
  if (!Number.isInteger(vocabSize)) throw new ScratchError(`vocabulary size must be an integer, got ${vocabSize}`);
  if (vocabSize < 256 + specials.length) {
    throw new ScratchError(`vocabulary size ${vocabSize} is too small: a byte-level BPE needs 256 byte tokens${specials.length ? ` + ${specials.length} special token(s)` : ''}, so at least ${256 + specials.length}`);
  }
  const texts = typeof text === 'string' ? [text] : text;
  const chunks = countChunks(texts, pattern, specials);
  if (chunks.size === 0) throw new ScratchError('the training corpus is empty (no text to learn merges from)');
  const wanted = vocabSize - 256 - specials.length;
  const merges = learnMerges(chunks, wanted);
  const specialTokens = new Map(specials.map((s, k) => [s, 256 + merges.length + k]));
  const byteIds = Array.from({ length: 256 }, (_, b) => b);
  const tokenizer = new BpeTokenizer({ pattern, byteIds, merges, specialTokens });
  const result: TrainBpeResult = { tokenizer, merges: merges.length };
  if (merges.length < wanted) {
    result.warning = `the corpus allows only ${merges.length} merges (every chunk is a single token after that), so the vocabulary has ${tokenizer.vocabSize} ids instead of ${vocabSize}`;
  }
  return result;
}

/** Distinct chunks and their counts, in order of first appearance. */
export function countChunks(texts: readonly string[], pattern: string, specials: readonly string[] = []): Map<string, number> {
  const split = splitterFor(pattern);
  const counts = new Map<string, number>();
  for (const t of texts) {
    const emit = (s: number, e: number) => {
      const piece = t.slice(s, e);
      counts.set(piece, (counts.get(piece) ?? 0) + 1);
    };
    // Special tokens are not text to learn from: train on the pieces between them.
    let segs: [number, number][] = [[0, t.length]];
    for (const sp of specials) {
      const next: [number, number][] = [];
      for (const [s, e] of segs) {
        let from = s;
        for (let at = t.indexOf(sp, from); at >= 0 && at + sp.length <= e; at = t.indexOf(sp, from)) {
          next.push([from, at]);
          from = at + sp.length;
        }
        next.push([from, e]);
      }
      segs = next;
    }
    for (const [s, e] of segs) if (e > s) split(t, s, e, emit);
  }
  return counts;
}

/** The merge loop over weighted distinct chunks ("words"). Returns [a, b, id] triples. */
function learnMerges(chunks: Map<string, number>, wanted: number): [number, number, number][] {
  // Words as runs in one flat array; merging shrinks a word in place.
  const nWords = chunks.size;
  const wStart = new Int32Array(nWords);
  const wLen = new Int32Array(nWords);
  const wCount = new Float64Array(nWords);
  let total = 0;
  for (const piece of chunks.keys()) total += piece.length * 3;
  const sym = new Int32Array(total);
  let off = 0;
  let w = 0;
  for (const [piece, c] of chunks) {
    const n = utf8Into(piece, 0, piece.length, sym.subarray(off));
    wStart[w] = off;
    wLen[w] = n;
    wCount[w] = c;
    off += n;
    w++;
  }

  // The pair table; a pair's index is its "first seen" order, the tie-breaker.
  const pairIdx = new Map<number, number>();
  const pairA: number[] = [];
  const pairB: number[] = [];
  const pairCount: number[] = [];
  const pairWords: number[][] = [];
  const pairOf = (a: number, b: number): number => {
    const key = a * KEY + b;
    let p = pairIdx.get(key);
    if (p === undefined) {
      p = pairA.length;
      pairIdx.set(key, p);
      pairA.push(a);
      pairB.push(b);
      pairCount.push(0);
      pairWords.push([]);
    }
    return p;
  };
  const noteWord = (p: number, word: number) => {
    const list = pairWords[p]!;
    if (list[list.length - 1] !== word) list.push(word);
  };
  for (let v = 0; v < nWords; v++) {
    const s = wStart[v]!;
    const c = wCount[v]!;
    for (let k = s; k + 1 < s + wLen[v]!; k++) {
      const p = pairOf(sym[k]!, sym[k + 1]!);
      pairCount[p]! += c;
      noteWord(p, v);
    }
  }

  const heap = new MaxHeap();
  for (let p = 0; p < pairA.length; p++) heap.push(pairCount[p]!, p);

  const merges: [number, number, number][] = [];
  const visited = new Int32Array(nWords).fill(-1);
  let touchedStamp: number[] = [];
  const touched: number[] = [];
  const bump = (a: number, b: number, delta: number, m: number): number => {
    const p = pairOf(a, b);
    pairCount[p]! += delta;
    if (touchedStamp[p] !== m) {
      touchedStamp[p] = m;
      touched.push(p);
    }
    return p;
  };
  const newPos: number[] = [];

  while (merges.length < wanted && heap.size > 0) {
    const cnt = heap.topCount();
    const p = heap.pop();
    if (pairCount[p] !== cnt || cnt <= 0) continue; // stale entry
    const m = merges.length;
    const a = pairA[p]!;
    const b = pairB[p]!;
    const id = 256 + m;
    merges.push([a, b, id]);
    touched.length = 0;
    for (const v of pairWords[p]!) {
      if (visited[v] === m) continue;
      visited[v] = m;
      const s = wStart[v]!;
      const n = wLen[v]!;
      const c = wCount[v]!;
      // Pass 1: take away the pairs at and beside each occurrence (each pair position once).
      let lastOld = -1;
      let found = false;
      for (let i = 0; i + 1 < n; i++) {
        if (sym[s + i] !== a || sym[s + i + 1] !== b) continue;
        found = true;
        for (let j = i - 1; j <= i + 1; j++) {
          if (j < 0 || j + 1 >= n || j <= lastOld) continue;
          bump(sym[s + j]!, sym[s + j + 1]!, -c, m);
          lastOld = j;
        }
        i++; // occurrences do not overlap: "aaa" with (a, a) merges once, leftmost
      }
      if (!found) continue;
      // Pass 2: rewrite the word in place.
      newPos.length = 0;
      let o = 0;
      for (let i = 0; i < n; i++) {
        if (i + 1 < n && sym[s + i] === a && sym[s + i + 1] === b) {
          newPos.push(o);
          sym[s + o++] = id;
          i++;
        } else {
          sym[s + o++] = sym[s + i]!;
        }
      }
      wLen[v] = o;
      // Pass 3: add the pairs beside each new token.
      let lastNew = -1;
      for (const q of newPos) {
        for (let j = q - 1; j <= q; j++) {
          if (j < 0 || j + 1 >= o || j <= lastNew) continue;
          const np = bump(sym[s + j]!, sym[s + j + 1]!, c, m);
          noteWord(np, v);
          lastNew = j;
        }
      }
    }
    for (const t of touched) if (pairCount[t]! > 0) heap.push(pairCount[t]!, t);
    pairWords[p] = [];
  }
  touchedStamp = [];
  return merges;
}

/** Max-heap of (count, pair index); equal counts pop the smaller (earlier seen) index first. */
class MaxHeap {
  private counts: number[] = [];
  private idx: number[] = [];
  get size(): number {
    return this.idx.length;
  }
  private before(i: number, j: number): boolean {
    const a = this.counts[i]!;
    const b = this.counts[j]!;
    return a > b || (a === b && this.idx[i]! < this.idx[j]!);
  }
  private swap(i: number, j: number): void {
    const c = this.counts[i]!;
    this.counts[i] = this.counts[j]!;
    this.counts[j] = c;
    const x = this.idx[i]!;
    this.idx[i] = this.idx[j]!;
    this.idx[j] = x;
  }
  push(count: number, p: number): void {
    let i = this.idx.length;
    this.counts.push(count);
    this.idx.push(p);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.before(i, up)) break;
      this.swap(i, up);
      i = up;
    }
  }
  topCount(): number {
    return this.counts[0]!;
  }
  pop(): number {
    const top = this.idx[0]!;
    const lastC = this.counts.pop()!;
    const lastI = this.idx.pop()!;
    const n = this.idx.length;
    if (n > 0) {
      this.counts[0] = lastC;
      this.idx[0] = lastI;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.before(r, l) ? r : l;
        if (!this.before(c, i)) break;
        this.swap(c, i);
        i = c;
      }
    }
    return top;
  }
}
