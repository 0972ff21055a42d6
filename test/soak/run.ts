/**
 * npm run soak: 20+ SIGKILLs of a training run (at least one during a step, an evaluation and a
 * checkpoint write) and 20+ of prepare (SOAK_KILLS; SOAK_STEPS: the run's steps; SOAK_ONLY=train
 * or prepare: one half), with the counts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from '../paths.js';
import { SOAK_SETTINGS, prepareSoak, soakText, trainSoak, type SoakResult } from './kill.js';

const kills = Number(process.env.SOAK_KILLS ?? 20);
const only = process.env.SOAK_ONLY;
const dir = mkdtempSync(join(tmpdir(), 'scratchlm-soak-'));
const problems: string[] = [];
const report = (r: SoakResult) => {
  problems.push(...r.problems);
  if (r.kills < kills) problems.push(`only ${r.kills} of ${kills} kills landed`);
};
if (only !== 'prepare') {
  soakText(join(dir, 'text.txt'), 60000);
  spawnSync(process.execPath, [CLI, 'prepare', 'text.txt', '--out', 'data'], { cwd: dir });
  const t0 = performance.now();
  const t = await trainSoak(dir, { kills, steps: Number(process.env.SOAK_STEPS ?? 200), seed: 7, settings: SOAK_SETTINGS, data: 'data', everyPhase: true });
  const ph = t.phases;
  console.log(
    `training: ${t.kills} SIGKILLs (${ph.step} during a step, ${ph.eval} during an evaluation, ${ph.checkpoint} during a checkpoint write, ${ph.startup} while starting or resuming, ${ph.finishing} while finishing; ` +
      `${t.midWrite} left a temporary file), resumed each time; ${t.checkpointsChecked} checkpoints loaded after kills; loss curve identical to the uninterrupted run: ${t.identical ? 'yes' : 'NO'}; ` +
      `temporary files left: ${t.leftovers.length} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
  report(t);
}
if (only !== 'train') {
  soakText(join(dir, 'big.txt'), 8_000_000);
  const t0 = performance.now();
  const p = await prepareSoak(dir, { kills, text: 'big.txt', seed: 8 });
  console.log(`prepare: ${p.kills} SIGKILLs (${p.midWrite} while a file was being written), re-run each time: same files as an uninterrupted prepare: ${p.identical ? 'yes' : 'NO'}; temporary files left: ${p.leftovers.length} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  report(p);
}
for (const x of problems) console.log(`  PROBLEM ${x}`);
rmSync(dir, { recursive: true, force: true });
process.exit(problems.length ? 1 : 0);
