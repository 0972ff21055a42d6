/**
 * Bugs found by using scratchlm as a new user would (issue 14), each as the user meets it in the
 * command line: prepare --out into folders that hold other things, --resume and sample with a
 * damaged checkpoint, and Ctrl-C during prepare.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './paths.js';

const dir = mkdtempSync(join(tmpdir(), 'scratchlm-newuser-'));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
const TINY = ['--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '4', '--eval-interval', '5', '--eval-iters', '2', '--warmup-iters', '2', '--lr-decay-iters', '40', '--sample-tokens', '0'];
const text = (n: number, seed = 1) => {
  let s = '', x = seed;
  const words = ['the', 'king', 'said', 'to', 'his', 'lord', 'and', 'queen', 'of', 'night', 'a', 'fair', 'day'];
  while (s.length < n) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += words[x % words.length] + ((x >> 8) % 9 === 0 ? '.\n' : ' ');
  }
  return s;
};
const lossesOf = (run: string) =>
  readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => !r.eval).map((r) => [r.iter, r.train_loss]);
const oneLine = (s: string) => assert.equal(s.trim().split('\n').length, 1, s);
const flipByte = (path: string, at: number) => {
  const b = readFileSync(path);
  b[at] ^= 0x40;
  writeFileSync(path, b);
};

test('prepare --out: refuses a run folder, a data folder (naming its run) and a foreign folder; --force replaces and says so', () => {
  writeFileSync(join(dir, 'a.txt'), text(30000));
  writeFileSync(join(dir, 'b.txt'), text(30000, 7) + 'XYZ');
  assert.equal(cli(['prepare', 'a.txt', '--out', 'data']).status, 0);
  const t = cli(['train', '--data', 'data', '--out', 'runs/r1', ...TINY, '--max-iters', '10']);
  assert.equal(t.status, 0, t.stderr);
  const tokBefore = readFileSync(join(dir, 'runs/r1/tokenizer.json'), 'utf8');
  // into the run folder: refused, even with --force, and nothing in it changes
  for (const force of [[], ['--force']]) {
    const r = cli(['prepare', 'b.txt', '--out', 'runs/r1', ...force]);
    assert.equal(r.status, 1);
    oneLine(r.stderr);
    assert.match(r.stderr, /^scratchlm: runs\/r1 is a run folder .*prepare never writes into one: choose another --out/);
  }
  assert.equal(readFileSync(join(dir, 'runs/r1/tokenizer.json'), 'utf8'), tokBefore);
  // into the data folder the run trained on: refused, naming the run
  const d = cli(['prepare', 'b.txt', '--out', 'data']);
  assert.equal(d.status, 1);
  oneLine(d.stderr);
  assert.match(d.stderr, /^scratchlm: data already holds prepared data \(\d+ train \+ \d+ val tokens, char tokenizer with \d+ ids\), which the run runs\/r1 trained on; pass --force to replace it/);
  const meta = readFileSync(join(dir, 'data/meta.json'), 'utf8');
  assert.equal(readFileSync(join(dir, 'data/meta.json'), 'utf8'), meta);
  // --force replaces it and says so, naming the run
  const f = cli(['prepare', 'b.txt', '--out', 'data', '--force']);
  assert.equal(f.status, 0, f.stderr);
  assert.match(f.stderr, /prepare: replacing the prepared data in data \(.*\), which the run runs\/r1 trained on; resuming them needs the same tokenizer/);
  assert.notEqual(readFileSync(join(dir, 'data/meta.json'), 'utf8'), meta);
  // a folder with files of its own
  mkdirSync(join(dir, 'mine'));
  writeFileSync(join(dir, 'mine/notes.txt'), 'keep me');
  const m = cli(['prepare', 'a.txt', '--out', 'mine']);
  assert.equal(m.status, 1);
  assert.match(m.stderr, /^scratchlm: mine is not empty and not a scratchlm data folder \(it holds notes\.txt\); pass --force/);
  assert.deepEqual(readdirSync(join(dir, 'mine')), ['notes.txt']);
  const mf = cli(['prepare', 'a.txt', '--out', 'mine', '--force']);
  assert.equal(mf.status, 0, mf.stderr);
  assert.equal(readFileSync(join(dir, 'mine/notes.txt'), 'utf8'), 'keep me');
  // a folder a killed prepare left (only its own files, no meta.json): prepared again without --force
  mkdirSync(join(dir, 'killed'));
  writeFileSync(join(dir, 'killed/all.bin.tmp-99999'), 'partial');
  writeFileSync(join(dir, 'killed/train.bin'), 'partial');
  const k = cli(['prepare', 'a.txt', '--out', 'killed']);
  assert.equal(k.status, 0, k.stderr);
  assert.deepEqual(readdirSync(join(dir, 'killed')).sort(), ['meta.json', 'tokenizer.json', 'train.bin', 'val.bin']);
});

test('--resume with a damaged latest resumes from best and says so; with both damaged the advice names fixes that exist', () => {
  assert.equal(cli(['prepare', 'a.txt', '--out', 'data2']).status, 0);
  const straight = cli(['train', '--data', 'data2', '--out', 'runs/straight', ...TINY, '--max-iters', '20']);
  assert.equal(straight.status, 0, straight.stderr);
  const half = cli(['train', '--data', 'data2', '--out', 'runs/dmg', ...TINY, '--max-iters', '10']);
  assert.equal(half.status, 0, half.stderr);
  const latest = JSON.parse(readFileSync(join(dir, 'runs/dmg/latest.json'), 'utf8'));
  const best = JSON.parse(readFileSync(join(dir, 'runs/dmg/best.json'), 'utf8'));
  flipByte(join(dir, 'runs/dmg', latest.files.weights), 200);
  const r = cli(['train', '--out', 'runs/dmg', '--resume', '--max-iters', '20']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`scratchlm: runs/dmg: ${latest.files.weights} does not match its SHA-256: resuming from the best checkpoint \\(step ${best.step}\\)`));
  assert.match(r.stdout, new RegExp(`resuming runs/dmg at step ${best.step}`));
  assert.deepEqual(lossesOf('runs/dmg'), lossesOf('runs/straight')); // exact from any sound checkpoint
  // now both damaged: one line, no advice to use a sound checkpoint (there is none)
  const l2 = JSON.parse(readFileSync(join(dir, 'runs/dmg/latest.json'), 'utf8'));
  flipByte(join(dir, 'runs/dmg', l2.files.optimizer), 100);
  writeFileSync(join(dir, 'runs/dmg/best.json'), readFileSync(join(dir, 'runs/dmg/best.json'), 'utf8').slice(0, 50));
  const both = cli(['train', '--out', 'runs/dmg', '--resume', '--max-iters', '30']);
  assert.equal(both.status, 1);
  oneLine(both.stderr);
  assert.match(both.stderr, /^scratchlm: runs\/dmg: every checkpoint is damaged \(latest-000020\.optim\.safetensors does not match its SHA-256; best\.json: not valid JSON\); nothing sound is left to load: restore the folder from a backup, or start a new run \(npx scratchlm train --data <folder> --out <new folder>\)/);
  assert.doesNotMatch(both.stderr, /--init-from|--checkpoint/);
  // sample needs no optimizer moments: latest's weights are sound, so it samples from them
  const s = cli(['sample', '--run', 'runs/dmg', '--max-tokens', '5']);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stderr, /^scratchlm: runs\/dmg: best\.json: not valid JSON: using the latest checkpoint \(step 20\) instead/);
});

test('sample with a best.json that is not valid JSON falls back to latest and says so', () => {
  writeFileSync(join(dir, 'runs/straight/best.json'), '{"format": "scratchlm-checkpoint", "step": 1');
  const s = cli(['sample', '--run', 'runs/straight', '--max-tokens', '20', '--seed', '3']);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stderr, /^scratchlm: runs\/straight: best\.json: not valid JSON: using the latest checkpoint \(step 20\) instead\n$/);
  assert.ok(s.stdout.length > 5);
  const e = cli(['sample', '--run', 'runs/straight', '--checkpoint', 'best']);
  assert.equal(e.status, 1);
  oneLine(e.stderr);
  assert.match(e.stderr, /best\.json: corrupt checkpoint \(not valid JSON\); sample and eval can use the other one \(--checkpoint latest\)/);
});

test('Ctrl-C during prepare removes its temporary files and the folder it made', async () => {
  writeFileSync(join(dir, 'big.txt'), text(24 << 20));
  const child = spawn(process.execPath, [CLI, 'prepare', 'big.txt', '--out', 'made/data'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  // wait until it is writing its temporary token file, then interrupt
  const t0 = Date.now();
  while (!(existsSync(join(dir, 'made/data')) && readdirSync(join(dir, 'made/data')).some((f) => f.includes('.tmp-')))) {
    if (Date.now() - t0 > 60000) throw new Error(`no temporary file appeared: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 130, err);
  assert.match(err, /scratchlm: made\/data: prepare interrupted; removed its temporary files and the folder made it made \(SIGINT\)/);
  assert.equal(existsSync(join(dir, 'made')), false);
});
