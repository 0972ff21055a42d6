/**
 * This Node's V8 as the kernels meet it: creating the wasm backend prints nothing on stderr (Node 24
 * rejects V8 flags it no longer has, with "unrecognized flag" on stderr), and relaxed SIMD is used
 * wherever the engine validates it, with or without the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { REPO } from './paths.js';

test(`node ${process.version}: creating the wasm backend is silent on stderr and uses relaxed SIMD`, () => {
  const create = pathToFileURL(resolve(REPO, 'dist/src/kernels/create.js')).href;
  // CommonJS eval (workers inherit execArgv, and --input-type would reach them too)
  const script = `import(${JSON.stringify(create)}).then((m) => m.createBackend({ kernels: 'wasm', threads: 2 })).then((b) => console.log(b.name));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', `stderr on node ${process.version}`);
  // Every Node scratchlm supports (20 with the flag, 22 and 24 without) runs relaxed-SIMD FMA.
  assert.equal(r.stdout.trim(), 'wasm-relaxed-simd');
});
