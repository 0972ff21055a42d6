/**
 * Byte-level BPE: the tokenizer of GPT-2 and of vocabularies trained by `trainBpe`.
 *
 * A vocabulary is 256 byte tokens, a list of merges in rank order (merge r joins ids a and b into
 * a new id) and special tokens. Encoding follows tiktoken exactly: within each pre-tokenizer chunk,
 * repeatedly join the adjacent pair whose concatenation is the lowest-ranked token, leftmost first.
 * Example (minbpe): merges aa→256, aaa→257 (256+a), aaab→258 (257+b) encode "aaabdaaabac" as
 * [258, 100, 258, 97, 99].
 */
import { ScratchError } from '../core/errors.js';
import { bytesToPrintable, utf8Into } from './bytes.js';
import { gpt2ChunkEnd, splitterFor, type Splitter } from './pretokenize.js';
import { PairTable } from './pair-table.js';
import { checkSpecialNames, findSpecials } from './special.js';
import type { EncodeOptions, StreamDecoder, Tokenizer } from './types.js';

/** Everything that defines a BPE vocabulary (what `toJSON` saves). */
export interface BpeSpec {
  /** 'gpt2', 'gpt4' or a regex source. */
  pattern: string;
  /** byteIds[b] is the id of the one-byte token b (GPT-2 permutes them; trained vocabularies don't). */
  byteIds: readonly number[];
  /** [a, b, id] in rank order: merge r joins a and b into id. */
  merges: ReadonlyArray<readonly [number, number, number]>;
  specialTokens: ReadonlyMap<string, number>;
}

export const FORMAT = 'scratchlm-tokenizer';
export const FORMAT_VERSION = 1;

/** Ids and ranks both stay below 2^21, so (rank, id) packs into one float64 exactly. */
const ID_LIMIT = 2097152;
/** Positions in a chunk stay below 2^31, so rank * 2^31 + position is an exact float64. */
const POS_LIMIT = 2147483648;
const CACHE_LIMIT = 100_000;
const CACHE_MAX_CHARS = 64;
/** Chunks with more bytes than this merge through a heap (O(n log n)) instead of linear scans. */
const HEAP_MIN_BYTES = 48;

/** A byte-level BPE tokenizer (GPT-2's kind): a pre-tokenizer pattern, merges and special tokens. */
export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe';
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  /** The pre-tokenizer's regular expression source. */
  readonly pattern: string;
  /** The id of each byte value 0..255. */
  readonly byteIds: readonly number[];
  /** The merges in order: [left id, right id, merged id]. */
  readonly merges: ReadonlyArray<readonly [number, number, number]>;
  /** All tokens' bytes in one buffer: id's bytes are store[start[id], start[id] + len[id]); len -1: no such token. */
  private readonly store: Uint8Array;
  private readonly start: Int32Array;
  private readonly len: Int32Array;
  private readonly specialById = new Map<number, string>();
  /** (a, b) → rank * ID_LIMIT + id of the token a+b (so the smallest value is the lowest rank). */
  private readonly pairs = new PairTable();
  private readonly split: Splitter;
  private readonly isGpt2Pattern: boolean;
  private readonly cache = new Map<string, number | number[]>();
  private buf = new Int32Array(1024);

  constructor(spec: BpeSpec) {
    check256(spec.byteIds);
    this.pattern = spec.pattern;
    this.byteIds = [...spec.byteIds];
    this.merges = spec.merges.map((m) => [m[0], m[1], m[2]] as const);
    this.specialTokens = new Map(spec.specialTokens);
    this.split = splitterFor(spec.pattern);
    this.isGpt2Pattern = spec.pattern === 'gpt2';

    // Ids first: check them, size the vocabulary, measure every token.
    let size = 0;
    for (const id of this.byteIds) size = Math.max(size, id + 1);
    for (const m of this.merges) size = Math.max(size, m[2] + 1);
    for (const id of this.specialTokens.values()) size = Math.max(size, id + 1);
    if (!(size <= ID_LIMIT)) throw new ScratchError(`ids must be integers below ${ID_LIMIT}`);
    const len = new Int32Array(size).fill(-1);
    const start = new Int32Array(size);
    const claim = (id: number, what: () => string) => {
      if (!Number.isInteger(id) || id < 0 || id >= ID_LIMIT) throw new ScratchError(`${what()} has id ${id}; ids must be integers in [0, ${ID_LIMIT})`);
      if (len[id] !== -1 || this.specialById.has(id)) throw new ScratchError(`${what()} reuses id ${id}`);
    };
    this.byteIds.forEach((id, b) => {
      claim(id, () => `byte ${b}`);
      len[id] = 1;
    });
    let total = 256;
    for (let r = 0; r < this.merges.length; r++) {
      const [a, b, id] = this.merges[r]!;
      const bad = !(len[a]! > 0) ? a : !(len[b]! > 0) ? b : undefined;
      if (bad !== undefined) throw new ScratchError(`merge ${r} joins ids ${a} and ${b}, but ${bad} is not defined by an earlier merge or byte`);
      claim(id, () => `merge ${r}`);
      len[id] = len[a]! + len[b]!;
      total += len[id]!;
    }
    // an empty special token would match everywhere (the special-token scan never moved on: found by the fuzzer)
    checkSpecialNames([...this.specialTokens.keys()]);
    for (const [s, id] of this.specialTokens) {
      claim(id, () => `special token ${JSON.stringify(s)}`);
      this.specialById.set(id, s);
    }
    // Then the bytes: a merge's are its halves' bytes, copied within the one buffer.
    const store = new Uint8Array(total);
    this.byteIds.forEach((id, b) => {
      start[id] = b;
      store[b] = b;
    });
    let o = 256;
    for (const [a, b, id] of this.merges) {
      start[id] = o;
      store.copyWithin(o, start[a]!, start[a]! + len[a]!);
      store.copyWithin(o + len[a]!, start[b]!, start[b]! + len[b]!);
      o += len[id]!;
    }
    this.store = store;
    this.start = start;
    this.len = len;
    this.vocabSize = size;
    this.buildPairs();
  }

  /**
   * tiktoken's rule joins any adjacent pair whose concatenation is a token, not only the pair
   * that the merge list names, so every split of every merged token into two tokens is a pair.
   * The first (lowest-ranked) token with given bytes wins, as a bytes → rank table would.
   * A byte trie (a PairTable of (node, byte) → child) finds the ids of all prefixes and suffixes.
   */
  private buildPairs(): void {
    const child = new PairTable(this.merges.length * 2 + 512);
    const nodeTok: number[] = [-1];
    const { store, start, len } = this;
    const insert = (id: number): boolean => {
      let node = 0;
      for (let i = start[id]!; i < start[id]! + len[id]!; i++) {
        let c = child.get(node, store[i]!);
        if (c === Infinity) {
          c = nodeTok.length;
          nodeTok.push(-1);
          child.set(node, store[i]!, c);
        }
        node = c;
      }
      if (nodeTok[node] !== -1) return false; // a duplicate of an earlier token: never produced
      nodeTok[node] = id;
      return true;
    };
    for (const id of this.byteIds) insert(id);
    const live = this.merges.map(([, , id]) => insert(id));
    const prefixTok: number[] = [];
    const pairs = this.pairs;
    for (let r = 0; r < this.merges.length; r++) {
      if (!live[r]) continue;
      const [a, b, id] = this.merges[r]!;
      const value = r * ID_LIMIT + id;
      if (pairs.get(a, b) > value) pairs.set(a, b, value);
      const s0 = start[id]!;
      const n = len[id]!;
      let node = 0;
      for (let i = 0; i < n - 1; i++) {
        node = child.get(node, store[s0 + i]!);
        prefixTok[i + 1] = nodeTok[node]!;
      }
      for (let cut = 1; cut < n; cut++) {
        const x = prefixTok[cut]!;
        if (x < 0) continue;
        let sn = 0;
        for (let i = cut; i < n && sn !== Infinity; i++) sn = child.get(sn, store[s0 + i]!);
        const y = sn === Infinity ? -1 : nodeTok[sn]!;
        if (y >= 0 && (x !== a || y !== b) && pairs.get(x, y) > value) pairs.set(x, y, value);
      }
    }
  }

  /** The ids of `text` (special tokens as `options.allowedSpecial` says, tiktoken's rules). */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    let pos = 0;
    for (const m of findSpecials(text, this.specialTokens, options.allowedSpecial)) {
      this.encodeOrdinaryInto(text, pos, m.start, out);
      out.push(this.specialTokens.get(m.token)!);
      pos = m.end;
    }
    this.encodeOrdinaryInto(text, pos, text.length, out);
    return out;
  }

  /** Encodes text with special tokens as plain text (tiktoken's encode_ordinary). */
  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    this.encodeOrdinaryInto(text, 0, text.length, out);
    return out;
  }

  private encodeOrdinaryInto(text: string, start: number, end: number, out: number[]): void {
    if (this.isGpt2Pattern) {
      for (let i = start; i < end; ) {
        const j = gpt2ChunkEnd(text, i, end);
        this.encodeChunk(text, i, j, out);
        i = j;
      }
    } else {
      this.split(text, start, end, (s, e) => this.encodeChunk(text, s, e, out));
    }
  }

  private encodeChunk(text: string, s: number, e: number, out: number[]): void {
    const cacheable = e - s <= CACHE_MAX_CHARS;
    let piece = '';
    if (cacheable) {
      piece = text.slice(s, e);
      const hit = this.cache.get(piece);
      if (hit !== undefined) {
        if (typeof hit === 'number') out.push(hit);
        else for (let k = 0; k < hit.length; k++) out.push(hit[k]!);
        return;
      }
    }
    if (this.buf.length < 3 * (e - s)) this.buf = new Int32Array(3 * (e - s));
    const buf = this.buf;
    const n = utf8Into(text, s, e, buf);
    const byteIds = this.byteIds;
    for (let k = 0; k < n; k++) buf[k] = byteIds[buf[k]!]!;
    const ids = n < HEAP_MIN_BYTES ? this.mergeSmall(buf, n) : this.mergeHeap(buf, n);
    for (let k = 0; k < ids.length; k++) out.push(ids[k]!);
    if (cacheable) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(piece, ids.length === 1 ? ids[0]! : ids);
    }
  }

  /** tiktoken's loop for short chunks: find the lowest-ranked pair, join it, repeat. */
  private mergeSmall(buf: Int32Array, n: number): number[] {
    const parts: number[] = new Array(n);
    for (let k = 0; k < n; k++) parts[k] = buf[k]!;
    const pairs = this.pairs;
    const vals: number[] = new Array(Math.max(0, n - 1));
    for (let k = 0; k + 1 < n; k++) vals[k] = pairs.get(parts[k]!, parts[k + 1]!);
    while (vals.length > 0) {
      let best = 0;
      let bv = vals[0]!;
      for (let k = 1; k < vals.length; k++) {
        if (vals[k]! < bv) {
          bv = vals[k]!;
          best = k;
        }
      }
      if (bv === Infinity) break;
      parts[best] = bv % ID_LIMIT;
      parts.splice(best + 1, 1);
      vals.splice(best, 1);
      if (best > 0) vals[best - 1] = pairs.get(parts[best - 1]!, parts[best]!);
      if (best < vals.length) vals[best] = pairs.get(parts[best]!, parts[best + 1]!);
    }
    return parts;
  }

  /**
   * The same rule for long chunks (a million repeated characters): a doubly linked list of parts
   * and a min-heap of keys rank * 2^31 + position (one float compare orders by rank, then leftmost),
   * with lazy deletion: an entry whose pair has changed since it was pushed is skipped on pop.
   */
  private mergeHeap(buf: Int32Array, n: number): number[] {
    const tok = buf.slice(0, n);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      next[k] = k + 1;
      prev[k] = k - 1;
    }
    const pairs = this.pairs;
    const heap = new KeyHeap(n + 16);
    for (let k = 0; k + 1 < n; k++) {
      const v = pairs.get(tok[k]!, tok[k + 1]!);
      if (v !== Infinity) heap.add(Math.floor(v / ID_LIMIT) * POS_LIMIT + k);
    }
    heap.heapify();
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / POS_LIMIT);
      const k = key - rank * POS_LIMIT;
      const j = next[k]!;
      if (tok[k] === -1 || j >= n) continue;
      const v = pairs.get(tok[k]!, tok[j]!);
      if (v === Infinity || Math.floor(v / ID_LIMIT) !== rank) continue; // stale
      tok[k] = v % ID_LIMIT;
      tok[j] = -1;
      const jn = next[j]!;
      next[k] = jn;
      if (jn < n) prev[jn] = k;
      const p = prev[k]!;
      if (p >= 0) {
        const pv = pairs.get(tok[p]!, tok[k]!);
        if (pv !== Infinity) heap.push(Math.floor(pv / ID_LIMIT) * POS_LIMIT + p);
      }
      if (jn < n) {
        const nv = pairs.get(tok[k]!, tok[jn]!);
        if (nv !== Infinity) heap.push(Math.floor(nv / ID_LIMIT) * POS_LIMIT + k);
      }
    }
    const out: number[] = [];
    for (let k = 0; k < n; k = next[k]!) out.push(tok[k]!);
    return out;
  }

  /** The bytes of ids (special tokens as their UTF-8 text); an unknown id is an error. */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    const { store, start, len } = this;
    let total = 0;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      const n = len[id];
      total += n !== undefined && n > 0 ? n : this.bytesOf(id).length;
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      const n = len[id]!;
      if (n > 0) {
        for (let i = start[id]!, e = i + n; i < e; i++) out[o++] = store[i]!;
      } else {
        const b = this.bytesOf(id);
        out.set(b, o);
        o += b.length;
      }
    }
    return out;
  }

  private bytesOf(id: number): Uint8Array {
    const n = Number.isInteger(id) ? this.len[id] : undefined;
    if (n !== undefined && n > 0) return this.store.subarray(this.start[id]!, this.start[id]! + n);
    const s = this.specialById.get(id);
    if (s !== undefined) return new TextEncoder().encode(s);
    throw new ScratchError(`token id ${id} is not in the vocabulary (ids run from 0 to ${this.vocabSize - 1})`);
  }

  /** The token's bytes, or undefined for a special token or unused id (for inspection). */
  tokenBytesOf(id: number): Uint8Array | undefined {
    const n = this.len[id];
    return n !== undefined && n > 0 ? this.store.subarray(this.start[id]!, this.start[id]! + n) : undefined;
  }

  decode(ids: ArrayLike<number>): string {
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(this.decodeBytes(ids));
  }

  /** A decoder that turns ids into text one at a time, holding back incomplete UTF-8 characters. */
  streamDecoder(): StreamDecoder {
    const dec = new TextDecoder('utf-8', { ignoreBOM: true });
    return {
      push: (id: number) => dec.decode(this.bytesOf(id), { stream: true }),
      flush: () => dec.decode(),
    };
  }

  toJSON(): object {
    const identity = this.byteIds.every((id, b) => id === b);
    return {
      format: FORMAT,
      version: FORMAT_VERSION,
      kind: 'bpe',
      pattern: this.pattern,
      ...(identity ? {} : { byteIds: [...this.byteIds] }),
      // [a, b, id, text of id in GPT-2's printable byte alphabet]: the text is for people (and a
      // corruption check on load).
      merges: this.merges.map(([a, b, id]) => [a, b, id, bytesToPrintable(this.tokenBytesOf(id)!)]),
      specialTokens: Object.fromEntries(this.specialTokens),
    };
  }
}

function check256(byteIds: readonly number[]): void {
  if (!Array.isArray(byteIds) || byteIds.length !== 256) throw new ScratchError(`a byte-level BPE vocabulary needs exactly 256 byte ids, got ${Array.isArray(byteIds) ? byteIds.length : typeof byteIds}`);
}

/** A binary min-heap of float keys (exact integers below 2^53). */
class KeyHeap {
  private keys: Float64Array;
  size = 0;
  constructor(capacity: number) {
    this.keys = new Float64Array(capacity);
  }
  /** Appends without ordering; call heapify() before the first pop. */
  add(key: number): void {
    if (this.size === this.keys.length) this.growTo(this.size * 2);
    this.keys[this.size++] = key;
  }
  heapify(): void {
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.down(i);
  }
  private growTo(cap: number): void {
    const k = new Float64Array(cap);
    k.set(this.keys);
    this.keys = k;
  }
  push(key: number): void {
    if (this.size === this.keys.length) this.growTo(this.size * 2);
    const h = this.keys;
    let i = this.size++;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (h[up]! <= key) break;
      h[i] = h[up]!;
      i = up;
    }
    h[i] = key;
  }
  pop(): number {
    const h = this.keys;
    const top = h[0]!;
    const last = --this.size;
    if (last > 0) {
      h[0] = h[last]!;
      this.down(0);
    }
    return top;
  }
  private down(i: number): void {
    const h = this.keys;
    const n = this.size;
    const key = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]! < h[l]! ? r : l;
      if (h[c]! >= key) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = key;
  }
}
