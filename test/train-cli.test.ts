/**
 * The training commands as a user runs them (child processes): prepare → train → sample / eval,
 * exact resume (after --max-iters and after a real SIGTERM), bad input, and a shortened main job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, SHARED } from './paths.js';
import { GPT, Rng, createBackend, estimateMemory, gptConfig, loadRun, openDataFolder, saveHfGpt2 } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'scratchlm-cli-'));
const cli = (args: string[], cwd = dir) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
const TINY = ['--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '4', '--eval-interval', '5', '--eval-iters', '2', '--warmup-iters', '2', '--lr-decay-iters', '40'];

function corpus(): string {
  const shk = join(SHARED, 'data', 'tinyshakespeare.txt');
  if (existsSync(shk)) return readFileSync(shk, 'utf8').slice(0, 60000);
  const words = ['the', 'king', 'said', 'to', 'his', 'lord', 'and', 'queen', 'of', 'night', 'a', 'fair', 'day'];
  let s = '';
  for (let i = 0; s.length < 60000; i++) s += words[(i * 7 + (i >> 3)) % words.length] + (i % 11 === 10 ? '.\n' : ' ');
  return s;
}

const losses = (run: string) =>
  readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => !r.eval).map((r) => [r.iter, r.train_loss]);

test('prepare makes a data folder; train writes config, metrics, loss curve and checkpoints', () => {
  writeFileSync(join(dir, 'text.txt'), corpus());
  const p = cli(['prepare', 'text.txt', '--tokenizer', 'char', '--out', 'data']);
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /train \+ \d+ val tokens, char tokenizer/);
  for (const f of ['train.bin', 'val.bin', 'tokenizer.json', 'meta.json']) assert.ok(existsSync(join(dir, 'data', f)), f);
  const r = cli(['train', '--data', 'data', '--out', 'runs/straight', ...TINY, '--max-iters', '20', '--dropout', '0.1', '--grad-accum', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /step 20\/20 loss/); // plain lines when not a terminal
  assert.match(r.stdout, /step 20\/20 loss \S+ val \d\.\d{4} @15 /); // the val column says when it was measured
  const files = readdirSync(join(dir, 'runs/straight'));
  for (const f of ['config.json', 'metrics.jsonl', 'loss.svg', 'latest.json', 'best.json']) assert.ok(files.includes(f), f);
  assert.ok(files.some((f) => /^latest-000020\.safetensors$/.test(f)));
  const m = readFileSync(join(dir, 'runs/straight/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const step = m.find((x) => !x.eval);
  for (const k of ['iter', 'train_loss', 'lr', 'ms']) assert.equal(typeof step[k], 'number', k);
  assert.equal(m.filter((x) => x.eval && typeof x.val_loss === 'number').length, 5); // steps 0, 5, 10, 15, 20
  const cfg = JSON.parse(readFileSync(join(dir, 'runs/straight/config.json'), 'utf8'));
  assert.equal(cfg.nEmbd, 16);
  assert.equal(cfg.gradAccum, 2);
  assert.match(readFileSync(join(dir, 'runs/straight/loss.svg'), 'utf8'), /<polyline/);
});

test('--resume after --max-iters 10 gives bitwise the same losses as 20 steps straight', () => {
  const a = cli(['train', '--data', 'data', '--out', 'runs/halves', ...TINY, '--max-iters', '10', '--dropout', '0.1', '--grad-accum', '2']);
  assert.equal(a.status, 0, a.stderr);
  const b = cli(['train', '--out', 'runs/halves', '--resume', '--max-iters', '20']); // the data folder named in config.json
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /resuming runs\/halves at step 10/);
  assert.deepEqual(losses('runs/halves'), losses('runs/straight'));
  assert.equal(losses('runs/halves').length, 20);
  const c = cli(['train', '--data', 'data', '--out', 'runs/halves', '--resume', '--lr', '0.5']);
  assert.equal(c.status, 1);
  assert.match(c.stderr, /^scratchlm: --resume cannot change 'lr'/);
});

test('baby-fast (every recipe option, Muon, warmup-stable-decay) trains, resumes bitwise (Muon momentum in the checkpoint), samples', () => {
  const FAST = ['--preset', 'baby-fast', ...TINY, '--n-embd', '16', '--lr-decay-iters', '12'];
  const a = cli(['train', '--data', 'data', '--out', 'runs/fast', ...FAST, '--max-iters', '12']);
  assert.equal(a.status, 0, a.stderr);
  const h = cli(['train', '--data', 'data', '--out', 'runs/fast-halves', ...FAST, '--max-iters', '6']);
  assert.equal(h.status, 0, h.stderr);
  const b = cli(['train', '--out', 'runs/fast-halves', '--resume', '--max-iters', '12']);
  assert.equal(b.status, 0, b.stderr);
  assert.deepEqual(losses('runs/fast-halves'), losses('runs/fast'));
  const first = losses('runs/fast')[0]![1] as number;
  const last = losses('runs/fast').at(-1)![1] as number;
  assert.ok(last < first - 0.1, `loss ${first} → ${last}`);
  const cfg = JSON.parse(readFileSync(join(dir, 'runs/fast/config.json'), 'utf8'));
  assert.deepEqual([cfg.positions, cfg.norm, cfg.qkNorm, cfg.mlp, cfg.tieEmbeddings, cfg.optimizer, cfg.schedule], ['rope', 'rmsnorm', true, 'relu2', false, 'muon', 'wsd']);
  const s = cli(['sample', '--run', 'runs/fast', '--max-tokens', '20', '--seed', '3']);
  assert.equal(s.status, 0, s.stderr);
  assert.ok(s.stdout.length >= 10, s.stdout);
});

test('a batch that does not fit in --max-memory runs as equal pieces: the same losses as the whole batch', () => {
  const V = openDataFolder(join(dir, 'data')).tokenizer.vocabSize;
  const model = gptConfig({ vocabSize: V, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, bias: false });
  const between = (estimateMemory(model, 2, 16).total + estimateMemory(model, 4, 16).total) / 2 / 1024 ** 3; // fits 2, not 4
  const whole = cli(['train', '--data', 'data', '--out', 'runs/whole', ...TINY, '--max-iters', '10']);
  assert.equal(whole.status, 0, whole.stderr);
  const split = cli(['train', '--data', 'data', '--out', 'runs/pieces', ...TINY, '--max-iters', '10', '--max-memory', String(between)]);
  assert.equal(split.status, 0, split.stderr);
  assert.match(split.stdout, /batch 4×1 \(run as 2 pieces of 2 to fit in memory; the same step\)/);
  const all = (run: string) => readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const [a, b] = [all('runs/whole'), all('runs/pieces')];
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    for (const k of ['train_loss', 'val_loss'] as const) {
      if (a[i][k] === undefined) continue;
      assert.ok(Math.abs(a[i][k] - b[i][k]) < 1e-5, `step ${a[i].iter} ${k}: ${a[i][k]} whole, ${b[i][k]} in pieces`);
    }
  }
});

test('SIGTERM saves a checkpoint and exits cleanly; resuming repeats the uninterrupted losses', async () => {
  const args = ['train', '--data', 'data', '--out', 'runs/killed', ...TINY, '--max-iters', '2000', '--dropout', '0.1', '--grad-accum', '2'];
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const metrics = join(dir, 'runs/killed/metrics.jsonl');
  while (!(existsSync(metrics) && readFileSync(metrics, 'utf8').split('\n').length > 8)) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGTERM');
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 0, out);
  assert.match(out, /stopped at step \d+; checkpoint saved/);
  const k = JSON.parse(readFileSync(join(dir, 'runs/killed/latest.json'), 'utf8')).step;
  assert.ok(k > 0 && k < 2000, String(k));
  const r = cli(['train', '--data', 'data', '--out', 'runs/killed', '--resume', '--max-iters', String(k + 10)]);
  assert.equal(r.status, 0, r.stderr);
  // the same run never interrupted (the schedule does not depend on maxIters)
  const s = cli(['train', '--data', 'data', '--out', 'runs/unkilled', ...TINY, '--max-iters', String(k + 10), '--dropout', '0.1', '--grad-accum', '2']);
  assert.equal(s.status, 0, s.stderr);
  assert.equal(losses('runs/killed').length, k + 10);
  assert.deepEqual(losses('runs/killed'), losses('runs/unkilled'));
});

test('sample streams text (same seed → same text); eval prints loss and perplexity per split', () => {
  const s1 = cli(['sample', '--run', 'runs/straight', '--max-tokens', '40', '--seed', '7', '--prompt', 'the ']);
  assert.equal(s1.status, 0, s1.stderr);
  assert.ok(s1.stdout.startsWith('the ') && s1.stdout.length >= 44);
  const s2 = cli(['sample', '--run', 'runs/straight', '--max-tokens', '40', '--seed', '7', '--prompt', 'the ']);
  assert.equal(s2.stdout, s1.stdout);
  // several prompts and samples, batched, as JSON with log-probabilities; a stop string ends the text
  const knobs = ['--max-tokens', '12', '--top-k', '10', '--min-p', '0.01', '--repetition-penalty', '1.2'];
  const j = cli(['sample', '--run', 'runs/straight', ...knobs, '--prompt', 'the ', '--prompt', 'a', '--num-samples', '2', '--json', '--logprobs', '3']);
  assert.equal(j.status, 0, j.stderr);
  const rows = j.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((o) => [o.prompt, o.sample]), [['the ', 0], ['the ', 1], ['a', 0], ['a', 1]]);
  for (const o of rows) {
    assert.equal(o.tokens.length, 12);
    assert.equal(o.finish_reason, 'length');
    assert.equal(o.logprobs.length, 12);
    assert.equal(o.logprobs[0].top.length, 3);
  }
  const stop = rows[0].text.slice(2, 4);
  const st = cli(['sample', '--run', 'runs/straight', ...knobs, '--prompt', 'the ', '--stop', stop, '--json']);
  const cut = JSON.parse(st.stdout);
  assert.equal(cut.finish_reason, 'stop');
  assert.equal(cut.text, rows[0].text.slice(0, rows[0].text.indexOf(stop)));
  const e = cli(['eval', '--run', 'runs/straight', '--data', 'data']);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /train loss \d\.\d{4} {2}perplexity \d+\.\d\d/);
  assert.match(e.stdout, /val {3}loss \d\.\d{4} {2}perplexity/);
});

test('--init-from a run folder starts from its weights', () => {
  const r = cli(['train', '--data', 'data', '--out', 'runs/tuned', '--init-from', 'runs/straight', ...TINY, '--max-iters', '2', '--eval-interval', '2']);
  assert.equal(r.status, 0, r.stderr);
  const first = JSON.parse(readFileSync(join(dir, 'runs/tuned/metrics.jsonl'), 'utf8').split('\n')[0]);
  const fresh = JSON.parse(readFileSync(join(dir, 'runs/straight/metrics.jsonl'), 'utf8').split('\n')[0]);
  assert.ok(first.val_loss < fresh.val_loss - 0.05, `${first.val_loss} vs ${fresh.val_loss}`);
});

test('--init-from a recipe run takes its architecture (positions, norm, qkNorm, mlp, head, soft-cap) and refuses to change it', async () => {
  const recipe = ['--positions', 'rope', '--norm', 'rmsnorm', '--qk-norm', '--mlp', 'relu2', '--no-tie-embeddings', '--logit-softcap', '15', '--mlp-hidden', '24'];
  const src = cli(['train', '--data', 'data', '--out', 'runs/recipe-src', ...TINY, ...recipe, '--lr', '1e-2', '--max-iters', '6', '--eval-interval', '6']);
  assert.equal(src.status, 0, src.stderr);
  // no recipe flags (a plain baby run would be GPT-2 style: learned positions, layernorm, gelu, tied), no steps
  const r = cli(['train', '--data', 'data', '--out', 'runs/recipe-tuned', '--init-from', 'runs/recipe-src', ...TINY, '--max-iters', '0']);
  assert.equal(r.status, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(join(dir, 'runs/recipe-tuned/config.json'), 'utf8'));
  assert.deepEqual([cfg.positions, cfg.norm, cfg.qkNorm, cfg.mlp, cfg.mlpHidden, cfg.tieEmbeddings, cfg.logitSoftcap], ['rope', 'rmsnorm', true, 'relu2', 24, false, 15]);
  // the source's best weights, every tensor (the untied head and the norm gains too), in a model of the same config
  const backend = await createBackend({ kernels: 'ref' });
  const [a, b] = [loadRun(join(dir, 'runs/recipe-src'), { backend }), loadRun(join(dir, 'runs/recipe-tuned'), { backend })];
  assert.deepEqual(b.model.config, a.model.config);
  assert.deepEqual(b.model.params.specs.map((s) => s.name), a.model.params.specs.map((s) => s.name));
  for (const s of a.model.params.specs) assert.deepEqual(b.model.params.get(s.name).data, a.model.params.get(s.name).data, s.name);
  assert.ok(b.model.params.specs.some((s) => s.name === 'lm_head.weight'));
  const bad = cli(['train', '--data', 'data', '--out', 'runs/recipe-bad', '--init-from', 'runs/recipe-src', ...TINY, '--mlp', 'gelu']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /'mlp' is relu2 in that model; it cannot be changed to gelu/);
  assert.ok(!existsSync(join(dir, 'runs/recipe-bad')), 'nothing written');
});

test('--init-from a Hugging Face GPT-2 folder: its shape, the gpt2 tokenizer, a shorter block size', () => {
  const hf = join(dir, 'hf-gpt2');
  saveHfGpt2(new GPT({ vocabSize: 50257, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 8, bias: true }, { rng: new Rng(3) }), hf);
  assert.equal(cli(['prepare', 'text.txt', '--tokenizer', 'gpt2', '--out', 'data-gpt2']).status, 0);
  const r = cli(['train', '--data', 'data-gpt2', '--out', 'runs/from-hf', '--init-from', hf, '--block-size', '16', '--batch-size', '2', '--max-iters', '2', '--eval-interval', '2', '--eval-iters', '1']);
  assert.equal(r.status, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(join(dir, 'runs/from-hf/config.json'), 'utf8'));
  assert.deepEqual([cfg.nLayer, cfg.nHead, cfg.nEmbd, cfg.bias, cfg.blockSize, cfg.vocabSize], [1, 2, 8, true, 16, 50257]);
  const bad = cli(['train', '--data', 'data-gpt2', '--out', 'runs/from-hf2', '--init-from', hf, '--n-layer', '3']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /'nLayer' is 1 in that model; it cannot be changed to 3/);
});

test('bad input: one line saying what is wrong, no half-written files', () => {
  const one = (r: ReturnType<typeof cli>, re: RegExp) => {
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  };
  one(cli(['train', '--data', 'data', '--out', 'runs/x', '--learning-rate', '1']), /unknown option '--learning-rate'/);
  one(cli(['train', '--data', 'data', '--out', 'runs/x', '--batch-size', 'many']), /--batch-size must be a whole number from 1 to 65536, got 'many'/);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ lr: 1e-3, momentum: 0.9 }));
  one(cli(['train', '--data', 'data', '--out', 'runs/x', '--config', 'bad.json']), /bad\.json: unknown setting 'momentum'/);
  one(cli(['train', '--data', 'data', '--out', 'runs/x', ...TINY, '--block-size', '100000']), /block size 100000 needs windows of 100001 tokens, but the train data has 54000/);
  one(cli(['train', '--data', 'data', '--out', 'runs/x', ...TINY, '--max-memory', '0.00001']), /needs about 0\.\d+ GiB .*only 0\.000 GiB is available/);
  one(cli(['train', '--data', 'data', '--out', 'runs/straight', ...TINY]), /already holds a run; continue it with --resume/);
  writeFileSync(join(dir, 'afile'), 'x');
  one(cli(['train', '--data', 'data', '--out', 'afile/run', ...TINY, '--max-iters', '1']), /afile\/run: .*choose another --out/);
  one(cli(['sample', '--run', 'runs/none']), /no checkpoint 'latest'/);
  one(cli(['train', '--data', 'nodata', '--out', 'runs/x']), /not a prepared data folder/);
  // a data folder made with another tokenizer than the run
  mkdirSync(join(dir, 'other'), { recursive: true });
  writeFileSync(join(dir, 'other.txt'), 'xyz zyx '.repeat(2000) + '0123456789');
  assert.equal(cli(['prepare', 'other.txt', '--out', 'other']).status, 0);
  one(cli(['train', '--data', 'other', '--out', 'runs/straight', '--resume']), /other was prepared with another tokenizer/);
  one(cli(['eval', '--run', 'runs/straight', '--data', 'other']), /other was prepared with another tokenizer/);
  // a Hugging Face folder needs the gpt2 tokenizer
  one(cli(['train', '--data', 'data', '--out', 'runs/hf', '--init-from', join(import.meta.dirname ?? '', '..', '..', 'test', 'fixtures', 'deep-narrow')]), /needs the gpt2 tokenizer/);
  // a corrupt checkpoint
  const run = join(dir, 'runs/halves');
  const meta = JSON.parse(readFileSync(join(run, 'latest.json'), 'utf8'));
  const w = readFileSync(join(run, meta.files.weights));
  w[w.length - 1] ^= 0xff;
  writeFileSync(join(run, meta.files.weights), w);
  one(cli(['sample', '--run', 'runs/halves', '--checkpoint', 'latest']), /corrupt checkpoint file \(its SHA-256 does not match/);
  // the loss becomes NaN/inf: stop, name the step, keep the last good checkpoint
  const nan = cli(['train', '--data', 'data', '--out', 'runs/nan', ...TINY, '--lr', '1e30', '--warmup-iters', '0', '--grad-clip', '0', '--max-iters', '50']);
  one(nan, /became (NaN|Infinity|-Infinity) at step \d+; training stopped; the last good checkpoint \(step 0\) is kept/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'runs/nan/latest.json'), 'utf8')).step, 0);
  assert.deepEqual(readdirSync(join(dir, 'runs/nan')).filter((f) => f.includes('.tmp')), []);
});

test('more bad input: negative values, sampler options, prepare leftovers, edited checkpoints, resume limits', () => {
  const one = (r: ReturnType<typeof cli>, re: RegExp) => {
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  };
  // a negative value after a space is the setting's own error, not parseArgs' 'ambiguous'
  one(cli(['train', '--data', 'data', '--out', 'runs/x', '--lr', '-1']), /--lr must be a number ≥ 0, got '-1'/);
  one(cli(['train', '--data', 'data', '--out', 'runs/x', '--lr', '0x10']), /--lr must be a number ≥ 0, got '0x10'/);
  one(cli(['train', '--data', 'data', '--out', 'runs/x', '--nope', '1']), /unknown option '--nope'.*run 'npx scratchlm train --help'/);
  writeFileSync(join(dir, 'huge.json'), '{"seed": 1e400}');
  one(cli(['train', '--data', 'data', '--out', 'runs/x', '--config', 'huge.json']), /'seed' must be an integer, got Infinity/);
  // sampler options are checked before anything is printed
  for (const [flag, value, re] of [['--max-tokens', '0', /≥ 1/], ['--top-k', '0', /top-k must be a whole number ≥ 1/], ['--top-p', '0', /top-p must be in \(0, 1\]/], ['--max-tokens', '-5', /≥ 1/], ['--min-p', '2', /min-p must be in \[0, 1\]/], ['--presence-penalty', '3', /presence penalty must be in \[-2, 2\]/], ['--logprobs', '2', /--logprobs needs --json/]] as const) {
    const r = cli(['sample', '--run', 'runs/straight', '--prompt', 'the ', flag, value]);
    one(r, re);
    assert.equal(r.stdout, '', `${flag} ${value} printed ${JSON.stringify(r.stdout)}`);
  }
  // prepare: a folder as the corpus, and failures that leave no folder behind
  one(cli(['prepare', 'runs', '--out', 'p1']), /runs: is a folder, expected a text file/);
  writeFileSync(join(dir, 'empty.txt'), '');
  writeFileSync(join(dir, 'latin1.txt'), Buffer.concat([Buffer.from('x'.repeat(120)), Buffer.from([0xe9]), Buffer.from('abc')]));
  one(cli(['prepare', 'empty.txt', '--out', 'p2']), /no text/);
  one(cli(['prepare', 'latin1.txt', '--out', 'p3']), /latin1\.txt: not valid UTF-8 \(first bad byte at offset 120\)/);
  one(cli(['prepare', 'empty.txt', '--out', 'deep/er/p4']), /no text/);
  writeFileSync(join(dir, 'euro.txt'), 'abc\n€ cd');
  one(cli(['prepare', 'euro.txt', '--tokenizer', 'data', '--out', 'p6']), /euro\.txt: character '€' \(U\+20AC\) at byte offset 4 is not in the tokenizer's vocabulary of \d+ characters/);
  one(cli(['prepare', 'euro.txt', '--tokenizer', 'nonesuch', '--out', 'p7']), /nonesuch: no such file, nor a tokenizer name; accepted: gpt2, char/);
  for (const p of ['p1', 'p2', 'p3', 'deep', 'p6', 'p7']) assert.ok(!existsSync(join(dir, p)), `${p} was left behind`);
  // '--' ends the options: a file name that looks like a negative number
  writeFileSync(join(dir, '-5.txt'), readFileSync(join(dir, 'text.txt')));
  assert.equal(cli(['prepare', '--out', 'p5', '--', '-5.txt']).status, 0);
  // an edited checkpoint description is caught by its own checksum
  cpSync(join(dir, 'runs/straight'), join(dir, 'runs/edited'), { recursive: true });
  const edited = join(dir, 'runs/edited/best.json');
  writeFileSync(edited, readFileSync(edited, 'utf8').replace(/"step": (\d+)/, (_, n) => `"step": ${Number(n) - 1}`));
  one(cli(['sample', '--run', 'runs/edited', '--checkpoint', 'best']), /best\.json: corrupt checkpoint \(its SHA-256 does not match its contents.*--checkpoint latest/);
  writeFileSync(edited, readFileSync(edited, 'utf8').replace('"version": 2', '"version": 1')); // relabelled as the old format
  one(cli(['sample', '--run', 'runs/edited', '--checkpoint', 'best']), /best\.json: corrupt checkpoint \(its SHA-256 does not match/);
  // --init-from falls back to the sound latest checkpoint
  const from = cli(['train', '--data', 'data', '--out', 'runs/from-edited', '--init-from', 'runs/edited', ...TINY, '--max-iters', '1', '--eval-interval', '1', '--eval-iters', '1']);
  assert.equal(from.status, 0, from.stderr);
  // resuming to a step behind the run's
  one(cli(['train', '--out', 'runs/straight', '--resume', '--max-iters', '5']), /at step 20 already; --max-iters 5 is behind it/);
  // the run keeps its tokenizer: data prepared with it matches the run
  assert.ok(existsSync(join(dir, 'runs/straight/tokenizer.json')));
  assert.equal(JSON.parse(readFileSync(join(dir, 'runs/straight/config.json'), 'utf8')).preset, 'baby');
  assert.equal(cli(['prepare', 'text.txt', '--tokenizer', 'runs/straight', '--out', 'data-again']).status, 0);
  assert.equal(readFileSync(join(dir, 'data-again/tokenizer.json'), 'utf8'), readFileSync(join(dir, 'data/tokenizer.json'), 'utf8'));
});

test('a reader that goes away (sample | head) ends the output quietly, exit 0', async () => {
  const child = spawn(process.execPath, [CLI, 'sample', '--run', 'runs/straight', '--max-tokens', '100000'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise<void>((r) => child.stdout.once('data', () => r()));
  child.stdout.destroy();
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 0, err);
  assert.equal(err, '');
});

test('the main job, shortened: `scratchlm train` with no data prepares the Brown corpus, trains, prints a sample', () => {
  const work = join(dir, 'main-job');
  mkdirSync(work);
  const r = cli(['train', '--max-iters', '3', '--eval-interval', '3', '--eval-iters', '1', '--sample-tokens', '30'], work);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /prepared the Brown corpus/);
  assert.match(r.stdout, /training into runs\/brown: /);
  assert.match(r.stdout, /sample \(npx scratchlm sample --run runs\/brown\)/);
  assert.match(r.stdout, /English words: \d+ %/);
  assert.match(r.stdout, /learning report: runs\/brown\/report\.html/);
  assert.ok(readFileSync(join(work, 'runs/brown/report.html'), 'utf8').includes('I drink coffee every'), 'the Brown probes in the report');
  assert.match(r.stdout, /learning its BPE vocabulary: /);
  assert.match(r.stdout, /bpe tokenizer \(16384 ids\)/);
  assert.ok(existsSync(join(work, 'data/brown/brown.txt')));
  assert.ok(existsSync(join(work, 'data/brown/bpe16384/train.bin')));
  const meta = JSON.parse(readFileSync(join(work, 'data/brown/bpe16384/meta.json'), 'utf8'));
  // 5.4 M characters of train text at ~4.3 characters a token
  assert.deepEqual([meta.tokenizer, meta.vocabSize], ['bpe', 16384]);
  assert.ok(meta.train > 1_100_000 && meta.train < 1_500_000, String(meta.train));
  const again = cli(['train', '--max-iters', '1', '--eval-interval', '1', '--eval-iters', '1', '--sample-tokens', '0'], work);
  assert.equal(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /prepared the Brown corpus/);
  assert.match(again.stdout, /training into runs\/brown-2/);
});
