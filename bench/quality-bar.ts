/**
 * The `baby` quality bar seed by seed: trains scratchlm's `baby` preset (and, with --system pytorch,
 * the same recipe in PyTorch, bench/pytorch_baby_train.py) on tinyshakespeare for each seed and
 * prints the val loss at step 2000, then the mean, spread and how many seeds meet the bar.
 * A benchmark, not a test: one scratchlm run takes about 4.5 minutes on one thread.
 *
 *   node dist/bench/quality-bar.js --system scratchlm --seeds 1337,1,2,3 [--threads 1] [--out FILE.jsonl]
 *   node dist/bench/quality-bar.js --system pytorch --seeds 1337,1,2,3        # needs Debian's python3-torch
 *   node dist/bench/quality-bar.js --summary FILE.jsonl [FILE.jsonl ...]     # table of earlier results
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
  },
});

interface Result {
  system: string;
  seed: number;
  val_loss: number;
  seconds: number;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

function scratchlm(seed: number, data: string, work: string): Result {
  const out = join(work, `seed-${seed}`);
  const t0 = Date.now();
  run(process.execPath, [cli, 'train', '--data', data, '--out', out, '--preset', 'baby', '--threads', values.threads!, '--seed', String(seed)]);
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const last = rows.filter((r) => r.iter === 2000 && typeof r.val_loss === 'number').pop();
  if (!last) throw new Error(`no evaluation at step 2000 in ${out}/metrics.jsonl`);
  return { system: 'scratchlm', seed, val_loss: last.val_loss, seconds: (Date.now() - t0) / 1000 };
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

if (values.summary) {
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
      console.log(`${r.system} seed ${seed}: val loss ${r.val_loss.toFixed(4)} at step 2000 (${r.seconds.toFixed(0)} s)`);
      if (values.out) appendFileSync(values.out, JSON.stringify(r) + '\n');
      rmSync(join(work, `seed-${seed}`), { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  summarise(results);
}
