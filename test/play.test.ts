/**
 * The playground (web/, built into dist/web by Vite) in Debian's Chromium, headless, driven by
 * playwright-core: it trains on the built-in corpus in a Web Worker with wasm threads, the loss
 * falls, a sample and a streamed generation appear, a model saved to a download loads back with
 * the same greedy text, a run trained by the CLI opens in the page and continues its prompt as
 * `scratchlm sample` does, and a page without COOP/COEP trains on one thread. Screenshots of each
 * view go to $SCRATCHLM_ARTIFACTS (default: a folder in the system's temp folder).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { webHandler, webRoot } from '../cli/web-static.js';
import { CLI } from './paths.js';

const execFileAsync = promisify(execFile);
const CHROMIUM = process.env.SCRATCHLM_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = process.env.SCRATCHLM_ARTIFACTS ?? join(tmpdir(), 'scratchlm-play-artifacts');
const work = mkdtempSync(join(tmpdir(), 'scratchlm-play-'));

let isolatedServer: Server | null = null;
let plainServer: Server | null = null;
let ctx: BrowserContext | null = null;
let isolated = '';
let plain = '';

/** A server for the built page: with the isolation headers (webHandler's own), or with none. */
function listen(strip: boolean): Promise<{ server: Server; url: string }> {
  const handle = webHandler({ root: webRoot(), runsDir: work });
  const server = createServer((req, res) => {
    if (strip) {
      const writeHead = res.writeHead.bind(res) as (s: number, h?: Record<string, string>) => typeof res;
      (res as unknown as { writeHead: typeof writeHead }).writeHead = (s, h = {}) => {
        const kept = Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith('Cross-Origin')));
        return writeHead(s, kept);
      };
    }
    if (!handle(req, res)) res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` })));
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `browser tests need Chromium at ${CHROMIUM}: run apt-get install -y chromium (Debian), or set SCRATCHLM_CHROMIUM`);
  assert.ok(existsSync(join(webRoot(), 'index.html')), 'dist/web is not built: npm run build');
  mkdirSync(ARTIFACTS, { recursive: true });
  const a = await listen(false);
  const b = await listen(true);
  isolatedServer = a.server;
  plainServer = b.server;
  isolated = a.url;
  plain = b.url;
  const profile = join(work, 'profile'); // an empty --user-data-dir
  mkdirSync(profile);
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 20_000,
  });
});

after(async () => {
  await ctx?.close();
  for (const s of [isolatedServer, plainServer]) {
    await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
    s?.closeAllConnections();
  }
  rmSync(work, { recursive: true, force: true });
});

async function open(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await ctx!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
  return { page, errors };
}

async function shot(page: Page, name: string, selector = 'body'): Promise<void> {
  await page.locator(selector).screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Sets the form's model and training settings. */
async function configure(page: Page, s: Record<string, number>): Promise<void> {
  for (const [k, v] of Object.entries(s)) await page.fill(k === 'sampleEvery' ? '#sample-every' : `#set-${k}`, String(v));
}

/** Builds and trains until the run is done (its last evaluation, at maxIters, in the table); returns the evaluations table. */
async function trainToEnd(page: Page, timeout: number, maxIters: number): Promise<{ iter: number; train: number; val: number }[]> {
  await page.click('#build');
  // the table of an earlier run in this page ends at another step, so it cannot be taken for this one's
  await page.waitForFunction((n) => document.body.dataset.training === 'done' && (document.querySelector('#evals tbody tr:last-child') as HTMLElement | null)?.dataset.iter === String(n), maxIters, { timeout });
  return page.$$eval('#evals tbody tr', (rows) => rows.map((r) => ({ iter: Number((r as HTMLElement).dataset.iter), train: Number((r as HTMLElement).dataset.train), val: Number((r as HTMLElement).dataset.val) })));
}

/** Runs the command line; resolves to what it printed. */
async function cli(...args: string[]): Promise<string> {
  return (await execFileAsync(process.execPath, [CLI, ...args], { encoding: 'utf8' })).stdout;
}

const wasm = ['--kernels', 'wasm', '--threads', '1'];
const runSettings = { nLayer: 1, nHead: 2, nEmbd: 32, blockSize: 16, batchSize: 4, maxIters: 30, evalInterval: 10, lr: 0.002, warmupIters: 10, dropout: 0, seed: 7 };

/**
 * A run of `scratchlm prepare` + `scratchlm train` on `textFile` with runSettings, and what
 * `sample`, `next --json` and `embeddings --json` print for it (started early: it runs while the
 * page trains).
 */
async function cliRun(textFile: string, run: string) {
  await cli('prepare', textFile, '--out', join(work, 'data'));
  await cli('train', '--data', join(work, 'data'), '--out', run, '--n-layer', '1', '--n-head', '2', '--n-embd', '32', '--block-size', '16', '--batch-size', '4', '--max-iters', '30', '--eval-interval', '10', '--eval-iters', '4', '--lr', '0.002', '--warmup-iters', '10', '--dropout', '0', '--seed', '7', '--probes', 'The k|i|z', ...wasm);
  const [sample, next, emb] = await Promise.all([
    cli('sample', '--run', run, '--prompt', 'The ', '--max-tokens', '40', '--temperature', '0', ...wasm),
    cli('next', '--run', run, '--prompt', 'The ', '--top', '10', '--json', ...wasm),
    cli('embeddings', '--run', run, '--json', ...wasm),
  ]);
  return {
    sample: sample.replace(/\n$/, ''),
    next: JSON.parse(next) as { top: { id: number; prob: number }[] },
    emb: JSON.parse(emb) as { snapshots: { step: number; cohesion: number }[] },
    evals: readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { iter: number; eval?: boolean; train_loss: number; val_loss: number; probes?: { prompt: string; candidates: { text: string; prob: number }[] }[] }).filter((r) => r.eval),
  };
}

/** The embedding view's snapshots: where they come from and [step, cohesion] per snapshot. */
async function embeddingCurve(page: Page, source: 'page' | 'run'): Promise<[number, number][]> {
  await page.click('#tab-embeddings');
  await page.waitForSelector(`#emb-caption[data-source=${source}]`, { timeout: 20_000 });
  return JSON.parse((await page.getAttribute('#emb-caption', 'data-curve')) ?? '[]') as [number, number][];
}

/** The next-token view's top tokens for `prompt` (id → probability). */
async function nextProbs(page: Page, prompt: string, top: number): Promise<Map<number, number>> {
  await page.click('#tab-next');
  await page.fill('#next-prompt', prompt);
  await page.fill('#next-top', String(top));
  await page.fill('#next-temp', '1');
  await page.waitForSelector(`#next-out[data-key=${JSON.stringify(JSON.stringify([prompt, top, 1]))}]`, { timeout: 20_000 });
  const rows = await page.$$eval('#next-out tr.tok', (trs) => trs.map((r) => [Number((r as HTMLElement).dataset.id), Number((r as HTMLElement).dataset.prob)] as [number, number]));
  return new Map(rows);
}

function sameProbs(a: Map<number, number>, b: Map<number, number>, tol: number, what: string): void {
  assert.deepEqual([...a.keys()], [...b.keys()], `${what}: the same top tokens in the same order`);
  for (const [id, p] of a) assert.ok(Math.abs(p - b.get(id)!) <= tol, `${what}: token ${id}: ${p} vs ${b.get(id)}`);
}

/** Greedy continuation of `prompt` in the Generate view. */
async function greedy(page: Page, prompt: string, tokens: number): Promise<string> {
  await page.click('#tab-generate');
  await page.fill('#gen-prompt', prompt);
  await page.fill('#gen-max', String(tokens));
  await page.fill('#gen-temp', '0');
  await page.click('#gen-go');
  await page.waitForSelector('#gen-out[data-done="1"]', { timeout: 20_000 });
  return (await page.textContent('#gen-out')) ?? '';
}

test('the playground trains on the built-in corpus with wasm threads; save, load and a CLI run give the same text', { timeout: 120_000 }, async () => {
  // a run of the command line, on part of the built-in corpus: it trains while the page does
  const textFile = join(work, 'corpus.txt');
  writeFileSync(textFile, readFileSync(join(webRoot(), 'corpus.txt'), 'utf8').slice(0, 200_000));
  const runDir = join(work, 'run');
  const fromCli = cliRun(textFile, runDir);
  fromCli.catch(() => {}); // awaited below; a failure is reported there

  const { page, errors } = await open(`${isolated}?threads=2`);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  assert.equal(await page.getAttribute('#engine', 'data-threads'), '2');
  assert.match((await page.getAttribute('#engine', 'data-backend')) ?? '', /^wasm/);
  await configure(page, { maxIters: 60, evalInterval: 20, sampleEvery: 30 });
  const evals = await trainToEnd(page, 60_000, 60);
  assert.deepEqual(evals.map((e) => e.iter), [0, 20, 40, 60]);
  const first = evals[0]!, last = evals.at(-1)!;
  assert.ok(last.val < first.val - 0.5, `val loss should fall: ${first.val} → ${last.val}`);
  assert.ok(last.train < first.train - 0.5, `train loss should fall: ${first.train} → ${last.train}`);
  const sample = (await page.textContent('#sample')) ?? '';
  assert.ok(sample.length > 50, `a sample appears: '${sample}'`);
  const tps = Number(await page.getAttribute('#s-tps', 'data-value'));
  assert.ok(tps > 0, 'tokens/s shown');
  await shot(page, 'training', '#training');

  // the next-token view: over the whole vocabulary the probabilities sum to 1
  const all = await nextProbs(page, 'The ', 100_000);
  const sum = [...all.values()].reduce((x, y) => x + y, 0);
  assert.ok(all.size > 50 && Math.abs(sum - 1) < 1e-4, `${all.size} tokens, probabilities sum to ${sum}`);
  const before = await nextProbs(page, 'The ', 10);
  await shot(page, 'next-token', '#views');

  // attention: one heatmap per layer and head, labelled; the embedding map with its cohesion
  await page.click('#tab-attention');
  await page.waitForFunction(() => document.querySelectorAll('#attn-grid button.head').length === 4);
  assert.match((await page.textContent('#attn-detail')) ?? '', /layer 0 head 0: .*previous token [\d.]+, first token [\d.]+, self [\d.]+, induction [\d.]+/);
  await shot(page, 'attention', '#views');
  await page.click('#tab-embeddings');
  const pageCurve = await embeddingCurve(page, 'page');
  assert.equal(Number(await page.getAttribute('#emb-step', 'max')) + 1, pageCurve.length);
  assert.ok(pageCurve.length >= 4 && pageCurve[0]![0] === 0 && pageCurve.at(-1)![0] === 60, `embedding snapshots over training: ${JSON.stringify(pageCurve)}`);
  assert.ok((await page.locator('#emb-map text').count()) > 50);
  await shot(page, 'embeddings', '#views');
  await page.click('#tab-lens');
  await page.waitForFunction(() => document.querySelectorAll('#lens-out tr.lens-row').length === 3); // embedding + 2 blocks
  await shot(page, 'logit-lens', '#views');
  await page.click('#tab-probes');
  await page.waitForSelector('#probe-last');
  await shot(page, 'probes', '#views');

  // generation streams into the page; greedy is repeatable
  const text = await greedy(page, 'The ', 40);
  assert.ok(text.startsWith('The ') && text.length > 30, text);
  assert.equal(await page.getAttribute('#gen-info', 'data-tokens'), '40'); // tokens the decode engine generated
  assert.equal(await greedy(page, 'The ', 40), text);
  await shot(page, 'generate', '#views');

  // save: three downloads, the files the CLI reads
  const saved = join(work, 'saved');
  mkdirSync(saved);
  const downloads: Promise<void>[] = [];
  const got = new Promise<void>((resolve) => {
    page.on('download', (d) => {
      downloads.push(d.saveAs(join(saved, d.suggestedFilename())));
      if (downloads.length === 3) resolve();
    });
  });
  await page.click('#save');
  await got;
  await Promise.all(downloads);
  assert.deepEqual(readdirSync(saved).sort(), ['config.json', 'model.safetensors', 'tokenizer.json']);
  assert.equal(JSON.parse(readFileSync(join(saved, 'config.json'), 'utf8')).n_layer, 2);
  // the files the CLI reads: `scratchlm sample` on the downloaded folder continues as the page did
  const savedSample = cli('sample', '--run', saved, '--prompt', 'The ', '--max-tokens', '40', '--temperature', '0', ...wasm);
  savedSample.catch(() => {}); // awaited below

  // load it back in a fresh page: the same greedy text
  const p2 = await open(isolated);
  await p2.page.setInputFiles('#load-files', ['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => join(saved, f)));
  await p2.page.waitForFunction(() => document.getElementById('model-info')?.textContent?.includes('loaded'));
  sameProbs(await nextProbs(p2.page, 'The ', 10), before, 1e-6, 'saved and loaded back');
  assert.equal(await greedy(p2.page, 'The ', 40), text);
  // and it was kept: a reload offers it back
  await p2.page.reload();
  await p2.page.waitForSelector('#restore:not([hidden])');
  await p2.page.click('#restore');
  await p2.page.waitForFunction(() => document.getElementById('model-info')?.textContent?.includes('loaded'));
  assert.equal(await greedy(p2.page, 'The ', 40), text);
  await p2.page.close();
  assert.equal((await savedSample).replace(/\n$/, ''), text);

  // the page trains through the library's RunSession: on the same text with the same settings,
  // the same evaluations as `scratchlm prepare` + `scratchlm train`
  await page.check('input[name=data][value=file]');
  await page.setInputFiles('#upload', textFile);
  await configure(page, { ...runSettings, sampleEvery: 30 });
  const pageEvals = await trainToEnd(page, 30_000, 30);
  const { sample: sampled, next, emb, evals: cliEvals } = await fromCli;
  assert.deepEqual(pageEvals.map((e) => e.iter), cliEvals.map((r) => r.iter));
  pageEvals.forEach((e, i) => {
    const c = cliEvals[i]!;
    assert.ok(Math.abs(e.train - c.train_loss) < 1e-4 && Math.abs(e.val - c.val_loss) < 1e-4, `step ${e.iter}: page ${e.train} / ${e.val}, CLI ${c.train_loss} / ${c.val_loss}`);
  });

  // that run, opened from the server: the same greedy text as `scratchlm sample`, the same
  // next-token probabilities as `scratchlm next --json`, and its own embedding snapshots with the
  // cohesion `scratchlm embeddings --json` gives
  assert.ok(emb.snapshots.length >= 4, `the CLI run took ${emb.snapshots.length} snapshots`);
  const cliCurve = emb.snapshots.map((x) => [x.step, x.cohesion] as [number, number]);
  const sameCurve = (got: [number, number][], what: string) => {
    assert.deepEqual(got.map((x) => x[0]), cliCurve.map((x) => x[0]), `${what}: the run's snapshot steps`);
    got.forEach(([step, c], i) => assert.ok(Math.abs(c - cliCurve[i]![1]) < 1e-9, `${what}: cohesion at step ${step}: ${c} vs ${cliCurve[i]![1]}`));
  };
  await page.fill('#remote', 'run');
  await page.click('#remote-form button');
  await page.waitForFunction(() => /run folder.*embedding snapshots/.test(document.getElementById('model-info')?.textContent ?? ''));
  assert.equal(await greedy(page, 'The ', 40), sampled);
  sameProbs(await nextProbs(page, 'The ', 10), new Map(next.top.map((t) => [t.id, t.prob])), 1e-5, 'page vs scratchlm next on a CLI run');
  sameCurve(await embeddingCurve(page, 'run'), 'opened from the server');
  await shot(page, 'embeddings-run', '#views');
  // ... and its own learning curves: the evaluations of its metrics.jsonl in the table and the
  // chart, and its probe's probabilities at the last evaluation in the Probes view
  assert.equal(await page.getAttribute('#chart', 'data-source'), 'run');
  const shownEvals = await page.$$eval('#evals tbody tr', (rows) => rows.map((r) => [Number((r as HTMLElement).dataset.iter), Number((r as HTMLElement).dataset.train), Number((r as HTMLElement).dataset.val)]));
  assert.deepEqual(shownEvals, cliEvals.map((r) => [r.iter, r.train_loss, r.val_loss]));
  assert.match((await page.textContent('#curves-note')) ?? '', /the run's own \(its metrics\.jsonl\): \d+ logged steps, 4 evaluations, 1 probes/);
  await page.click('#tab-probes');
  await page.waitForSelector('#probe-last');
  const shownProbe = await page.$$eval('#probe-last tr', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.prob)));
  const lastProbe = cliEvals.at(-1)!.probes![0]!.candidates.map((c) => c.prob);
  assert.equal(lastProbe.length, 2);
  assert.deepEqual(shownProbe, lastProbe);
  assert.match((await page.textContent('#probe-last caption')) ?? '', new RegExp(`at step ${cliEvals.at(-1)!.iter} \\(the run's own`));
  await shot(page, 'probes-run', '#views');
  // the run folder's files picked, with its snapshots/ files
  const files = (dir: string) => readdirSync(dir).map((f) => join(dir, f)).filter((p) => statSync(p).isFile());
  await page.setInputFiles('#load-files', [...files(runDir), ...files(join(runDir, 'snapshots'))]);
  await page.waitForFunction(() => /picked files.*embedding snapshots/.test(document.getElementById('model-info')?.textContent ?? ''));
  assert.equal(await greedy(page, 'The ', 40), sampled);
  sameCurve(await embeddingCurve(page, 'run'), 'picked files');
  assert.deepEqual(await page.$$eval('#evals tbody tr', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.val))), cliEvals.map((r) => r.val_loss));
  await page.close();
  assert.deepEqual(errors, []);
});

test('a page that is not cross-origin-isolated still trains, on one thread, and says so', { timeout: 60_000 }, async () => {
  const { page, errors } = await open(plain);
  assert.equal(await page.evaluate(() => crossOriginIsolated), false);
  assert.equal(await page.getAttribute('#engine', 'data-threads'), '1');
  assert.match((await page.textContent('#engine')) ?? '', /not cross-origin-isolated.*one thread/);
  await configure(page, { maxIters: 20, evalInterval: 20, sampleEvery: 20 });
  const evals = await trainToEnd(page, 45_000, 20);
  assert.ok(evals.at(-1)!.val < evals[0]!.val - 0.3, JSON.stringify(evals));
  await shot(page, 'not-isolated');
  await page.close();
  assert.deepEqual(errors, []);
});

test('scratchlm play serves the page with the isolation headers', { timeout: 20_000 }, async () => {
  const child = spawn(process.execPath, [CLI, 'play', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        const m = out.match(/http:\/\/\S+\//);
        if (m) resolve(m[0]);
      });
      child.once('exit', (c) => reject(new Error(`play exited ${c}: ${out}`)));
    });
    const r = await fetch(url);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(await r.text(), /scratchlm playground/);
    assert.equal((await fetch(`${url}runs/../../etc/passwd`)).status, 404);
  } finally {
    child.kill('SIGTERM');
  }
});

test('scratchlm serve shows the playground at / and hands the page its run', { timeout: 30_000 }, async () => {
  const run = join(work, 'run'); // trained by the first test
  assert.ok(existsSync(join(run, 'latest.json')), 'the first test trains the run');
  const child = spawn(process.execPath, [CLI, 'serve', '--run', run, '--port', '0', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        const m = out.match(/at (http:\/\/\S+)/);
        if (m) resolve(m[1]!.replace(/\/?$/, '/'));
      });
      child.once('exit', (c) => reject(new Error(`serve exited ${c}: ${out}`)));
    });
    const r = await fetch(url);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(await r.text(), /scratchlm playground/);
    const meta = (await (await fetch(`${url}runs/run/latest.json`)).json()) as { files: { weights: string } };
    assert.equal((await fetch(`${url}runs/run/${meta.files.weights}`)).status, 200);
    // its embedding snapshots, and nothing else of the folder
    const index = await (await fetch(`${url}runs/run/snapshots/index.jsonl`)).text();
    const firstSnap = (JSON.parse(index.split('\n')[0]!) as { file: string }).file;
    assert.equal((await fetch(`${url}runs/run/snapshots/${firstSnap}`)).status, 200);
    assert.equal((await fetch(`${url}runs/run/${firstSnap}`)).status, 404); // a snapshot's name outside snapshots/
    assert.equal((await fetch(`${url}runs/run/train.log`)).status, 404);
    assert.equal((await fetch(`${url}v1/models`)).status, 200); // the API still answers
  } finally {
    child.kill('SIGTERM');
  }
});
