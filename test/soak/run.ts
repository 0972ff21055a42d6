/** npm run soak: 20+ SIGKILLs of a training run and of prepare (SOAK_KILLS), with the counts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from '../paths.js';
import { SOAK_SETTINGS, prepareSoak, soakText, trainSoak } from './kill.js';

const kills = Number(process.env.SOAK_KILLS ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'scratchlm-soak-'));
soakText(join(dir, 'text.txt'), 60000);
spawnSync(process.execPath, [CLI, 'prepare', 'text.txt', '--out', 'data'], { cwd: dir });
const t = await trainSoak(dir, { kills, steps: Number(process.env.SOAK_STEPS ?? 200), seed: 7, settings: SOAK_SETTINGS, data: 'data', everyPhase: true });
console.log(`training: ${t.kills} SIGKILLs (${t.phases.step} during a step, ${t.phases.eval} during an evaluation, ${t.phases.checkpoint} during a checkpoint write, ${t.phases.startup} while starting or resuming; ${t.midWrite} left a temporary file), resumed each time; ${t.checkpointsChecked} checkpoints loaded after kills; loss curve identical to the uninterrupted run: ${t.identical ? 'yes' : 'NO'}; temporary files left: ${t.leftovers.length}`);
soakText(join(dir, 'big.txt'), 8_000_000);
const p = await prepareSoak(dir, { kills, text: 'big.txt', seed: 8 });
console.log(`prepare: ${p.kills} SIGKILLs (${p.midWrite} while a file was being written), re-run each time: same files as an uninterrupted prepare: ${p.identical ? 'yes' : 'NO'}; temporary files left: ${p.leftovers.length}`);
for (const x of [...t.problems, ...p.problems]) console.log(`  PROBLEM ${x}`);
rmSync(dir, { recursive: true, force: true });
process.exit(t.problems.length + p.problems.length ? 1 : 0);
