/**
 * The character tokenizer, save/load, Hugging Face tokenizer.json (checked with the `tokenizers`
 * library itself), and bad files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { Tokenizer as HfTokenizer } from 'tokenizers';
import {
  BpeTokenizer,
  CharTokenizer,
  ScratchError,
  gpt2Tokenizer,
  loadTokenizer,
  readText,
  saveTokenizer,
  toHuggingFace,
  tokenizerFromJSON,
  trainBpe,
} from '../src/index.js';
import { SHARED } from './paths.js';
import { trickyText } from './tokenizer-strings.js';

const shakespeare = readFileSync(resolve(SHARED, 'data', 'tinyshakespeare.txt'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'scratchlm-tok-'));

test("character tokenizer: Tiny Shakespeare has 65 characters (nanoGPT's shakespeare_char)", () => {
  const tok = CharTokenizer.fromText(shakespeare);
  assert.equal(tok.vocabSize, 65);
  // nanoGPT: chars = sorted(list(set(data))); stoi = {ch: i}
  const chars = [...new Set(shakespeare)].sort();
  assert.deepEqual(tok.chars, chars);
  assert.deepEqual(tok.encode('hi!'), [chars.indexOf('h'), chars.indexOf('i'), chars.indexOf('!')]);
  const ids = tok.encode(shakespeare);
  assert.equal(ids.length, shakespeare.length);
  assert.equal(tok.decode(ids), shakespeare);
  assert.throws(() => tok.encode('é'), (e: unknown) => e instanceof ScratchError && /U\+00E9/.test(e.message));
  assert.throws(() => tok.decode([65]), ScratchError);
  assert.throws(() => CharTokenizer.fromText(''), ScratchError);
});

test('character tokenizer: code points (astral too) sort and round-trip', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), (s) => {
      const tok = CharTokenizer.fromText(s);
      assert.equal(tok.decode(tok.encode(s)), s);
      const sd = tok.streamDecoder();
      assert.equal(tok.encode(s).map((i) => sd.push(i)).join('') + sd.flush(), s);
      assert.deepEqual((tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON()))) as CharTokenizer).chars, tok.chars);
    }),
    { numRuns: 300, seed: 3 },
  );
  assert.deepEqual(CharTokenizer.fromText('😀a\uffff').chars, ['a', '\uffff', '😀']);
});

test('save → load gives an equal tokenizer (BPE trained, GPT-2, char); writes are atomic', () => {
  const trained = trainBpe(shakespeare.slice(0, 100_000), 500, { specialTokens: ['<|endoftext|>'], pattern: 'gpt4' }).tokenizer;
  const sample = shakespeare.slice(200_000, 230_000) + ' 😀 漢字 <|endoftext|>';
  for (const [name, tok] of [
    ['trained.json', trained],
    ['gpt2.json', gpt2Tokenizer()],
    ['char.json', CharTokenizer.fromText(shakespeare)],
  ] as const) {
    const path = join(dir, name);
    saveTokenizer(tok, path);
    const back = loadTokenizer(path);
    assert.deepEqual(back.toJSON(), tok.toJSON());
    const text = name === 'char.json' ? shakespeare.slice(0, 5000) : sample;
    assert.deepEqual(back.encode(text, { allowedSpecial: 'all' }), tok.encode(text, { allowedSpecial: 'all' }));
  }
  const saved = readFileSync(join(dir, 'trained.json'), 'utf8');
  assert.match(saved, /"version": 1/);
  assert.match(saved, /\n {4}\[32,116,256,"Ġt"\]/, 'one merge per line, with its text');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left');
  assert.throws(() => saveTokenizer(trained, join(dir, 'no-such-dir', 'x.json')), ScratchError);
});

test("Hugging Face tokenizer.json: export → the tokenizers library encodes as we do; import → equal tokenizer", async () => {
  const text = shakespeare.slice(300_000, 330_000);
  const trained = trainBpe(shakespeare.slice(0, 200_000), 800).tokenizer;
  for (const tok of [gpt2Tokenizer(), trained]) {
    const hfJson = JSON.stringify(toHuggingFace(tok));
    const hf = HfTokenizer.fromString(hfJson);
    const enc = await hf.encode(text);
    assert.deepEqual(enc.getIds(), tok.encode(text), 'the tokenizers library agrees with our encoding');
    const back = tokenizerFromJSON(JSON.parse(hfJson), 'tokenizer.json');
    assert.deepEqual(back.toJSON(), tok.toJSON());
  }
  const path = join(dir, 'tokenizer.json');
  writeFileSync(path, JSON.stringify(toHuggingFace(trained)));
  assert.ok(loadTokenizer(path) instanceof BpeTokenizer);
});

test('corrupt or wrong-version tokenizer files fail with one line naming the file and the problem', () => {
  const good = JSON.parse(JSON.stringify(trainBpe('hello world, hello there', 270).tokenizer.toJSON())) as Record<string, unknown>;
  const cases: [string, string, RegExp][] = [
    ['notjson.json', '{"format": "scratchlm-tok', /invalid JSON/],
    ['array.json', '[1, 2]', /JSON object/],
    ['other.json', '{"hello": 1}', /not a scratchlm tokenizer file/],
    ['v2.json', JSON.stringify({ ...good, version: 2 }), /version 2 is not supported/],
    ['kind.json', JSON.stringify({ ...good, kind: 'wordpiece' }), /unknown tokenizer kind/],
    ['merges.json', JSON.stringify({ ...good, merges: [[1, 2]] }), /"merges" must be/],
    ['forward.json', JSON.stringify({ ...good, merges: [[300, 2, 256]] }), /300 is not defined/],
    ['text.json', JSON.stringify({ ...good, merges: (good.merges as unknown[][]).map((m, i) => (i === 0 ? [...m.slice(0, 3), 'zz'] : m)) }), /corrupt/],
    ['dup.json', JSON.stringify({ ...good, specialTokens: { '<x>': 3 } }), /reuses id 3/],
    ['bytes.json', JSON.stringify({ ...good, byteIds: [1, 2, 3] }), /256 byte ids/],
  ];
  for (const [name, content, re] of cases) {
    const path = join(dir, name);
    writeFileSync(path, content);
    assert.throws(
      () => loadTokenizer(path),
      (e: unknown) => e instanceof ScratchError && re.test(e.message) && e.message.startsWith(path) && !e.message.includes('\n'),
      name,
    );
  }
  assert.throws(() => loadTokenizer(join(dir, 'missing.json')), (e: unknown) => e instanceof ScratchError && /no such file/.test(e.message));
});

test('readText: non-UTF-8 is a clear error, never replacement characters', () => {
  const bad = join(dir, 'latin1.txt');
  writeFileSync(bad, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
  assert.throws(() => readText(bad), (e: unknown) => e instanceof ScratchError && /not valid UTF-8.*0xe9 at offset 3/.test(e.message));
  const bom = join(dir, 'bom.txt');
  writeFileSync(bom, '\uFEFFhi');
  assert.equal(readText(bom), '\uFEFFhi', 'a byte-order mark is text and is kept');
  fc.assert(
    fc.property(trickyText(), (s) => {
      if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) return;
      writeFileSync(bom, s);
      assert.equal(readText(bom), s);
    }),
    { numRuns: 100, seed: 5 },
  );
});

test("a custom pre-tokenizer pattern that leaves text between matches: the same ids as Hugging Face's tokenizers on the exported tokenizer.json (Split 'Isolated')", async () => {
  for (const pattern of ['[a-z]+', ' ?\\p{L}+', '\\d']) {
    const tok = trainBpe('the cat sat on the mat 123 '.repeat(20), 270, { pattern }).tokenizer;
    const hf = HfTokenizer.fromString(JSON.stringify(toHuggingFace(tok)));
    for (const text of ['the cat 😀 sat, 42!', '\n\n  x', 'abc-d 12']) {
      assert.deepEqual(tok.encode(text), (await hf.encode(text)).getIds(), `${pattern} on ${JSON.stringify(text)}`);
      assert.equal(tok.decode(tok.encode(text)), text);
    }
  }
});

test('a tokenizer file with an empty special token is refused with one line (found by the fuzz watchdog: encoding hung)', () => {
  const tok = trainBpe('the cat sat on the mat '.repeat(20), 270).tokenizer;
  const hf = toHuggingFace(tok) as { added_tokens: object[] };
  hf.added_tokens.push({ id: 270, content: '', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-emptyspecial-'));
  const path = join(dir, 'tokenizer.json');
  writeFileSync(path, JSON.stringify(hf));
  assert.throws(() => loadTokenizer(path), (e: unknown) => e instanceof ScratchError && e.message.startsWith(path) && /a special token must be a non-empty string/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => new BpeTokenizer({ pattern: 'gpt2', byteIds: Array.from({ length: 256 }, (_, b) => b), merges: [], specialTokens: new Map([['', 256]]) }), ScratchError);
});
