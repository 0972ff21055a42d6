/**
 * Every example in examples/ and every JavaScript/TypeScript code block of the README runs, as a
 * user would run it: a separate `node` process, `import ... from 'scratchlm'` resolved by name, in
 * a scratch folder holding what the README says the reader has:
 *   - input.txt: the first 100 kB of Tiny Shakespeare ("any UTF-8 text"),
 *   - runs/brown: a run folder on GPT-2's tokenizer, standing in for the README's
 *     `npx scratchlm train --preset brown` run (1 layer, 16 wide: made here in a second).
 * SCRATCHLM_TINY=1 caps every fit() at 3 steps and every generate() at 20 tokens, so the blocks
 * keep their real step counts. A block preceded by `<!-- test: skip REASON -->` is not run, and
 * the reason must be given. Shell blocks are run by test/readme-shell.test.ts, and
 * test/cli-hints.test.ts parses every `npx scratchlm ...` line in them against the commands' flag
 * specs. examples/page is bundled
 * with Vite as its comment says and clicked through in headless Chromium.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { chromium } from 'playwright-core';
import ts from 'typescript';
import { REPO, SHARED } from './paths.js';
import { GPT } from '../src/index.js';
import { createBackend } from '../src/kernels/create.js';

/** The README's fenced blocks in js/ts, with the marker line above each. */
export function readmeBlocks(md: string): { line: number; lang: string; code: string; skip: string | null }[] {
  const out = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!fence) continue;
    let j = i + 1;
    while (j < lines.length && !lines[j]!.startsWith('```')) j++;
    if (/^(js|ts|mjs|javascript|typescript)$/.test(fence[1]!)) {
      const skip = /<!--\s*test:\s*skip\b(.*?)-->/.exec(lines[i - 1] ?? '');
      out.push({ line: i + 1, lang: fence[1]!, code: lines.slice(i + 1, j).join('\n'), skip: skip ? skip[1]!.trim() || 'no reason given' : null });
    }
    i = j; // the closing fence is not an opening one
  }
  return out;
}

async function scratch(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-examples-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO, join(dir, 'node_modules', 'scratchlm'), 'dir'); // import 'scratchlm' by name
  const shk = join(SHARED, 'data', 'tinyshakespeare.txt');
  writeFileSync(join(dir, 'input.txt'), existsSync(shk) ? readFileSync(shk, 'utf8').slice(0, 100_000) : 'To be, or not to be: that is the question.\n'.repeat(2000));
  const brown = await GPT.create({ tokenizer: 'gpt2', nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 64, backend: await createBackend({ kernels: 'ref' }) });
  await brown.save(join(dir, 'runs', 'brown'));
  return dir;
}

interface Ran { status: number | null; stdout: string; stderr: string; ms: number }

function runIn(dir: string, file: string): Promise<Ran> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: dir, env: { ...process.env, SCRATCHLM_TINY: '1' }, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - t0 }));
  });
}

/** Runs `jobs` two at a time (the machine's cores), in order of the results. */
async function pool<T>(jobs: (() => Promise<T>)[], width = 2): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

test('readmeBlocks: finds js/ts blocks, reads skip markers, steps over other fences', () => {
  const md = ['```sh', 'npx scratchlm train', '```', '<!-- test: skip needs a server -->', '```js', 'a()', '```', 'text', '```ts', 'b()', 'c()', '```', '<!-- test: skip -->', '```mjs', 'd()', '```', '```text', '```js', '```'].join('\n');
  assert.deepEqual(readmeBlocks(md), [
    { line: 5, lang: 'js', code: 'a()', skip: 'needs a server' },
    { line: 9, lang: 'ts', code: 'b()\nc()', skip: null },
    { line: 14, lang: 'mjs', code: 'd()', skip: 'no reason given' },
  ]);
});

test('README js/ts blocks and examples/*.mjs run (SCRATCHLM_TINY=1), skipped blocks say why', async () => {
  const dir = await scratch();
  try {
    const blocks = readmeBlocks(readFileSync(join(REPO, 'README.md'), 'utf8'));
    assert.ok(blocks.length >= 4, `${blocks.length} blocks`);
    const jobs: { name: string; file: string }[] = [];
    for (const b of blocks) {
      if (b.skip) {
        assert.notEqual(b.skip, 'no reason given', `README.md:${b.line}: say why the block is skipped (<!-- test: skip REASON -->)`);
        continue;
      }
      const js = b.lang.startsWith('t') ? ts.transpileModule(b.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText : b.code;
      const file = join(dir, `readme-${b.line}.mjs`);
      writeFileSync(file, js);
      jobs.push({ name: `README.md:${b.line}`, file });
    }
    assert.ok(jobs.length >= 3, `only ${jobs.length} README blocks run`);
    const scripts = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.mjs'));
    assert.ok(scripts.length >= 3, 'examples/ has its scripts');
    for (const f of scripts) jobs.push({ name: `examples/${f}`, file: join(REPO, 'examples', f) });
    const results = await pool(jobs.map((j) => () => runIn(dir, j.file)));
    const failed = results.map((r, i) => ({ ...r, name: jobs[i]!.name })).filter((r) => r.status !== 0 || (r.name.startsWith('examples/') && r.stdout.trim() === ''));
    assert.deepEqual(failed.map((r) => `${r.name}: exit ${r.status}${r.stdout.trim() === '' ? ', printed nothing' : ''}\n${r.stderr}`), []);
    console.log(results.map((r, i) => `${jobs[i]!.name} ${r.ms} ms`).join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('examples/page: bundled with Vite, it trains, samples, saves its checkpoint as bytes and trains on, in Chromium', { timeout: 120_000 }, async () => {
  const CHROMIUM = process.env.SCRATCHLM_CHROMIUM ?? '/usr/bin/chromium';
  assert.ok(existsSync(CHROMIUM), `needs Chromium at ${CHROMIUM}: apt-get install -y chromium, or set SCRATCHLM_CHROMIUM`);
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-page-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO, join(dir, 'node_modules', 'scratchlm'), 'dir');
  for (const f of readdirSync(join(REPO, 'examples', 'page'))) copyFileSync(join(REPO, 'examples', 'page', f), join(dir, f));
  const b = spawnSync(process.execPath, [join(REPO, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error', '--outDir', 'out'], { cwd: dir, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const root = join(dir, 'out');
  const types: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html; charset=utf-8' };
  const server = createServer((req, res) => {
    // cross-origin isolated, as the page's comment asks: the wasm kernels may use threads
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root + sep)) return void res.writeHead(404, headers).end();
    readFile(file).then(
      (body) => res.writeHead(200, { ...headers, 'Content-Type': types[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404, headers).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // SCRATCHLM_TINY for a page: a global (a bundler replaces process.env)
    await page.addInitScript(() => Object.assign(globalThis, { SCRATCHLM_TINY: '1' }));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.click('#go');
    await page.waitForFunction(() => /trained on to step/.test(document.querySelector('#out')?.textContent ?? '') || false, null, { timeout: 90_000 }).catch(() => {});
    const text = (await page.textContent('#out')) ?? '';
    assert.deepEqual(errors, []);
    // TINY: the first fit stops at 3 steps, the reloaded model continues from 3 to 6
    assert.match(text, /^step 3: loss \d/);
    assert.match(text, /reloaded from 6 files \(kernels wasm[^)]*\) and trained on to step 6: loss \d/);
    assert.ok(text.split('\n')[1]!.length > 0, 'a sample');
  } finally {
    await browser.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
