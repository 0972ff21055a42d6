/**
 * The package as a user gets it: `npm pack`, installed into a scratch project, imported by its
 * name in Node ('scratchlm', 'scratchlm/node'), and bundled for a page by Vite (the browser
 * condition), with no node: import in the bundle. Needs npm's registry (or its cache) for the
 * package's three dependencies, like `npm ci`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './paths.js';

const run = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}\n${r.stdout}`);
  return r.stdout;
};

test('npm pack → install in a scratch project → import by name in Node and bundle for a page', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-pack-'));
  const tgz = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], REPO).trim().split('\n').pop()!;
  const proj = join(dir, 'proj');
  mkdirSync(proj);
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'proj', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-package-lock', join(dir, tgz)], proj);

  // Node: the main entry has everything, scratchlm/node the file system, and GPT.create picks wasm
  writeFileSync(join(proj, 'main.js'), `
    import { GPT, createBackend } from 'scratchlm';
    import { trainRun, prepareData } from 'scratchlm/node';
    import * as browser from 'scratchlm/browser';
    const txt = 'hello world, hello page, '.repeat(12);
    const model = await GPT.create({ text: txt, nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 8, batchSize: 2, evalIters: 1 });
    const r = await model.fit(txt, { steps: 2 });
    const text = await model.generate('hello', { maxTokens: 5 });
    console.log(JSON.stringify({ backend: model.backend.name, steps: r.steps, text: typeof text, node: typeof trainRun + typeof prepareData, browserHasNode: 'trainRun' in browser, create: typeof createBackend }));
  `);
  const out = JSON.parse(run(process.execPath, ['main.js'], proj));
  assert.match(out.backend, /^wasm/);
  assert.deepEqual({ ...out, backend: 'x' }, { backend: 'x', steps: 2, text: 'string', node: 'functionfunction', browserHasNode: false, create: 'function' });

  // a page bundled by Vite (the repository's dev dependency): the browser entry, no node: module
  writeFileSync(join(proj, 'index.html'), '<!doctype html><script type="module" src="./page.js"></script>');
  writeFileSync(join(proj, 'page.js'), `
    import { GPT } from 'scratchlm';
    const model = await GPT.create({ text: 'hello page', nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 8 });
    document.body.textContent = await model.generate('hello', { maxTokens: 5 });
  `);
  run(process.execPath, [join(REPO, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error', '--outDir', 'out'], proj);
  const assets = join(proj, 'out', 'assets');
  const js = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(assets, f), 'utf8')).join('\n');
  assert.ok(js.includes('GPT.create') || js.length > 50_000, 'the bundle holds the library');
  assert.deepEqual(js.match(/["'`]node:[a-z_/]+["'`]/g) ?? [], [], 'node: imports in the page bundle');
  assert.doesNotMatch(js, /readFileSync|worker_threads/);
});
