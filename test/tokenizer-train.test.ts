/**
 * BPE training: minbpe's worked example, a brute-force recount as the oracle for the incremental
 * counts, round trips for trained vocabularies, and bad input.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ScratchError, pretokenize, trainBpe, utf8BytesOf } from './tokenizer-helpers.js';
import { SHARED } from './paths.js';
import { trickyText } from './tokenizer-strings.js';

const shakespeare = readFileSync(resolve(SHARED, 'data', 'tinyshakespeare.txt'), 'utf8');

test("minbpe's worked example: 'aaabdaaabac' with 3 merges encodes as [258, 100, 258, 97, 99]", () => {
  const { tokenizer, merges } = trainBpe('aaabdaaabac', 256 + 3);
  assert.equal(merges, 3);
  assert.deepEqual(tokenizer.encode('aaabdaaabac'), [258, 100, 258, 97, 99]);
  assert.equal(tokenizer.decode([258, 100, 258, 97, 99]), 'aaabdaaabac');
});

/** minbpe's loop, no cleverness: recount all pairs of all chunks, merge, repeat. */
function bruteForceMaxCounts(chunks: number[][], merges: ReadonlyArray<readonly [number, number, number]>): { chosen: number; max: number }[] {
  const out: { chosen: number; max: number }[] = [];
  let words = chunks.map((c) => [...c]);
  for (const [a, b, id] of merges) {
    const counts = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.length; i++) counts.set(`${w[i]},${w[i + 1]}`, (counts.get(`${w[i]},${w[i + 1]}`) ?? 0) + 1);
    out.push({ chosen: counts.get(`${a},${b}`) ?? 0, max: Math.max(...counts.values()) });
    words = words.map((w) => {
      const r: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          r.push(id);
          i++;
        } else r.push(w[i]!);
      }
      return r;
    });
  }
  return out;
}

test('every merge is a most frequent pair by a full recount (incremental counts are right)', () => {
  for (const text of [shakespeare.slice(0, 20_000), 'aaaaaaaa bbbb aaaa abab ababab aaa\n\n  ' .repeat(20), 'x'.repeat(300) + ' ' + 'xy'.repeat(100)]) {
    const { tokenizer } = trainBpe(text, 256 + 150);
    const chunks = pretokenize(text).map((c) => [...utf8BytesOf(c)]);
    const steps = bruteForceMaxCounts(chunks, tokenizer.merges);
    steps.forEach(({ chosen, max }, r) => assert.equal(chosen, max, `merge ${r} has count ${chosen}, but a pair occurs ${max} times`));
  }
});

test('trained vocabularies round-trip every valid string, including text unlike the corpus', () => {
  const { tokenizer, merges } = trainBpe(shakespeare, 1024);
  assert.equal(merges, 1024 - 256);
  assert.equal(tokenizer.vocabSize, 1024);
  assert.equal(tokenizer.decode(tokenizer.encode(shakespeare)), shakespeare);
  assert.ok(tokenizer.encode(shakespeare).length < shakespeare.length / 2, 'merges compress the corpus');
  const gpt4 = trainBpe(shakespeare.slice(0, 100_000), 600, { pattern: 'gpt4' }).tokenizer;
  fc.assert(
    fc.property(trickyText(), (s) => {
      if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) return;
      assert.equal(tokenizer.decode(tokenizer.encode(s)), s);
      assert.equal(gpt4.decode(gpt4.encode(s)), s);
    }),
    { numRuns: 2000, seed: 7 },
  );
});

test('merges never cross chunks: no learned token spans a letter and a following space-word', () => {
  const { tokenizer } = trainBpe(shakespeare.slice(0, 50_000), 700);
  for (const [, , id] of tokenizer.merges) {
    const text = new TextDecoder().decode(tokenizer.tokenBytesOf(id)!);
    assert.equal(pretokenize(text).length <= 1 || text.includes('\uFFFD'), true, `token ${JSON.stringify(text)} spans chunks`);
  }
});

test('training is deterministic and special tokens take the last ids', () => {
  const a = trainBpe(shakespeare.slice(0, 30_000), 400, { specialTokens: ['<|endoftext|>', '<|pad|>'] });
  const b = trainBpe(shakespeare.slice(0, 30_000), 400, { specialTokens: ['<|endoftext|>', '<|pad|>'] });
  assert.deepEqual(a.tokenizer.toJSON(), b.tokenizer.toJSON());
  assert.deepEqual([...a.tokenizer.specialTokens], [['<|endoftext|>', 398], ['<|pad|>', 399]]);
  assert.equal(a.tokenizer.vocabSize, 400);
  const text = 'First<|endoftext|>Second';
  assert.deepEqual(a.tokenizer.encode(text, { allowedSpecial: 'all' }).filter((id) => id >= 398), [398]);
  assert.equal(a.tokenizer.decode(a.tokenizer.encode(text, { allowedSpecial: 'all' })), text);
  assert.throws(() => a.tokenizer.encode(text), ScratchError);
});

test('more merges than the corpus allows: trains what is possible and says so', () => {
  const r = trainBpe('hello hello', 10_000);
  // chunks "hello" and " hello": at most 4 + 5 merges
  assert.ok(r.merges <= 9 && r.merges > 0);
  assert.equal(r.tokenizer.vocabSize, 256 + r.merges);
  assert.match(r.warning ?? '', /allows only \d+ merges/);
  assert.deepEqual(r.tokenizer.encode('hello hello').length, 2);
  assert.equal(trainBpe('hello hello', 258).warning, undefined);
});

test('bad input: empty corpus, vocabulary too small, bad special tokens', () => {
  assert.throws(() => trainBpe('', 300), (e: unknown) => e instanceof ScratchError && /empty/.test(e.message));
  assert.throws(() => trainBpe(['', ''], 300), ScratchError);
  assert.throws(() => trainBpe('abc', 255), (e: unknown) => e instanceof ScratchError && /at least 256/.test(e.message));
  assert.throws(() => trainBpe('abc', 257, { specialTokens: ['<a>', '<b>'] }), (e: unknown) => e instanceof ScratchError && /at least 258/.test(e.message));
  assert.throws(() => trainBpe('abc', 300, { specialTokens: ['<a>', '<a>'] }), ScratchError);
  assert.throws(() => trainBpe('abc', 300.5), ScratchError);
  // A corpus of only special tokens is empty too.
  assert.throws(() => trainBpe('<a><a>', 300, { specialTokens: ['<a>'] }), ScratchError);
});
