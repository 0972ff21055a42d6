/**
 * The `baby` quality bar seed by seed: trains scratchlm's `baby` preset (and, with --system pytorch,
 * the same recipe in PyTorch, bench/pytorch_baby_train.py) on tinyshakespeare for each seed and
 * prints the val loss at step 2000, then the mean, spread and how many seeds meet the bar.
 * A benchmark, not a test: one scratchlm run takes about 4.5 minutes on one thread.
 *
 *   node dist/bench/quality-bar.js --system scratchlm --seeds 1337,1,2,3 [--threads 1] [--out FILE.jsonl]
 *   node dist/bench/quality-bar.js --system pytorch --seeds 1337,1,2,3        # needs Debian's python3-torch
 *   node dist/bench/quality-bar.js --summary FILE.jsonl [FILE.jsonl ...]     # table of earlier results
 *
 * Recipe ablations (issue 13): --preset and --set pass a preset and settings to `scratchlm train`
 * (--set "positions=rope,norm=rmsnorm,maxIters=1200"), --label names the row, and the val loss
 * is the one at the run's last step. --time measures step times instead, all configurations in
 * one process, alternating, and prints the median CPU ms per step of each (one thread) and its ratio to the first:
 *
 *   node dist/bench/quality-bar.js --preset baby --set positions=rope --label rope --seeds 1,2,3 --out abl.jsonl
 *   node dist/bench/quality-bar.js --time "baby=;rope=positions=rope;fast=@baby-fast" --rounds 5
 *     (each entry label=settings; @NAME starts from preset NAME instead of baby)
 *   node dist/bench/quality-bar.js --ablate "baby=;rope=positions=rope" --budget 168000 --seeds 1,2,3 --out abl.jsonl
 *     (equal compute: each rung runs budget / its measured CPU ms per step steps; --kernels wasm|native|ref)
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BAR = 1.89;
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const cli = join(repo, 'dist', 'cli', 'main.js');
const corpus = join(process.env.SCRATCHLM_SHARED ?? join(repo, '..', 'shared'), 'data', 'tinyshakespeare.txt');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    system: { type: 'string', default: 'scratchlm' },
    seeds: { type: 'string', default: '1337' },
    threads: { type: 'string', default: '1' },
    out: { type: 'string' },
    summary: { type: 'boolean', default: false },
    preset: { type: 'string', default: 'baby' },
    set: { type: 'string', default: '' },
    label: { type: 'string' },
    time: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    steps: { type: 'string', default: '10' },
    kernels: { type: 'string', default: 'wasm' },
    ablate: { type: 'string' },
    budget: { type: 'string' },
    help: { type: 'boolean' },
  },
});
// --help runs nothing, after parseArgs has refused any unknown flag (test/readme-shell.test.ts checks the README's lines so)
if (values.help) {
  console.log('usage: node dist/bench/quality-bar.js [--system scratchlm|pytorch] [--seeds 1337,1,...] [--threads N] [--kernels K] [--preset P] [--set k=v,...] [--label L] [--out FILE.jsonl]\n' +
    '       node dist/bench/quality-bar.js --summary FILE.jsonl ...\n       node dist/bench/quality-bar.js --time "label=settings;..." [--rounds N] [--steps N]\n' +
    '       node dist/bench/quality-bar.js --ablate "label=settings;..." --budget MS --seeds 1,2,3 [--out FILE.jsonl]');
  process.exit(0);
}

/**
 * "a=1,b=rope,qkNorm=true,tieEmbeddings=false" → ['--a', '1', '--b', 'rope', '--qk-norm',
 * '--no-tie-embeddings'] with flag names (maxIters → --max-iters); the CLI's booleans are switches.
 */
function settingFlags(text: string): string[] {
  return text.split(',').filter(Boolean).flatMap((kv) => {
    const [k, v] = kv.split('=');
    const flag = k!.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    return v === 'true' ? ['--' + flag] : v === 'false' ? ['--no-' + flag] : ['--' + flag, v!];
  });
}

interface Result {
  system: string;
  seed: number;
  val_loss: number;
  seconds: number;
  iters?: number;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

function scratchlm(seed: number, data: string, work: string): Result {
  const out = join(work, `seed-${seed}`);
  const t0 = Date.now();
  run(process.execPath, [cli, 'train', '--data', data, '--out', out, '--preset', values.preset!, '--threads', values.threads!, '--kernels', values.kernels!, '--seed', String(seed), ...settingFlags(values.set!)]);
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const evals = rows.filter((r) => typeof r.val_loss === 'number');
  const last = evals[evals.length - 1];
  if (!last) throw new Error(`no evaluation in ${out}/metrics.jsonl`);
  return { system: values.label ?? 'scratchlm', seed, val_loss: last.val_loss, seconds: (Date.now() - t0) / 1000, iters: last.iter };
}

function pytorch(seed: number): Result {
  const line = run('/usr/bin/python3', [join(repo, 'bench', 'pytorch_baby_train.py'), '--seed', String(seed), '--data', corpus], { OMP_NUM_THREADS: '1' });
  const r = JSON.parse(line.trim().split('\n').pop()!);
  return { system: 'pytorch', seed, val_loss: r.val_loss, seconds: r.seconds };
}

function summarise(results: Result[]): void {
  for (const system of [...new Set(results.map((r) => r.system))]) {
    const xs = results.filter((r) => r.system === system).map((r) => r.val_loss);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
    const sorted = [...xs].sort((a, b) => a - b);
    const median = sorted.length % 2 ? sorted[sorted.length >> 1] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    const pass = xs.filter((x) => x <= BAR).length;
    console.log(
      `${system}: ${xs.length} seeds, mean ${mean.toFixed(4)} ± ${(sd / Math.sqrt(xs.length)).toFixed(4)} (sd ${sd.toFixed(4)}), ` +
        `median ${median.toFixed(4)}, min ${sorted[0].toFixed(4)}, max ${sorted[sorted.length - 1].toFixed(4)}, ≤ ${BAR}: ${pass} of ${xs.length}`,
    );
  }
}

/** Median ms per training step of each configuration, measured alternating in this process. */
async function timeConfigs(spec: string, print = true): Promise<{ label: string; settings: string; preset: string; ms: number }[]> {
  const lib = await import('../src/index.js');
  const { resolveRunConfig } = await import('../src/train/config.js');
  const { createOptimizer } = await import('../src/train/muon.js');
  const backend = await lib.createBackend({ kernels: values.kernels as 'wasm', threads: Number(values.threads) });
  const entries = spec.split(';').filter(Boolean).map((e) => {
    const [label, rest = ''] = e.split('=', 1).concat(e.slice(e.indexOf('=') + 1));
    let preset = values.preset!;
    let settings = rest;
    const m = /^@([\w-]+),?(.*)$/.exec(rest);
    if (m) [preset, settings] = [m[1]!, m[2]!];
    const overrides: Record<string, unknown> = {};
    for (const kv of settings.split(',').filter(Boolean)) {
      const [k, v] = kv.split('=');
      overrides[k!] = v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v;
    }
    // vocab=N: the vocabulary size (default 65, Tiny Shakespeare's characters)
    const V = Number(overrides.vocab ?? 65);
    delete overrides.vocab;
    const cfg = resolveRunConfig({ preset, overrides, vocabSize: V });
    const model = new lib.GPT(cfg.model, { backend, rng: new lib.Rng(1) });
    const opt = createOptimizer(model.params, backend, cfg.train);
    const B = cfg.train.batchSize, T = cfg.model.blockSize, rng = new lib.Rng(2);
    const batches = Array.from({ length: cfg.train.gradAccum }, () => {
      const idx = backend.allocI32(B * T), targets = backend.allocI32(B * T);
      for (let i = 0; i < B * T; i++) [idx[i], targets[i]] = [rng.int(V), rng.int(V)];
      return { idx, targets };
    });
    const step = () => lib.trainStep(model, opt, batches, B, T, 1e-4, cfg.train.gradClip);
    return { label: label!, preset, settings, step, ms: [] as number[], tokens: B * T * cfg.train.gradAccum };
  });
  for (const e of entries) for (let i = 0; i < 3; i++) e.step(); // warm-up
  const n = Number(values.steps);
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const e of entries) {
      // CPU time, not wall time: on a shared machine the wall clock mostly measures the neighbours
      // (one thread: every kernel runs on this one, so its CPU time is the step's time on an idle core)
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) e.step();
      const c = process.cpuUsage(c0);
      e.ms.push((c.user + c.system) / 1000 / n);
    }
  }
  const base = lib.median(entries[0]!.ms);
  for (const e of entries) {
    const med = lib.median(e.ms);
    if (print) console.log(JSON.stringify({ label: e.label, cpu_ms_per_step: +med.toFixed(2), ratio: +(med / base).toFixed(3), tokens_per_step: e.tokens, rounds: e.ms.map((x) => +x.toFixed(1)) }));
  }
  (backend as { close?: () => void }).close?.();
  return entries.map((e) => ({ label: e.label, settings: e.settings, preset: e.preset, ms: lib.median(e.ms) }));
}

/**
 * Ablation at equal compute: each rung's CPU ms per step is measured as --time does (alternating,
 * this process), then each rung trains for budget / (its ms per step) steps (its schedule spans
 * those steps) for every seed, and the table gives the last val loss's mean and spread per rung.
 * CPU time, not wall time, sets the step counts: on a shared machine the wall clock measures the
 * neighbours.
 */
async function ablate(spec: string, budgetMs: number, seeds: number[], data: string, work: string): Promise<void> {
  const rungs = await timeConfigs(spec, false);
  const results: Result[] = [];
  for (const r of rungs) {
    const steps = Math.max(1, Math.round(budgetMs / r.ms));
    const settings = [r.settings, `maxIters=${steps}`, `lrDecayIters=${steps}`, `evalInterval=${steps}`].filter(Boolean).join(',');
    for (const seed of seeds) {
      Object.assign(values, { preset: r.preset, set: settings, label: r.label });
      const res = scratchlm(seed, data, work);
      results.push(res);
      const line = { ...res, cpu_ms_per_step: +r.ms.toFixed(2), budget_ms: budgetMs, settings, preset: r.preset, kernels: values.kernels, threads: Number(values.threads) };
      console.log(JSON.stringify(line));
      if (values.out) appendFileSync(values.out, JSON.stringify(line) + '\n');
      rmSync(join(work, `seed-${seed}`), { recursive: true, force: true });
    }
  }
  summarise(results);
}

if (values.time) {
  await timeConfigs(values.time);
} else if (values.ablate) {
  if (!values.budget) throw new Error('--ablate needs --budget MS (CPU ms of training per run, e.g. 2000 baby steps x their ms)');
  const work = mkdtempSync(join(tmpdir(), 'scratchlm-qbar-'));
  try {
    run(process.execPath, [cli, 'prepare', corpus, '--tokenizer', 'char', '--out', join(work, 'data')]);
    await ablate(values.ablate, Number(values.budget), values.seeds!.split(',').map(Number), join(work, 'data'), work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
} else if (values.summary) {
  const results = positionals.flatMap((f) => readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Result));
  summarise(results);
} else {
  if (!existsSync(corpus)) throw new Error(`${corpus} is missing: the shared corpora must sit beside the repository`);
  const seeds = values.seeds!.split(',').map(Number);
  const work = mkdtempSync(join(tmpdir(), 'scratchlm-qbar-'));
  const data = join(work, 'data');
  const results: Result[] = [];
  try {
    if (values.system === 'scratchlm') run(process.execPath, [cli, 'prepare', corpus, '--tokenizer', 'char', '--out', data]);
    for (const seed of seeds) {
      const r = values.system === 'pytorch' ? pytorch(seed) : scratchlm(seed, data, work);
      results.push(r);
      console.log(`${r.system} seed ${seed}: val loss ${r.val_loss.toFixed(4)} at step ${r.iters ?? 2000} (${r.seconds.toFixed(0)} s)`);
      if (values.out) appendFileSync(values.out, JSON.stringify(r) + '\n');
      rmSync(join(work, `seed-${seed}`), { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  summarise(results);
}
