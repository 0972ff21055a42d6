/**
 * kill -9, short (npm run soak: 20+ kills of each): a training run SIGKILLed at random moments and
 * resumed gives the uninterrupted run's loss curve exactly, leaves no temporary file, and every
 * checkpoint seen after a kill loads; a prepare killed and re-run gives the same files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { GPT, buildRunConfig, loadCheckpointWeights, readCheckpointMeta, refBackend, tokenizerFromJSON } from '../src/index.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from './paths.js';
import { SOAK_SETTINGS, prepareSoak, soakText, trainSoak } from './soak/kill.js';

test('kill -9 during training (3 kills) and prepare (3 kills): nothing lost, the same results', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-soak-'));
  soakText(join(dir, 'text.txt'), 40000);
  assert.equal(spawnSync(process.execPath, [CLI, 'prepare', 'text.txt', '--out', 'data'], { cwd: dir }).status, 0);
  const t = await trainSoak(dir, { kills: 3, steps: 24, seed: 1, settings: SOAK_SETTINGS, data: 'data' });
  assert.deepEqual(t.problems, []);
  assert.ok(t.kills >= 1, `only ${t.kills} kills landed`);
  assert.ok(t.identical);
  assert.deepEqual(t.leftovers, []);
  soakText(join(dir, 'big.txt'), 3_000_000);
  const p = await prepareSoak(dir, { kills: 3, text: 'big.txt', seed: 2 });
  assert.deepEqual(p.problems, []);
  assert.deepEqual(p.leftovers, []);
  console.log(`# soak: ${t.kills} training kills (${JSON.stringify(t.phases)}, ${t.midWrite} mid-write, ${t.checkpointsChecked} checkpoints loaded), ${p.kills} prepare kills (${p.midWrite} mid-write)`);
});

test('a checkpoint write that fails (disk full, permission denied: injected) keeps the previous checkpoint and stops with one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-fault-'));
  soakText(join(dir, 'text.txt'), 30000);
  const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(run(['prepare', 'text.txt', '--out', 'data']).status, 0);
  const base = ['train', '--data', 'data', '--out', 'r', ...SOAK_SETTINGS, '--sample-tokens', '0'];
  assert.equal(run([...base, '--max-iters', '8']).status, 0);
  for (const [code, message] of [['ENOSPC', /the disk is full; free some space and try again/], ['EACCES', /permission denied/]] as const) {
    const r = run(['train', '--out', 'r', '--resume', '--max-iters', '16'], { SCRATCHLM_INJECT_WRITE_ERROR: `${code}:latest-0000(1[2-6])` });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
    const meta = readCheckpointMeta(join(dir, 'r'), 'latest');
    assert.equal(meta.step, 8); // the previous one, whole
    const v = tokenizerFromJSON(meta.tokenizer).vocabSize;
    const { vocabSize: _v, ...ms } = meta.config.model;
    void _v;
    loadCheckpointWeights(join(dir, 'r'), meta, new GPT(buildRunConfig({ ...ms, ...meta.config.train }, v).model, { backend: refBackend }), null);
    assert.deepEqual(readdirSync(join(dir, 'r')).filter((f) => /\.tmp-/.test(f)), []);
  }
  assert.equal(run(['train', '--out', 'r', '--resume', '--max-iters', '16']).status, 0); // and it resumes once the disk is fine
});
