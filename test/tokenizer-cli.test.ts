/** scratchlm tokenizer train|encode|decode, as a user types them. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { get_encoding } from 'tiktoken';
import { CLI, SHARED } from './paths.js';

const dir = mkdtempSync(join(tmpdir(), 'scratchlm-tokcli-'));
const TS = resolve(SHARED, 'data', 'tinyshakespeare.txt');

function cli(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [CLI, 'tokenizer', ...args], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('encode with gpt2 writes the ids as one JSON array (file or stdin); decode reverses it', () => {
  const text = readFileSync(TS, 'utf8').slice(0, 20_000) + ' 😀';
  const src = join(dir, 'in.txt');
  writeFileSync(src, text);
  const fromFile = cli(['encode', '--tokenizer', 'gpt2', src]);
  assert.equal(fromFile.code, 0, fromFile.err);
  const ids = JSON.parse(fromFile.out) as number[];
  const ref = get_encoding('gpt2');
  assert.deepEqual(ids, Array.from(ref.encode(text)));
  ref.free();
  assert.deepEqual(JSON.parse(cli(['encode', '--tokenizer', 'gpt2'], text).out), ids);
  const idsFile = join(dir, 'ids.json');
  writeFileSync(idsFile, fromFile.out);
  assert.equal(cli(['decode', '--tokenizer', 'gpt2', idsFile]).out, text);
  assert.equal(cli(['decode', '--tokenizer', 'gpt2'], fromFile.out).out, text);
});

test('special tokens: an error by default, --allowed-special all or none', () => {
  const text = 'a<|endoftext|>b';
  const denied = cli(['encode', '--tokenizer', 'gpt2'], text);
  assert.equal(denied.code, 1);
  assert.match(denied.err, /^scratchlm: the text contains the special token "<\|endoftext\|>".*--allowed-special all/);
  assert.ok(JSON.parse(cli(['encode', '--tokenizer', 'gpt2', '--allowed-special', 'all'], text).out).includes(50256));
  assert.ok(!JSON.parse(cli(['encode', '--tokenizer', 'gpt2', '--allowed-special', 'none'], text).out).includes(50256));
});

test('train writes a tokenizer file that encode and decode use; char needs a corpus', () => {
  const out = join(dir, 'tok.json');
  const r = cli(['train', TS, '--vocab-size', '400', '--out', out, '--special', '<|endoftext|>']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /trained 143 merges \(vocabulary 400\)/);
  const text = 'To be, or not to be<|endoftext|>';
  const ids = cli(['encode', '--tokenizer', out, '--allowed-special', 'all'], text);
  assert.equal(ids.code, 0, ids.err);
  assert.ok(JSON.parse(ids.out).includes(399));
  assert.equal(cli(['decode', '--tokenizer', out], ids.out).out, text);
  const hf = join(dir, 'hf.json');
  assert.equal(cli(['train', TS, '--vocab-size', '300', '--out', hf, '--hf']).code, 0);
  assert.equal(JSON.parse(readFileSync(hf, 'utf8')).model.type, 'BPE');
  assert.equal(cli(['decode', '--tokenizer', hf], cli(['encode', '--tokenizer', hf], 'hello').out).out, 'hello');
  const chars = cli(['encode', '--tokenizer', 'char', '--corpus', TS], 'hello');
  assert.equal(chars.code, 0, chars.err);
  assert.equal(JSON.parse(chars.out).length, 5);
  assert.match(cli(['encode', '--tokenizer', 'char'], 'x').err, /needs --corpus/);
});

test('bad input: one line, exit code 1, no file written', () => {
  const latin1 = join(dir, 'latin1.txt');
  writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  const out = join(dir, 'never.json');
  const cases: [string[], string | Buffer | undefined, RegExp][] = [
    [['train', latin1, '--vocab-size', '300', '--out', out], undefined, /latin1\.txt: not valid UTF-8/],
    [['train', TS, '--vocab-size', '100', '--out', out], undefined, /vocabulary size 100 is too small/],
    [['train', TS, '--out', out], undefined, /--vocab-size/],
    [['encode', '--tokenizer', 'gpt2'], Buffer.from([0xff]), /stdin: not valid UTF-8/],
    [['decode', '--tokenizer', 'gpt2'], '[1, 2, "x"]', /array of integer token ids/],
    [['decode', '--tokenizer', 'gpt2'], '[99999999]', /not in the vocabulary/],
    [['decode', '--tokenizer', 'gpt2'], 'nope', /expected a JSON array/],
    [['encode', '--tokenizer', join(dir, 'missing.json')], 'x', /missing\.json: no such file/],
    [['encode', '--tokenizer', 'gpt2', '--bogus'], 'x', /unknown option '--bogus'/],
    [['frobnicate'], undefined, /tokenizer has no subcommand 'frobnicate' \(expected train, encode or decode\)/],
  ];
  for (const [args, input, re] of cases) {
    const r = cli(args, input);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
  }
  assert.equal(existsSync(out), false);
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '');
  const e = cli(['train', empty, '--vocab-size', '300', '--out', out]);
  assert.match(e.err, /corpus is empty/);
  const few = cli(['train', TS, '--vocab-size', '100000', '--out', join(dir, 'all.json')]);
  assert.equal(few.code, 0);
  assert.match(few.err, /warning: the corpus allows only \d+ merges/);
});
