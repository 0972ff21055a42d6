/**
 * Training speed in the playground: the page (dist/web) in headless Chromium trains the `baby`
 * preset on the built-in corpus with 1 and then 2 threads, alternating, and reports tokens/s as
 * the page shows it (mean of the last 10 steps); beside it, `benchTrain` on the same shape in
 * Node (what `scratchlm bench train --preset baby` measures), on the wasm kernels and, when the
 * native addon is built, on the native ones (the CLI's default). The machine may be shared: the runs
 * alternate, and medians are printed.
 *
 *   npm run build && node dist/bench/playground.js [--steps 40] [--rounds 3]
 *   node dist/bench/playground.js --shots docs/playground [--steps 400]   # the README's screenshots
 *
 * --shots trains the `tiny` preset for --steps steps on 2 threads and saves a small PNG of the
 * training view and of each view beside it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { benchTrain, createBackend, median } from '../src/index.js';
import { webHandler } from '../cli/web-static.js';

const { values } = parseArgs({ options: { steps: { type: 'string' }, rounds: { type: 'string' }, shots: { type: 'string' } } });
const steps = Number(values.steps ?? (values.shots ? 400 : 40));
const rounds = Number(values.rounds ?? 3);

const handle = webHandler();
const server = createServer((req, res) => {
  if (!handle(req, res)) res.writeHead(404).end();
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const profile = mkdtempSync(join(tmpdir(), 'scratchlm-bench-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.SCRATCHLM_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function page(threads: number): Promise<number> {
  const p = await ctx.newPage();
  await p.goto(`${url}?threads=${threads}`);
  await p.waitForSelector('body[data-ready="1"]');
  await p.selectOption('#preset', 'baby');
  await p.fill('#set-maxIters', String(steps));
  await p.fill('#set-evalInterval', String(steps * 10)); // one evaluation, at step 0
  await p.fill('#sample-every', String(steps * 10));
  await p.click('#build');
  await p.waitForSelector('body[data-training="done"]', { timeout: 600_000 });
  const tps = Number(await p.getAttribute('#s-tps', 'data-value'));
  await p.close();
  return tps;
}

async function cli(threads: number, kernels: 'wasm' | 'native' = 'wasm'): Promise<number> {
  const be = await createBackend({ kernels, threads });
  const r = benchTrain({ preset: 'baby', backend: be, iters: Math.min(steps, 20) });
  (be as { close?: () => void }).close?.();
  return r.tokens_per_s;
}

async function shots(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const p = await ctx.newPage();
  await p.goto(`${url}?threads=2`);
  await p.waitForSelector('body[data-ready="1"]');
  await p.fill('#set-maxIters', String(steps));
  await p.fill('#set-evalInterval', String(Math.max(1, Math.round(steps / 8))));
  await p.click('#build');
  await p.waitForSelector('body[data-training="done"]', { timeout: 900_000 });
  await p.locator('#training').screenshot({ path: join(dir, 'training.png') });
  for (const [tab, ready] of [['next', '#next-out tr'], ['generate', ''], ['attention', '#attn-grid button'], ['embeddings', '#emb-caption[data-cohesion]'], ['lens', '#lens-out tr'], ['probes', '#probe-last']] as const) {
    await p.click(`#tab-${tab}`);
    if (tab === 'generate') {
      await p.click('#gen-go');
      await p.waitForSelector('#gen-out[data-done="1"]');
    } else await p.waitForSelector(ready);
    await p.waitForTimeout(1000); // the embedding labels glide into place
    await p.locator('#views').screenshot({ path: join(dir, `${tab}.png`) });
  }
  console.log(`screenshots in ${dir}`);
}

if (values.shots) {
  await shots(values.shots);
  await ctx.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
  process.exit(0);
}

// the CLI's default kernels on this machine: native (AVX-512/AVX2) when the addon is built
const native = await createBackend({ kernels: 'native', threads: 1 }).then((b) => ((b as { close?: () => void }).close?.(), true), () => false);
const res: Record<string, number[]> = { 'page 1': [], 'page 2': [], 'node 1': [], 'node 2': [], ...(native ? { 'native 1': [], 'native 2': [] } : {}) };
for (let r = 0; r < rounds; r++) {
  for (const t of [1, 2]) {
    res[`page ${t}`]!.push(await page(t));
    res[`node ${t}`]!.push(await cli(t));
    if (native) res[`native ${t}`]!.push(await cli(t, 'native'));
  }
  console.log(`round ${r + 1}: ${Object.entries(res).map(([k, v]) => `${k} ${Math.round(v.at(-1)!)}`).join(', ')}`);
}
console.log(`baby preset (4 layers, 128 wide, block 64, batch 12), tokens/s, median of ${rounds} (page: Chromium, wasm; node: benchTrain, wasm; native: benchTrain, native kernels):`);
for (const [k, v] of Object.entries(res)) console.log(`  ${k.padEnd(7)} thread(s): ${Math.round(median(v))}`);
await ctx.close();
server.close();
rmSync(profile, { recursive: true, force: true });
