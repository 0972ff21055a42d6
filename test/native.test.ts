/**
 * The native backend beyond the conformance suite: it is what `auto` picks when built, it says in
 * one line why it is unavailable when the addon is missing or broken (and `auto` falls back to
 * wasm), the build script tolerates a missing compiler, steady-state steps allocate nothing, and
 * training on it gives wasm's losses to float rounding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdamW, GPT, Rng, createBackend, trainStep, type Backend, type NativeBackend } from '../src/index.js';
import { CLI, REPO, SHARED } from './paths.js';
import { NATIVE_BUILT } from './native-helpers.js';

const skip = NATIVE_BUILT ? false : 'the native addon is not built (npm run build:native)';
const tmp = () => mkdtempSync(join(tmpdir(), 'scratchlm-native-'));
const cli = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
const FIXTURE = join(SHARED, 'fixtures', 'gpt2-tiny');

test('auto picks the native kernels in Node when the addon is built', { skip }, async () => {
  const be = await createBackend({ threads: 1 });
  assert.match(be.name, /^native-(avx512|avx2|portable)$/);
  const forced = await createBackend({ kernels: 'native-portable', threads: 2 });
  assert.equal(forced.name, 'native-portable');
  assert.equal(forced.threads, 2);
});

test('SCRATCHLM_NATIVE_VARIANT forces a path; a bad value is a one-line error', { skip }, () => {
  const r = cli(['check', FIXTURE, '--threads', '1'], { SCRATCHLM_NATIVE_VARIANT: 'avx2' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /kernels: native-avx2\)/);
  const bad = cli(['check', FIXTURE], { SCRATCHLM_NATIVE_VARIANT: 'sse9' });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /SCRATCHLM_NATIVE_VARIANT must be one of avx512, avx2, portable, got 'sse9'/);
});

test('a missing or broken addon: --kernels native says why in one line, auto uses wasm', () => {
  const dir = tmp();
  const broken = join(dir, 'broken.node');
  writeFileSync(broken, 'not a shared library');
  for (const [path, why] of [[join(dir, 'missing.node'), /not built \(no .*missing\.node\); build it with `npm run build:native`/], [broken, /failed to load .*npm run build:native/]] as const) {
    const r = cli(['check', FIXTURE, '--kernels', 'native'], { SCRATCHLM_NATIVE_ADDON: path });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^scratchlm: kernels: native is not available: /);
    assert.match(lines[0]!, why);
    const auto = cli(['check', FIXTURE, '--threads', '1'], { SCRATCHLM_NATIVE_ADDON: path });
    assert.equal(auto.status, 0, auto.stdout + auto.stderr);
    assert.match(auto.stdout, /kernels: wasm-/);
  }
});

test('the install script tolerates a missing compiler: exit 0, one line, nothing built', () => {
  // a copy of the build inputs, so the real build is left alone
  const dir = tmp();
  mkdirSync(join(dir, 'tools'));
  cpSync(join(REPO, 'tools', 'build-native.mjs'), join(dir, 'tools', 'build-native.mjs'));
  cpSync(join(REPO, 'native', 'binding.gyp'), join(dir, 'native', 'binding.gyp'));
  cpSync(join(REPO, 'native', 'src'), join(dir, 'native', 'src'), { recursive: true });
  const r = spawnSync(process.execPath, [join(dir, 'tools', 'build-native.mjs')], { encoding: 'utf8', env: { ...process.env, CC: '/nonexistent/cc', CXX: '/nonexistent/c++' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr.trim(), /^scratchlm: native kernels not built: .*; the wasm kernels will be used \(retry with `npm run build:native`\)$/);
  const strict = spawnSync(process.execPath, [join(dir, 'tools', 'build-native.mjs'), '--strict'], { encoding: 'utf8', env: { ...process.env, SCRATCHLM_SKIP_NATIVE_BUILD: '1' } });
  assert.equal(strict.status, 1);
});

const TINY = { vocabSize: 13, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0.1 };

function trainLosses(be: Backend, steps: number): number[] {
  const m = new GPT(TINY, { backend: be, rng: new Rng(1) });
  m.train(new Rng(2));
  const opt = new AdamW(m.params.groups, be, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  const idx = be.allocI32(16);
  const tgt = be.allocI32(16);
  idx.set([1, 2, 3, 4, 5, 6, 7, 8, 3, 3, 1, 2, 12, 0, 0, 5]);
  tgt.set([2, 3, 4, 5, 6, 7, 8, 9, 3, 1, 2, 12, 0, 0, 5, 7]);
  return Array.from({ length: steps }, () => trainStep(m, opt, [{ idx, targets: tgt }], 2, 8, 1e-2, 1.0).loss);
}

test('native backend: steady-state training steps allocate nothing new', { skip }, async () => {
  const be = (await createBackend({ kernels: 'native', threads: 2 })) as NativeBackend;
  const losses: number[] = [];
  const m = new GPT(TINY, { backend: be, rng: new Rng(1) });
  m.train(new Rng(2));
  const opt = new AdamW(m.params.groups, be, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  const idx = be.allocI32(16), tgt = be.allocI32(16);
  idx.set([1, 2, 3, 4, 5, 6, 7, 8, 3, 3, 1, 2, 12, 0, 0, 5]);
  tgt.set([2, 3, 4, 5, 6, 7, 8, 9, 3, 1, 2, 12, 0, 0, 5, 7]);
  const step = () => losses.push(trainStep(m, opt, [{ idx, targets: tgt }], 2, 8, 1e-2, 1.0).loss);
  step();
  const peak = be.memoryBytes();
  for (let i = 0; i < 5; i++) step();
  assert.equal(be.memoryBytes(), peak, 'the arena grew after the first step');
  assert.ok(losses[5]! < losses[0]!, `loss went from ${losses[0]} to ${losses[5]}`);
});

test('training on native gives the wasm losses to float rounding (every path, 2 threads)', { skip }, async () => {
  const wasm = trainLosses(await createBackend({ kernels: 'wasm', threads: 2 }), 8);
  for (const kind of ['native-avx512', 'native-avx2', 'native-portable'] as const) {
    let be: Backend;
    try {
      be = await createBackend({ kernels: kind, threads: 2 });
    } catch (e) {
      if (/cannot run/.test((e as Error).message)) continue; // a CPU without this path
      throw e;
    }
    const native = trainLosses(be, 8);
    for (let i = 0; i < native.length; i++) assert.ok(Math.abs(native[i]! - wasm[i]!) <= 2e-5 * Math.abs(wasm[i]!), `${kind} step ${i}: ${native[i]} vs wasm ${wasm[i]}`);
  }
});

test('native buffers are checked: a foreign Float32Array is an error; its own are plain typed-array views', { skip }, async () => {
  const be = await createBackend({ kernels: 'native', threads: 1 });
  assert.throws(() => be.kernels.scale({ inout: new Float32Array(4), N: 4, s: 2 }), /not allocated by this backend/);
  be.scope(() => {
    const x = be.allocF32(5);
    x.set([1, 2, 3, 4, 5]);
    be.kernels.scale({ inout: x, N: 5, s: 2 });
    assert.deepEqual([...x], [2, 4, 6, 8, 10]);
  });
});
