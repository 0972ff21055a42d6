/**
 * kill -9 at random moments (SQLite's crash testing, for scratchlm's runs): a training run is
 * SIGKILLed again and again, during steps, evaluations and checkpoint writes, and resumed each
 * time; at the end its loss curve must equal an uninterrupted run's, no temporary file may be
 * left, and every checkpoint seen after every kill must load. The same for prepare: re-running
 * after a kill gives the same files. test/soak.test.ts runs a short version; `npm run soak` 20+.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../paths.js';
import { GPT, Rng, buildRunConfig, hasCheckpoint, loadCheckpointWeights, readCheckpointMeta, readMetrics, refBackend, tokenizerFromJSON } from '../../src/index.js';

export interface SoakResult {
  kills: number;
  /** Kills that left a temporary file behind (the process was writing). */
  midWrite: number;
  checkpointsChecked: number;
  /** Training kills by what the run was doing (read from its last progress line and its temporary files). */
  phases: Record<Phase, number>;
  identical: boolean;
  leftovers: string[];
  problems: string[];
}

export const SOAK_SETTINGS = ['--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '4', '--eval-interval', '4', '--eval-iters', '2', '--warmup-iters', '2', '--lr-decay-iters', '40', '--log-interval', '1', '--kernels', 'ref'];

const TEMP = /\.tmp-\d+(-\d+)?$/;
const EVAL_INTERVAL = Number(SOAK_SETTINGS[SOAK_SETTINGS.indexOf('--eval-interval') + 1]);

export type Phase = 'startup' | 'step' | 'eval' | 'checkpoint' | 'finishing';

/**
 * What a killed run was doing. At step K the loop evaluates (when K is a multiple of the eval
 * interval), appends the eval record to metrics.jsonl, writes latest (and best), then runs step K
 * and appends its record. So, from what the run left: no 'training into' / 'resuming' line on
 * stdout yet: starting (loading, resuming); a checkpoint's temporary file, or an eval record at K
 * with latest still older: writing the checkpoint; the last record a step's, with the next step
 * a multiple of the eval interval: evaluating; past the last step: finishing (curve, report);
 * otherwise a training step.
 */
export function killPhase(run: string, output: string, maxIters: number): Phase {
  const files = existsSync(run) ? readdirSync(run) : [];
  if (files.some((f) => TEMP.test(f) && /^(latest|best)-/.test(f))) return 'checkpoint';
  if (!/^(training into|resuming) /m.test(output)) return 'startup';
  let records: { iter: number; eval?: boolean }[] = [];
  try {
    records = readFileSync(join(run, 'metrics.jsonl'), 'utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l));
  } catch {
    /* a torn last line: the run was appending a record, in a step or after an eval */
  }
  const last = records.at(-1);
  if (!last) return 'eval'; // a fresh run evaluates step 0 first
  let latest = -1;
  try {
    latest = (JSON.parse(readFileSync(join(run, 'latest.json'), 'utf8')) as { step: number }).step;
  } catch {
    /* none yet */
  }
  if (last.eval) {
    if (latest < last.iter) return 'checkpoint';
    return last.iter >= maxIters ? 'finishing' : 'step';
  }
  return (last.iter + 1) % EVAL_INTERVAL === 0 || last.iter + 1 >= maxIters ? 'eval' : 'step';
}

function cli(dir: string, args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
}

/**
 * Spawns the CLI and SIGKILLs it after `ms` (unless it ends first), or, with `when`, `when(line)`
 * ms after the stderr line for which it first returns a number. Resolves once its output is all
 * read, with whether it was killed.
 */
function runAndKill(dir: string, args: string[], ms: number, when?: (line: string) => number | null, onTemp?: string): Promise<{ killed: boolean; code: number | null; stderr: string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    // aimed at a checkpoint write: SIGKILL as soon as a checkpoint's temporary file shows up in `onTemp`
    const watcher = onTemp && existsSync(onTemp) ? watch(onTemp, (_e, f) => {
      if (f && TEMP.test(f) && /^(latest|best)-/.test(f) && !killed) killed = child.kill('SIGKILL');
    }) : null;
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d) => onLines(String(d)));
    let timer = setTimeout(() => (killed = child.kill('SIGKILL')), ms);
    let armed = false;
    let partial = '';
    let output = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // the progress lines (on stdout when it is not a terminal)
    function onLines(d: string) {
      output += d;
      if (!when || armed) return;
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const delay = when(line);
        if (delay === null) continue;
        armed = true;
        clearTimeout(timer);
        timer = setTimeout(() => (killed = child.kill('SIGKILL')), delay);
        break;
      }
    }
    child.on('close', (code) => {
      clearTimeout(timer);
      watcher?.close();
      resolve({ killed, code, stderr, output });
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
 * Picks the moment of a kill: a random delay, up to a few steps and an evaluation, after the
 * run's start line or one of its first evaluation lines (printed as each evaluation ends, just
 * before the checkpoints are written). (Progress lines on a pipe come only every few seconds.)
 */
function killAfterLine(rng: Rng, stepMs: number): (line: string) => number | null {
  const target = Math.floor(rng.random() * 3); // 0: the start line, 1 or 2: that evaluation's line
  const delay = rng.random() * (EVAL_INTERVAL + 2) * stepMs;
  let evals = 0;
  return (line) => {
    if (target === 0) return /^(training into|resuming) /.test(line) ? delay : null;
    return /^step \d+: train loss/.test(line) && ++evals === target ? delay : null;
  };
}

/**
 * Trains `steps` steps into `killed/` with `kills` SIGKILLs at random moments (seeded), resuming
 * each time, and compares with `straight/` trained in one go.
 */
export async function trainSoak(dir: string, opts: { kills: number; steps: number; seed: number; settings: string[]; data: string; everyPhase?: boolean }): Promise<SoakResult> {
  const res: SoakResult = { kills: 0, midWrite: 0, checkpointsChecked: 0, phases: { startup: 0, step: 0, eval: 0, checkpoint: 0, finishing: 0 }, identical: false, leftovers: [], problems: [] };
  const common = ['--data', opts.data, ...opts.settings, '--sample-tokens', '0'];
  const base = [...common, '--max-iters', String(opts.steps)];
  const t0 = performance.now();
  const s = cli(dir, ['train', '--out', 'straight', ...base]);
  if (s.status !== 0) throw new Error(`the uninterrupted run failed: ${s.stderr}`);
  const straightMs = performance.now() - t0;
  // the time to start (node, load the data, build the model) and per step: kills land from late in
  // the start-up to a couple of eval intervals into the steps, so that most attempts progress a little
  const t1 = performance.now();
  const one = cli(dir, ['train', '--out', 'probe', ...common, '--max-iters', '1']);
  if (one.status !== 0) throw new Error(`the one-step run failed: ${one.stderr}`);
  const startMs = performance.now() - t1;
  const stepMs = Math.max(2, (straightMs - startMs) / opts.steps);
  const rng = new Rng(opts.seed);
  const run = join(dir, 'killed');
  // until `kills` kills have landed, and (when asked) at least one in each of step, eval and checkpoint write
  const enough = () => res.kills >= opts.kills && (!opts.everyPhase || (res.phases.step > 0 && res.phases.eval > 0 && res.phases.checkpoint > 0));
  for (let attempt = 0; !enough() && attempt < opts.kills * 6; attempt++) {
    const resume = hasCheckpoint(run, 'latest') || hasCheckpoint(run, 'best');
    // a random moment: mostly a little after the n-th progress line (a step's, or, a third of the
    // time, an evaluation's, after which the checkpoints are written), sometimes while starting
    const args = ['train', '--out', 'killed', ...base, ...(resume ? ['--resume'] : [])];
    // (a fifth of the resumed attempts are aimed at a checkpoint write instead: killed the moment
    // a checkpoint's temporary file appears, which random moments hit only now and then)
    const pick = rng.random();
    const r = pick < 0.1 ? await runAndKill(dir, args, rng.random() * startMs) : resume && pick > 0.8 ? await runAndKill(dir, args, 4 * straightMs, undefined, run) : await runAndKill(dir, args, 4 * straightMs, killAfterLine(rng, stepMs));
    if (!r.killed) {
      if (r.code !== 0) res.problems.push(`run ended with ${r.code}: ${r.stderr.trim()}`);
      if (r.code === 0) break; // finished before the kill: done
      continue;
    }
    res.kills++;
    const files = existsSync(run) ? readdirSync(run) : [];
    if (files.some((f) => TEMP.test(f))) res.midWrite++;
    res.phases[killPhase(run, r.output, opts.steps)]++;
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
  const res: SoakResult = { kills: 0, midWrite: 0, checkpointsChecked: 0, phases: { startup: 0, step: 0, eval: 0, checkpoint: 0, finishing: 0 }, identical: false, leftovers: [], problems: [] };
  const t0 = performance.now();
  const ref = cli(dir, ['prepare', opts.text, '--out', 'prep-ref']);
  if (ref.status !== 0) throw new Error(`prepare failed: ${ref.stderr}`);
  const full = performance.now() - t0;
  const rng = new Rng(opts.seed);
  const files = ['train.bin', 'val.bin', 'tokenizer.json', 'meta.json'];
  // until `kills` kills have landed (a prepare that finishes first counts as a clean re-run)
  for (let k = 0; res.kills < opts.kills && k < opts.kills * 3; k++) {
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
