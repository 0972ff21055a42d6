/**
 * Side by side: scratchlm's training step against PyTorch's on the same machine, in alternating
 * runs so both see the same load. A benchmark, not a test (CI has no PyTorch).
 *
 *   apt-get install python3-torch libopenblas0-openmp
 *   node dist/bench/vs-pytorch.js --preset baby --threads 2 --rounds 3 --iters 20 [--kernels wasm]
 *
 * With --generate: ms per generated token, greedy at batch 1 after a 16-token prompt, both with a
 * KV cache (bench/pytorch_generate.py against `scratchlm bench generate`), presets baby and gpt2.
 * PyTorch runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (OpenBLAS then picks its
 * AVX-512 kernels itself); the core it chose is printed.
 *
 *   node dist/bench/vs-pytorch.js --generate --preset gpt2 --threads 1 --rounds 3 [--tokens 64]
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
    generate: { type: 'boolean' },
    tokens: { type: 'string' },
    'prompt-tokens': { type: 'string', default: '16' },
    help: { type: 'boolean' },
  },
});
// --help runs nothing, after parseArgs has refused any unknown flag (test/readme-shell.test.ts checks the README's lines so)
if (values.help) {
  console.log('usage: node dist/bench/vs-pytorch.js [--generate] [--preset baby|shakespeare|gpt2] [--threads N] [--rounds N] [--iters N] [--kernels K] [--tokens N] [--prompt-tokens N]');
  process.exit(0);
}

/** Runs a benchmark process; `unset` names variables of this environment it must not see. */
function runJson(cmd: string, args: string[], env: NodeJS.ProcessEnv, unset: string[] = []): { ms_per_iter: number; tokens_per_s: number; openblas_core?: string } {
  const full: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of unset) delete full[k];
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: full });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function generate(): void {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: values.threads, LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-openmp' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const tok = values.tokens ? ['--tokens', values.tokens] : [];
  const common = ['--preset', values.preset!, '--threads', values.threads!, '--prompt-tokens', values['prompt-tokens']!, ...tok];
  const json = (cmd: string, args: string[], e: NodeJS.ProcessEnv): Record<string, number | string> => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: e });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };
  const rows: { t: Record<string, number | string>; s: Record<string, number | string> }[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    const t = json('/usr/bin/python3', [join(repo, 'bench', 'pytorch_generate.py'), ...common], env);
    const s = json(process.execPath, [join(repo, 'dist', 'cli', 'main.js'), 'bench', 'generate', ...common, '--kernels', values.kernels!, '--json'], process.env);
    rows.push({ t, s });
    console.log(
      `round ${round + 1}: pytorch ${(t.ms_per_token as number).toFixed(2)} ms/token (median step ${(t.median_ms as number).toFixed(2)}, cpu ${(t.cpu_ms_per_token as number).toFixed(2)}, peak ${Math.round(t.peak_rss_mb as number)} MiB, OpenBLAS core ${t.openblas_core}), ` +
        `scratchlm ${(s.ms_per_token as number).toFixed(2)} ms/token (median step ${(s.median_ms as number).toFixed(2)}, cpu ${(s.cpu_ms_per_token as number).toFixed(2)}, peak ${s.peak_rss_mb} MiB)`,
    );
  }
  const m = (f: (r: (typeof rows)[number]) => number) => med(rows.map(f));
  const a = m((r) => r.s.ms_per_token as number);
  const b = m((r) => r.t.ms_per_token as number);
  const am = m((r) => r.s.median_ms as number);
  const bm = m((r) => r.t.median_ms as number);
  const ac = m((r) => r.s.cpu_ms_per_token as number);
  const bc = m((r) => r.t.cpu_ms_per_token as number);
  const w = rows[0]!.s.weights_mb as number;
  console.log(
    `${values.preset}, ${values.threads} thread(s), ${rows[0]!.s.tokens} tokens after ${values['prompt-tokens']}: scratchlm ${a.toFixed(2)} ms/token, PyTorch ${b.toFixed(2)} ms/token, ratio ${(a / b).toFixed(2)} ` +
      `(median steps ${am.toFixed(2)} vs ${bm.toFixed(2)}, ratio ${(am / bm).toFixed(2)}; processor time ${ac.toFixed(2)} vs ${bc.toFixed(2)} ms/token, ratio ${(ac / bc).toFixed(2)}); peak RSS scratchlm ${m((r) => r.s.peak_rss_mb as number)} MiB = ${(m((r) => r.s.peak_rss_mb as number) / w).toFixed(2)} x fp32 weights (${w} MiB), PyTorch ${Math.round(m((r) => r.t.peak_rss_mb as number))} MiB; OpenBLAS core ${rows[0]!.t.openblas_core}`,
  );
}

const ours: number[] = [];
const torch: number[] = [];
let core = '?';
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
if (values.generate) {
  generate();
  process.exit(0);
}
for (let round = 0; round < Number(values.rounds); round++) {
  const t = runJson('/usr/bin/python3', [join(repo, 'bench', 'pytorch_step.py'), '--preset', values.preset!, '--iters', values.iters!, '--threads', values.threads!], {
    OMP_NUM_THREADS: values.threads,
    LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-openmp',
  }, ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']); // OpenBLAS picks its own (AVX-512) kernels
  core = (t as { blas_core?: string }).blas_core ?? core;
  const s = runJson(process.execPath, [join(repo, 'dist', 'cli', 'main.js'), 'bench', 'train', '--preset', values.preset!, '--iters', values.iters!, '--threads', values.threads!, '--kernels', values.kernels!, '--json'], {});
  torch.push(t.ms_per_iter);
  ours.push(s.ms_per_iter);
  console.log(`round ${round + 1}: pytorch ${t.ms_per_iter.toFixed(1)} ms, scratchlm ${s.ms_per_iter.toFixed(1)} ms`);
}
const a = med(ours);
const b = med(torch);
console.log(`${values.preset}, ${values.threads} thread(s): scratchlm ${a.toFixed(1)} ms/step, PyTorch ${b.toFixed(1)} ms/step, ratio ${(a / b).toFixed(2)}; OpenBLAS core ${core}`);
