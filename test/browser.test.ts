/**
 * The wasm kernels in a real browser: Debian's Chromium, headless, driven by playwright-core. A
 * tiny static server hands out dist/ with the COOP/COEP headers that make the page
 * cross-origin-isolated (SharedArrayBuffer, hence shared WebAssembly.Memory across Web Workers).
 * The page (test/browser/page.ts) runs a small GPT's forward, backward and AdamW steps and direct
 * matmul kernels on the wasm backend with 1 and 2 threads and on the reference; this side checks
 * the differences, and that 2 threads really ran Web Workers that did part of the work.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { MatmulCase, ModelCase, PageResult } from './browser/page.js';
import { REPO } from './paths.js';

const CHROMIUM = process.env.SCRATCHLM_CHROMIUM ?? '/usr/bin/chromium';
const DIST = join(REPO, 'dist');
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.html': 'text/html; charset=utf-8', '.map': 'application/json' };
const PAGE = '<!doctype html><meta charset="utf-8"><title>scratchlm browser test</title><p>scratchlm browser test</p>';

const MODELS: ModelCase[] = [
  // the brief's tiny model: every kernel below the threshold for threads
  { name: 'tiny', config: { vocabSize: 17, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 12 }, B: 3, T: 7 },
  // big enough that matmul, attention, GELU and AdamW run in parallel with 2 threads
  { name: 'parallel', config: { vocabSize: 67, blockSize: 32, nLayer: 2, nHead: 4, nEmbd: 64 }, B: 4, T: 31 },
];
const MATMULS: MatmulCase[] = [
  { BT: 17, C: 33, OC: 19 }, // odd, single chunk
  { BT: 67, C: 129, OC: 131 }, // odd, split across threads
];
const STEPS = 3;

let server: Server | null = null;
let browser: Browser | null = null;
let base = '';

function serve(): Promise<string> {
  server = createServer((req, res) => {
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/favicon.ico') {
      res.writeHead(204, headers).end();
      return;
    }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { ...headers, 'Content-Type': TYPES['.html']! }).end(PAGE);
      return;
    }
    if (path === '/plain/') {
      // without COOP/COEP: no SharedArrayBuffer
      res.writeHead(200, { 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-store' }).end(PAGE);
      return;
    }
    const file = normalize(join(REPO, path));
    if (!path.startsWith('/dist/') || !file.startsWith(DIST + sep)) {
      res.writeHead(404, headers).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404, headers).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`));
  });
}

before(async () => {
  // no silent skip: CI installs the browser (.ci/run), and so must anyone running the tests
  assert.ok(existsSync(CHROMIUM), `browser tests need Chromium at ${CHROMIUM}: run apt-get install -y chromium (Debian), or set SCRATCHLM_CHROMIUM`);
  base = await serve();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 20_000,
  });
});

after(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server?.closeAllConnections();
});

/** Opens a page, collecting its errors (uncaught, console.error, failed requests). */
async function open(path: string) {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`${res.status()} ${res.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${base}${path}`);
  return { page, errors };
}

function check(r: PageResult, where: string): void {
  assert.equal(r.crossOriginIsolated, true, `${where}: must be cross-origin-isolated (COOP/COEP headers)`);
  assert.equal(r.runs.length, 2);
  for (const run of r.runs) {
    const what = `${where}, threads ${run.threadsAsked}`;
    assert.match(run.name, /^wasm/, what);
    assert.equal(run.threads, run.threadsAsked, `${what}: backend.threads`);
    assert.equal(run.stats.workers, run.threadsAsked - 1, `${what}: Web Workers started`);
    if (run.threadsAsked > 1) {
      assert.ok(run.stats.parallelJobs > 0, `${what}: no kernel ran in parallel`);
      assert.ok(run.stats.workerChunks > 0, `${what}: the Web Workers ran no chunk (${JSON.stringify(run.stats)})`);
    } else assert.equal(run.stats.workerChunks, 0);
    for (const m of run.models) {
      const w = `${what}, model ${m.name}`;
      assert.ok(m.logits <= 1e-4, `${w}: logits differ by ${m.logits}`);
      assert.ok(m.loss <= 1e-4, `${w}: loss differs by ${m.loss}`);
      assert.ok(m.grads <= 1e-5, `${w}: gradients differ by ${m.grads} beyond 1e-3 relative`);
      assert.ok(m.stepLosses <= 1e-4, `${w}: AdamW step losses differ by ${m.stepLosses}`);
      assert.ok(m.params <= 1e-4, `${w}: parameters after ${STEPS} AdamW steps differ by ${m.params}`);
    }
    for (const k of run.matmuls) {
      const w = `${what}, matmul ${JSON.stringify(k.shape)}`;
      for (const key of ['out', 'dinp', 'dweight', 'dbias'] as const) assert.ok(k[key] <= 1e-4, `${w}: ${key} differs by ${k[key]}`);
    }
  }
  const worst = (o: object) => Math.max(...Object.values(o).filter((v): v is number => typeof v === 'number')).toExponential(1);
  const summary = r.runs.map((x) => `${x.name} x${x.threads} ${JSON.stringify(x.stats)} worst diff: models ${x.models.map(worst)}, matmuls ${x.matmuls.map(worst)}`);
  console.log(`# browser (${where}, ${r.ms.toFixed(0)} ms): ${r.userAgent.match(/\w*Chrome\/[\d.]+/)?.[0] ?? r.userAgent}; ${summary.join('; ')}`);
}

const ARGS = [MODELS, MATMULS, [1, 2], STEPS] as const;

test('wasm kernels on a page in Chromium: 1 thread and 2 (Web Workers) match the reference on a GPT and on matmuls', { timeout: 60_000 }, async () => {
  const { page, errors } = await open('/');
  const r = (await page.evaluate(async (args) => {
    const url = '/dist/test/browser/page.js'; // a variable: tsc leaves this browser-side import alone
    const m = (await import(url)) as typeof import('./browser/page.js');
    return m.runBrowserChecks(...(args as unknown as Parameters<typeof m.runBrowserChecks>));
  }, ARGS)) as PageResult;
  await page.close();
  assert.deepEqual(errors, []);
  check(r, 'page');
});

test('the same inside a dedicated worker (training off the page thread; kernel workers nested)', { timeout: 60_000 }, async () => {
  const { page, errors } = await open('/');
  const answer = (await page.evaluate(
    (args) =>
      new Promise((resolve) => {
        const w = new Worker('/dist/test/browser/worker.js', { type: 'module' });
        w.onmessage = (e) => {
          resolve(e.data);
          w.terminate();
        };
        w.onerror = (e) => resolve({ error: `worker failed: ${e.message || 'could not load'}` });
        w.postMessage(args);
      }),
    ARGS,
  )) as { result?: PageResult; error?: string };
  await page.close();
  assert.deepEqual(errors, []);
  assert.equal(answer.error, undefined);
  check(answer.result!, 'worker');
});

test('a page that is not cross-origin-isolated: wasm on one thread (plain memory) matches the reference; threads name the headers', { timeout: 30_000 }, async () => {
  const { page, errors } = await open('/plain/');
  const r = await page.evaluate(async (args) => {
    const url = '/dist/test/browser/page.js';
    const m = (await import(url)) as typeof import('./browser/page.js');
    return m.probeNotIsolated(...(args as unknown as [ModelCase[], number]));
  }, [MODELS, STEPS] as const);
  await page.close();
  assert.deepEqual(errors, []);
  assert.equal(r.crossOriginIsolated, false);
  assert.match(r.wasmName, /^wasm/);
  assert.equal(r.wasmThreads, 1);
  assert.match(r.autoName, /^wasm/);
  assert.match(r.threadsError, /2 threads need SharedArrayBuffer.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
  for (const m of r.models) {
    assert.ok(m.logits <= 1e-4, `${m.name}: logits differ by ${m.logits}`);
    assert.ok(m.grads <= 1e-5, `${m.name}: gradients differ by ${m.grads}`);
    assert.ok(m.params <= 1e-4, `${m.name}: parameters differ by ${m.params}`);
  }
});
