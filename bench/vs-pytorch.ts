/**
 * Side by side: scratchlm's training step against PyTorch's on the same machine, in alternating
 * runs so both see the same load. A benchmark, not a test (CI has no PyTorch).
 *
 *   apt-get install python3-torch libopenblas0-openmp
 *   node dist/bench/vs-pytorch.js --preset baby --threads 2 --rounds 3 --iters 20 [--kernels wasm]
 *
 * The environment sets OPENBLAS_CORETYPE=Haswell and OPENBLAS_L2_SIZE; the PyTorch command runs
 * with both unset (this command only), so OpenBLAS picks its AVX-512 kernels, and the core it
 * chose (openblas_get_corename(): Cooperlake or SkylakeX here) is printed with the results.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'baby' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    iters: { type: 'string', default: '20' },
    kernels: { type: 'string', default: 'auto' },
  },
});

function runJson(cmd: string, args: string[], env: NodeJS.ProcessEnv, unset: string[] = []): { ms_per_iter: number; tokens_per_s: number; blas_core?: string } {
  const full = { ...process.env, ...env };
  for (const k of unset) delete full[k];
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: full });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

let core = 'unknown';
/** --kernels takes a comma list (e.g. native,wasm): each runs in every round, alternating with PyTorch. */
const kinds = values.kernels!.split(',');
const ours: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
const names: Record<string, string> = {};
const peak: Record<string, number> = {};
const torch: number[] = [];
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (let round = 0; round < Number(values.rounds); round++) {
  const t = runJson('/usr/bin/python3', [join(repo, 'bench', 'pytorch_step.py'), '--preset', values.preset!, '--iters', values.iters!, '--threads', values.threads!], {
    OMP_NUM_THREADS: values.threads,
    LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-openmp',
    // the environment forces OpenBLAS's Haswell kernels; unset here (and only here) it picks AVX-512 ones
  }, ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']);
  core = t.blas_core ?? core;
  torch.push(t.ms_per_iter);
  const line = [`round ${round + 1}: pytorch ${t.ms_per_iter.toFixed(1)} ms (OpenBLAS core ${core})`];
  for (const kind of kinds) {
    const s = runJson(process.execPath, [join(repo, 'dist', 'cli', 'main.js'), 'bench', 'train', '--preset', values.preset!, '--iters', values.iters!, '--threads', values.threads!, '--kernels', kind, '--json'], {}) as { ms_per_iter: number; kernels?: string; peak_rss_mb?: number };
    ours[kind]!.push(s.ms_per_iter);
    names[kind] = s.kernels ?? kind;
    peak[kind] = Math.max(peak[kind] ?? 0, s.peak_rss_mb ?? 0);
    line.push(`${names[kind]} ${s.ms_per_iter.toFixed(1)} ms`);
  }
  console.log(line.join(', '));
}
const b = med(torch);
for (const kind of kinds) {
  const a = med(ours[kind]!);
  console.log(`${values.preset}, ${values.threads} thread(s): scratchlm ${names[kind]} ${a.toFixed(1)} ms/step (peak RSS ${peak[kind]} MiB), PyTorch ${b.toFixed(1)} ms/step (OpenBLAS ${core}), ratio ${(a / b).toFixed(2)}`);
}
