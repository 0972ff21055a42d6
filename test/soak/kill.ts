/**
 * kill -9 at random moments (SQLite's crash testing, for scratchlm's runs): a training run is
 * SIGKILLed again and again, during steps, evaluations and checkpoint writes, and resumed each
 * time; at the end its loss curve must equal an uninterrupted run's, no temporary file may be
 * left, and every checkpoint seen after every kill must load. The same for prepare: re-running
 * after a kill gives the same files. test/soak.test.ts runs a short version; `npm run soak` 20+.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../paths.js';
import { GPT, Rng, buildRunConfig, hasCheckpoint, loadCheckpointWeights, readCheckpointMeta, readMetrics, refBackend, tokenizerFromJSON } from '../../src/index.js';

export interface SoakResult {
  kills: number;
  /** Kills that left a temporary file behind (the process was writing). */
  midWrite: number;
  checkpointsChecked: number;
  identical: boolean;
  leftovers: string[];
  problems: string[];
}

export const SOAK_SETTINGS = ['--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '4', '--eval-interval', '4', '--eval-iters', '2', '--warmup-iters', '2', '--lr-decay-iters', '40', '--log-interval', '1', '--kernels', 'ref'];

const TEMP = /\.tmp-\d+(-\d+)?$/;

function cli(dir: string, args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
}

/** Spawns the CLI and SIGKILLs it after `ms` (unless it ends first); resolves with whether it was killed. */
function runAndKill(dir: string, args: string[], ms: number): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let killed = false;
    const timer = setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ killed, code, stderr });
    });
  });
}

/** Every checkpoint in the run folder loads: its JSON, weights and moments, checksums included. */
function checkCheckpoints(run: string, problems: string[]): number {
  let n = 0;
  for (const name of ['latest', 'best']) {
    if (!hasCheckpoint(run, name)) continue;
    try {
      const meta = readCheckpointMeta(run, name);
      const tok = tokenizerFromJSON(meta.tokenizer);
      const { vocabSize: _v, ...ms } = meta.config.model;
      void _v;
      const model = new GPT(buildRunConfig({ ...ms, ...meta.config.train }, tok.vocabSize).model, { backend: refBackend, rng: new Rng(1) });
      loadCheckpointWeights(run, meta, model, null, name);
      n++;
    } catch (e) {
      problems.push(`${run} ${name}: ${(e as Error).message}`);
    }
  }
  return n;
}

const lossCurve = (run: string) => readMetrics(run).map((r) => JSON.stringify([r.iter, r.eval ?? false, r.train_loss, r.val_loss ?? null]));

/**
 * Trains `steps` steps into `killed/` with `kills` SIGKILLs at random moments (seeded), resuming
 * each time, and compares with `straight/` trained in one go.
 */
export async function trainSoak(dir: string, opts: { kills: number; steps: number; seed: number; settings: string[]; data: string }): Promise<SoakResult> {
  const res: SoakResult = { kills: 0, midWrite: 0, checkpointsChecked: 0, identical: false, leftovers: [], problems: [] };
  const base = ['--data', opts.data, ...opts.settings, '--max-iters', String(opts.steps), '--sample-tokens', '0'];
  const t0 = performance.now();
  const s = cli(dir, ['train', '--out', 'straight', ...base]);
  if (s.status !== 0) throw new Error(`the uninterrupted run failed: ${s.stderr}`);
  const straightMs = performance.now() - t0;
  const rng = new Rng(opts.seed);
  const run = join(dir, 'killed');
  for (let attempt = 0; res.kills < opts.kills && attempt < opts.kills * 4; attempt++) {
    const resume = hasCheckpoint(run, 'latest') || hasCheckpoint(run, 'best');
    const ms = 300 + rng.random() * straightMs * 0.9;
    const r = await runAndKill(dir, ['train', '--out', 'killed', ...base, ...(resume ? ['--resume'] : [])], ms);
    if (!r.killed) {
      if (r.code !== 0) res.problems.push(`run ended with ${r.code}: ${r.stderr.trim()}`);
      if (r.code === 0) break; // finished before the kill: done
      continue;
    }
    res.kills++;
    if (existsSync(run) && readdirSync(run).some((f) => TEMP.test(f))) res.midWrite++;
    if (existsSync(run)) res.checkpointsChecked += checkCheckpoints(run, res.problems);
  }
  // then let it finish
  for (let i = 0; i < 3 && !(hasCheckpoint(run) && readCheckpointMeta(run).step >= opts.steps); i++) {
    const resume = hasCheckpoint(run, 'latest') || hasCheckpoint(run, 'best');
    const f = cli(dir, ['train', '--out', 'killed', ...base, ...(resume ? ['--resume'] : [])]);
    if (f.status !== 0) res.problems.push(`the last resume failed: ${f.stderr.trim()}`);
  }
  res.checkpointsChecked += checkCheckpoints(run, res.problems);
  res.leftovers = readdirSync(run).filter((f) => TEMP.test(f));
  const a = lossCurve(join(dir, 'straight'));
  const b = lossCurve(run);
  res.identical = a.length > 0 && a.length === b.length && a.every((x, i) => x === b[i]);
  if (!res.identical) res.problems.push(`loss curves differ: ${a.length} records straight, ${b.length} after kills; first difference at ${a.findIndex((x, i) => x !== b[i])}`);
  return res;
}

/** prepare into `out` killed `kills` times at random moments, re-run each time: the files equal one uninterrupted prepare's. */
export async function prepareSoak(dir: string, opts: { kills: number; text: string; seed: number }): Promise<SoakResult> {
  const res: SoakResult = { kills: 0, midWrite: 0, checkpointsChecked: 0, identical: false, leftovers: [], problems: [] };
  const t0 = performance.now();
  const ref = cli(dir, ['prepare', opts.text, '--out', 'prep-ref']);
  if (ref.status !== 0) throw new Error(`prepare failed: ${ref.stderr}`);
  const full = performance.now() - t0;
  const rng = new Rng(opts.seed);
  const files = ['train.bin', 'val.bin', 'tokenizer.json', 'meta.json'];
  for (let k = 0; k < opts.kills; k++) {
    const out = `prep-${k}`;
    const r = await runAndKill(dir, ['prepare', opts.text, '--out', out], 150 + rng.random() * full * 0.9);
    if (r.killed) res.kills++;
    const folder = join(dir, out);
    if (existsSync(folder) && readdirSync(folder).some((f) => TEMP.test(f))) res.midWrite++;
    if (!existsSync(join(folder, 'meta.json'))) {
      const again = cli(dir, ['prepare', opts.text, '--out', out]);
      if (again.status !== 0) res.problems.push(`re-running prepare after kill ${k} failed: ${again.stderr.trim()}`);
    }
    for (const f of files) {
      if (!existsSync(join(folder, f)) || !readFileSync(join(folder, f)).equals(readFileSync(join(dir, 'prep-ref', f)))) res.problems.push(`${out}/${f} differs from an uninterrupted prepare's`);
    }
    res.leftovers.push(...readdirSync(folder).filter((f) => TEMP.test(f)).map((f) => `${out}/${f}`));
  }
  res.identical = res.problems.length === 0;
  return res;
}

/** A corpus of `n` characters (seeded words). */
export function soakText(path: string, n: number): void {
  const words = ['the', 'king', 'said', 'to', 'his', 'lord', 'and', 'queen', 'of', 'night', 'a', 'fair', 'day'];
  const rng = new Rng(5);
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const w = words[Math.floor(rng.random() * words.length)]! + (rng.random() < 0.1 ? '.\n' : ' ');
    parts.push(w);
    len += w.length;
  }
  writeFileSync(path, parts.join(''));
}
