/**
 * Inspection of a real (short) training run: on text where the next letter can only be read from
 * the token before the current one ("a5b2c9…": the letters cycle, the digits are random), a
 * previous-token head appears and letters and digits separate, so the best previous-token score
 * and the cohesion rise from step 0 to the end. Then the commands over that run, as a user runs
 * them, and their bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './paths.js';
import { createBackend, loadRun, prepareData, readMetrics, readSnapshotIndex, Rng, runEmbeddings, runHeadsOverTime, snapshotSchedule, trainRun, type HeadReport } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'scratchlm-inspect-'));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });

function letterDigits(n: number): string {
  const rng = new Rng(11);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + (i % 26)) + String.fromCharCode(48 + rng.int(10));
  return s;
}

const SHAPE = { nLayer: 2, nHead: 2, nEmbd: 32, blockSize: 16, batchSize: 16, evalIters: 2, lr: 3e-3, warmupIters: 10 };
let ready: Promise<void> | null = null;

function setup(): Promise<void> {
  ready ??= (async () => {
    writeFileSync(join(dir, 'ld.txt'), letterDigits(30000));
    prepareData([join(dir, 'ld.txt')], join(dir, 'data'), { tokenizer: 'char' });
    const backend = await createBackend({ kernels: 'auto', threads: 1 });
    const base = { dataDir: join(dir, 'data'), backend, availableMemory: 2 ** 30 };
    await trainRun({ ...base, outDir: join(dir, 'run'), overrides: { ...SHAPE, maxIters: 120, evalInterval: 60, snapshots: 4, probes: 'a1b2|c|q' } });
    // the same 12 steps with and without inspection
    await trainRun({ ...base, outDir: join(dir, 'with'), overrides: { ...SHAPE, maxIters: 12, evalInterval: 4, snapshots: 6, probes: 'a1b|2' } });
    await trainRun({ ...base, outDir: join(dir, 'without'), overrides: { ...SHAPE, maxIters: 12, evalInterval: 4, snapshots: 0, probes: '' } });
  })();
  return ready;
}

const best = (heads: readonly HeadReport[]) => Math.max(...heads.map((h) => h.scores.previous));

test('a short real run: cohesion and the best previous-token score rise from step 0 to the end; probes in metrics.jsonl', { timeout: 120_000 }, async () => {
  await setup();
  const run = join(dir, 'run');
  const index = readSnapshotIndex(run);
  assert.deepEqual(index.map((e) => e.step), [0, 2, 10, 35, 120]);
  const backend = await createBackend({ kernels: 'ref' });
  const e = runEmbeddings(loadRun(run, { backend }))!;
  assert.deepEqual(e.result.groups.map((g) => g.name), ['lowercase', 'digits']);
  const coh = e.result.snapshots.map((s) => s.cohesion);
  const hot = runHeadsOverTime(run);
  const prev = hot.map((s) => best(s.heads));
  console.log(`# cohesion by snapshot: ${coh.map((c) => c.toFixed(3)).join(' ')}; best previous-token score: ${prev.map((p) => p.toFixed(3)).join(' ')}`);
  assert.ok(Math.abs(coh[0]!) < 0.1, `cohesion at step 0: ${coh[0]}`);
  assert.ok(coh[coh.length - 1]! > coh[0]! + 0.2, `cohesion ${coh.join(', ')}`);
  assert.ok(prev[prev.length - 1]! > prev[0]! + 0.2, `best previous-token score ${prev.join(', ')}`);
  assert.match(hot[hot.length - 1]!.heads.find((h) => h.scores.previous === prev[prev.length - 1])!.label, /previous-token head/);
  // probes: p("c" after "a1b2") measured at every evaluation, and it grows
  const evals = readMetrics(run).filter((r) => r.eval);
  assert.deepEqual(evals.map((r) => r.iter), [0, 60, 120]);
  const pc = evals.map((r) => (r.probes as { candidates: { text: string; prob: number }[] }[])[0]!.candidates[0]!);
  assert.equal(pc[0]!.text, 'c');
  assert.ok(pc[2]!.prob > pc[0]!.prob, `p('c'): ${pc.map((c) => c.prob).join(', ')}`);
});

test('snapshots and probes change nothing in training: the same losses with and without them', { timeout: 120_000 }, async () => {
  await setup();
  const losses = (r: string) => readMetrics(join(dir, r)).map((m) => [m.iter, m.train_loss, m.val_loss ?? null]);
  assert.deepEqual(losses('with'), losses('without'));
  assert.deepEqual(readSnapshotIndex(join(dir, 'with')).map((e) => e.step), snapshotSchedule(12, 6));
  assert.equal(readSnapshotIndex(join(dir, 'without')).length, 0);
});

test('the commands over a run: next, neighbors, lens, attention, embeddings, report (--json shapes)', { timeout: 120_000 }, async () => {
  await setup();
  const next = cli(['next', '--run', 'run', '--prompt', 'a1b2', '--top', '3', '--candidates', 'c|q|c5', '--json']);
  assert.equal(next.status, 0, next.stderr);
  const n = JSON.parse(next.stdout);
  assert.deepEqual(Object.keys(n).sort(), ['candidates', 'notes', 'prompt', 'promptTokens', 'top']);
  assert.deepEqual(Object.keys(n.top[0]).sort(), ['id', 'prob', 'token']);
  assert.deepEqual(n.candidates.map((c: { text: string }) => c.text), ['c', 'q', 'c5']);
  assert.deepEqual(Object.keys(n.candidates[0]).sort(), ['logprob', 'prob', 'rank', 'text', 'tokens']);
  assert.equal(n.candidates[2].tokens.length, 2);
  assert.ok(Math.abs(n.candidates[0].prob - Math.exp(n.candidates[0].logprob)) < 1e-12);
  assert.equal(n.top[0].token, 'c'); // the model learned the cycle
  const text = cli(['next', '--run', 'run', '--prompt', 'a1b2', '--top', '99']);
  assert.equal(text.status, 0);
  assert.match(text.stderr, /note: --top 99 is more than the vocabulary's 36 tokens: showing all 36/);

  const nb = cli(['neighbors', '--run', 'run', '--token', 'b', '--top', '3', '--json']);
  assert.equal(nb.status, 0, nb.stderr);
  assert.deepEqual(Object.keys(JSON.parse(nb.stdout).neighbors[0]).sort(), ['cosine', 'id', 'token']);

  const lens = cli(['lens', '--run', 'run', '--prompt', 'a1b2', '--json']);
  assert.equal(lens.status, 0, lens.stderr);
  assert.deepEqual(JSON.parse(lens.stdout).layers.map((l: { layer: number }) => l.layer), [0, 1, 2]);

  const att = cli(['attention', '--run', 'run', '--prompt', 'a1b2c3d4', '--out', 'attn.svg', '--json']);
  assert.equal(att.status, 0, att.stderr);
  const a = JSON.parse(att.stdout);
  assert.equal(a.heads.length, 4);
  assert.deepEqual(Object.keys(a.heads[0]).sort(), ['entropy', 'head', 'label', 'layer', 'scores']);
  assert.deepEqual(Object.keys(a.heads[0].scores).sort(), ['first', 'induction', 'previous', 'self']);
  assert.equal(a.overTraining.length, 5);
  const svg = readFileSync(join(dir, 'attn.svg'), 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal(svg.match(/<g class="head"/g)!.length, 4);

  const emb = cli(['embeddings', '--run', 'run', '--out', 'map.svg']);
  assert.equal(emb.status, 0, emb.stderr);
  assert.match(emb.stdout, /36 tokens; groups: lowercase \(26\), digits \(10\)/);
  assert.equal(readFileSync(join(dir, 'map.svg'), 'utf8').match(/<g class="frame"/g)!.length, 5);
  const ej = JSON.parse(cli(['embeddings', '--run', 'run', '--groups', 'abc|123', '--json']).stdout);
  assert.deepEqual(ej.groups, [{ name: 'group 1', tokens: ['a', 'b', 'c'] }, { name: 'group 2', tokens: ['1', '2', '3'] }]);

  const rep = cli(['report', '--run', 'run']);
  assert.equal(rep.status, 0, rep.stderr);
  const html = readFileSync(join(dir, 'run', 'report.html'), 'utf8');
  for (const h of ['Loss', 'probes during training', 'Token embeddings over training', 'Attention heads over training', 'Logit lens', 'A sample']) assert.ok(html.includes(h), h);
  assert.ok(!/<script|https?:\/\/(?!www\.w3\.org)/.test(html), 'self-contained: no scripts, no links');
});

test('bad input: one line each, no stack trace', { timeout: 120_000 }, async () => {
  await setup();
  const fails = (args: string[], re: RegExp) => {
    const r = cli(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  };
  fails(['next', '--run', 'run', '--prompt', 'a1', '--candidates', 'ZZ|b'], /the candidate "ZZ" has a character the char tokenizer cannot encode: "Z" \(U\+005A\)/);
  fails(['neighbors', '--run', 'run', '--token', 'é'], /"é" is not a token of this char vocabulary \(36 ids\); closest in the vocabulary: "e"/);
  fails(['embeddings', '--run', 'without'], /no embedding snapshots .*train again \(e\.g\. with --snapshots 10\)/);
  fails(['attention', '--run', 'run', '--prompt', 'ab', '--out', 'x.png'], /--out must name an \.svg or \.html file/);
  fails(['next', '--run', 'nowhere', '--prompt', 'a'], /^scratchlm: /);
  // a prompt longer than the block: the last 16 tokens, said on stderr; an empty prompt: stated fallback
  const long = cli(['lens', '--run', 'run', '--prompt', letterDigits(20), '--json']);
  assert.equal(long.status, 0, long.stderr);
  assert.match(long.stderr, /the prompt is 40 tokens, longer than the 16 the model reads: using its last 16/);
  assert.equal(JSON.parse(long.stdout).promptTokens, 16);
  const empty = cli(['next', '--run', 'run', '--prompt', '']);
  assert.equal(empty.status, 0, empty.stderr);
  assert.match(empty.stderr, /the prompt is empty: starting from/);
  // a checkpoint whose tokenizer is gone: the other checkpoint is used, and said; both gone: one line
  const dropTokenizer = (which: string) => {
    const meta = JSON.parse(readFileSync(join(dir, 'with', `${which}.json`), 'utf8'));
    delete meta.tokenizer;
    delete meta.sha256.meta;
    meta.version = 1; // before checksummed JSON: the edit itself goes unnoticed, the missing tokenizer does not
    writeFileSync(join(dir, 'with', `${which}.json`), JSON.stringify(meta));
  };
  dropTokenizer('best');
  const fallback = cli(['next', '--run', 'with', '--prompt', 'a']);
  assert.equal(fallback.status, 0, fallback.stderr);
  assert.match(fallback.stderr, /tokenizer missing.*using the latest checkpoint/);
  dropTokenizer('latest');
  fails(['next', '--run', 'with', '--prompt', 'a'], /tokenizer missing/);
  assert.ok(existsSync(join(dir, 'with', 'latest.json')));
});
