/** The main job's English measure (issue 13): words of 4+ letters found in the corpus's word list. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { letterWords, medianOf, wordList, wordShare } from '../src/index.js';

test('letterWords: maximal runs of ASCII letters, lowercased, with a minimum length', () => {
  assert.deepEqual(letterWords("His the buindation's 1961 aparain, guid-to THE national."), ['his', 'the', 'buindation', 's', 'aparain', 'guid', 'to', 'the', 'national']);
  assert.deepEqual(letterWords("His the buindation's aparain guid-to national", 4), ['buindation', 'aparain', 'guid', 'national']);
  assert.deepEqual(letterWords('12 -- ?!'), []);
});

test('wordShare: the share of 4+-letter sample words that the corpus has', () => {
  const vocab = wordList('The national guard. His foundation, to the NATION.');
  assert.ok(vocab.has('national') && vocab.has('nation') && vocab.has('his'));
  const r = wordShare('His the buindation aparain guid to the national', vocab);
  assert.deepEqual(r, { words: 4, known: 1, share: 0.25 }); // buindation, aparain, guid, national
  assert.deepEqual(wordShare('a to of it', vocab), { words: 0, known: 0, share: 0 });
  assert.equal(wordShare('National FOUNDATION guard', vocab).share, 1);
});

test('medianOf: odd and even counts', () => {
  assert.equal(medianOf([0.5, 0.1, 0.9]), 0.5);
  assert.equal(medianOf([0.4, 0.1, 0.9, 0.2]), (0.2 + 0.4) / 2);
  assert.ok(Number.isNaN(medianOf([])));
});
