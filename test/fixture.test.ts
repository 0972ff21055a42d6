/** scratchlm check against PyTorch fixtures: the shared one and our own odd shapes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO, SHARED } from './paths.js';
import { parseSafetensors, serializeSafetensors } from '../src/index.js';

function check(dir: string, ...flags: string[]) {
  return spawnSync(process.execPath, [CLI, 'check', dir, ...flags], { encoding: 'utf8' });
}

// the recipe-* fixtures (issue 13), from tools/make_fixture.py:
//   recipe-rope-rms-relu2-muon:  --rope --norm rmsnorm --qk-norm --mlp relu2 --untied --softcap 4 --muon --embd 18
//   recipe-rope-swiglu:          --rope --mlp swiglu --mlp-hidden 10 --no-bias --embd 18 --layers 2
//   recipe-qknorm-untied-muon:   --qk-norm --untied --muon --layers 2
const FIXTURES = [
  join(SHARED, 'fixtures', 'gpt2-tiny'),
  ...['odd-heads', 'deep-narrow', 'recipe-rope-rms-relu2-muon', 'recipe-rope-swiglu', 'recipe-qknorm-untied-muon'].map((f) => join(REPO, 'test', 'fixtures', f)),
];

import { NATIVE_BUILT } from './native-helpers.js';

const BACKENDS = [['--kernels', 'ref'], ['--kernels', 'wasm', '--threads', '1'], ['--kernels', 'wasm', '--threads', '2']];
if (NATIVE_BUILT) BACKENDS.push(['--kernels', 'native', '--threads', '1'], ['--kernels', 'native', '--threads', '2']);

for (const dir of FIXTURES) {
  for (const flags of BACKENDS) {
    test(`check passes on ${dir.split('/').slice(-2).join('/')} with ${flags.join(' ')}`, () => {
      const r = check(dir, ...flags);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /all \d+ quantities within tolerance/);
      assert.match(r.stdout, /ok {3}greedy/);
      assert.match(r.stdout, flags[1] === 'ref' ? /kernels: ref\)/ : flags[1] === 'native' ? /kernels: native-/ : /kernels: wasm/);
    });
  }
}

function copyFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-fx-'));
  cpSync(join(SHARED, 'fixtures', 'gpt2-tiny'), dir, { recursive: true });
  return dir;
}

test('check fails, exit 1, when an expected gradient is off by more than the tolerance', () => {
  const dir = copyFixture();
  const path = join(dir, 'expected.safetensors');
  const { tensors, metadata } = parseSafetensors(readFileSync(path), path);
  const g = tensors.get('grad.h.1.mlp.c_fc.weight')!;
  g.data[5] += 1e-3;
  writeFileSync(path, serializeSafetensors([...tensors].map(([k, t]) => [k, t] as const), metadata));
  const r = check(dir);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /FAIL grad\.h\.1\.mlp\.c_fc\.weight/);
  assert.match(r.stdout, /1 of \d+ quantities out of tolerance/);
});

test('check: bad input gives one line naming the file, exit 1, no stack', () => {
  const cases: [string, (dir: string) => void, RegExp][] = [
    ['missing folder', () => {}, /no such folder/],
    ['truncated weights', (d) => writeFileSync(join(d, 'model.safetensors'), readFileSync(join(d, 'model.safetensors')).subarray(0, 5000)), /model\.safetensors: .*truncated/],
    ['config does not match the weights', (d) => {
      const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      c.n_embd = 48;
      writeFileSync(join(d, 'config.json'), JSON.stringify(c));
    }, /model\.safetensors: tensor 'wte\.weight' has shape \[64,32\], the config needs \[64,48\]/],
    ['a tensor renamed', (d) => {
      const p = join(d, 'model.safetensors');
      const { tensors } = parseSafetensors(readFileSync(p), p);
      const t = tensors.get('ln_f.bias')!;
      tensors.delete('ln_f.bias');
      tensors.set('ln_f.beta', t);
      writeFileSync(p, serializeSafetensors(tensors));
    }, /unexpected tensor 'ln_f\.beta'/],
    ['missing expected.json', (d) => writeFileSync(join(d, 'expected.json'), '{"loss": 1'), /expected\.json: this fixture description is not valid JSON/],
  ];
  for (const [what, mutate, msg] of cases) {
    const dir = what === 'missing folder' ? '/nonexistent/fixture' : copyFixture();
    mutate(dir);
    const r = check(dir);
    assert.equal(r.status, 1, `${what}: ${r.stdout}${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${what}: expected one line, got ${r.stderr}`);
    assert.match(lines[0], /^scratchlm: /);
    assert.match(lines[0], msg, what);
  }
});

test('check passes on gpt2-tiny with the plain-SIMD wasm kernels (no relaxed FMA), through the API', async () => {
  const { createBackend, runFixtureCheck } = await import('../src/index.js');
  const backend = await createBackend({ kernels: 'wasm', threads: 2, relaxedSimd: false });
  assert.equal(backend.name, 'wasm-simd');
  const report = runFixtureCheck(join(SHARED, 'fixtures', 'gpt2-tiny'), { backend });
  assert.deepEqual(report.rows.filter((r) => !r.ok).map((r) => r.name), []);
  assert.ok(report.ok);
});
