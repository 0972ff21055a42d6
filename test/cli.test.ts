/** The command line as a user types it: help, unknown commands and options, bench train --json. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI } from './paths.js';

const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

test('cli: --help lists the commands; an unknown command or option is one line, exit 1', () => {
  const h = cli('--help');
  assert.equal(h.status, 0);
  assert.match(h.stdout, /check/);
  assert.match(h.stdout, /bench/);
  const u = cli('frobnicate');
  assert.equal(u.status, 1);
  assert.equal(u.stderr.trim(), "scratchlm: unknown command 'frobnicate'; run 'npx scratchlm --help' for the list");
  const o = cli('check', '--frob');
  assert.equal(o.status, 1);
  assert.match(o.stderr.trim(), /^scratchlm: unknown option '--frob'/);
  assert.equal(o.stderr.trim().split('\n').length, 1);
});

test('cli: bench train --json reports a step time and tokens/s', () => {
  const r = cli('bench', 'train', '--preset', 'baby', '--iters', '1', '--warmup', '0', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.preset, 'baby');
  assert.ok(j.ms_per_iter > 0);
  assert.ok(Math.abs(j.tokens_per_s - (12 * 64 * 1000) / j.ms_per_iter) < 1e-6 * j.tokens_per_s);
  const bad = cli('bench', 'train', '--preset', 'huge');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--preset must be baby or shakespeare, got 'huge'/);
});

test('cli: the bin is executable on its own (shebang + mode), as npx runs it', () => {
  const r = spawnSync(CLI, ['--help'], { encoding: 'utf8' });
  assert.equal(r.error, undefined, `running ${CLI} directly failed: ${r.error?.message}`);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^usage: npx scratchlm/);
});
