/**
 * The pictures in a real browser (Debian's Chromium, headless, via playwright-core): the attention
 * heatmaps, the embedding map and the learning report are rendered, screenshotted and checked to
 * be drawn (many non-white pixels, several colours), with structural checks of the SVG in the
 * page (one panel per head and per snapshot, every panel laid out with a size).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import {
  attentionMaps, attentionSvg, CharTokenizer, embeddingsOverTraining, embeddingsSvg, GPT, headScores, htmlPage, logitLens, nextTokens, reportHtml, Rng, type EmbeddingRows,
} from '../src/index.js';

const CHROMIUM = process.env.SCRATCHLM_CHROMIUM ?? '/usr/bin/chromium';
let browser: Browser | null = null;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `browser tests need Chromium at ${CHROMIUM}: run apt-get install -y chromium (Debian), or set SCRATCHLM_CHROMIUM`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'], timeout: 20_000 });
});
after(async () => {
  await browser?.close();
});

/** RGBA pixels of a PNG (8-bit RGB or RGBA, non-interlaced: what Chromium writes). */
export function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  let off = 8;
  let width = 0, height = 0, channels = 4;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('ascii', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth 8');
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : assert.fail(`colour type ${data[9]}`);
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  const prev = new Uint8Array(stride), cur = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= channels ? cur[i - channels]! : 0, b = prev[i]!, c = i >= channels ? prev[i - channels]! : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      cur[i] = (x + (f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
    }
    for (let xx = 0; xx < width; xx++) for (let k = 0; k < 4; k++) out[(y * width + xx) * 4 + k] = k < channels ? cur[xx * channels + k]! : 255;
    prev.set(cur);
  }
  return { width, height, rgba: out };
}

/** Share of pixels that are not (near) white, and how many distinct coarse colours there are. */
function inked(png: Buffer): { ink: number; colours: number; width: number; height: number } {
  const { width, height, rgba } = decodePng(png);
  let ink = 0;
  const colours = new Set<number>();
  for (let i = 0; i < width * height; i++) {
    const r = rgba[i * 4]!, g = rgba[i * 4 + 1]!, b = rgba[i * 4 + 2]!;
    if (r < 235 || g < 235 || b < 235) ink++;
    colours.add(((r >> 5) << 6) | ((g >> 5) << 3) | (b >> 5));
  }
  return { ink: ink / (width * height), colours: colours.size, width, height };
}

async function render(html: string, selector: string) {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith('data:') && r.url() !== 'about:blank') errors.push(`network request: ${r.url()}`);
  });
  await page.setContent(html);
  const boxes = await page.evaluate((sel) => Array.from(document.querySelectorAll(sel)).map((e) => {
    const r = e.getBoundingClientRect();
    return { w: r.width, h: r.height };
  }), selector);
  const shot = await page.screenshot({ fullPage: true });
  await page.close();
  assert.deepEqual(errors, []);
  return { boxes, pixels: inked(shot) };
}

const tok = new CharTokenizer([...' .,abcdefghijklmnopqrstuvwxyzABCDE0123']);
const model = new GPT({ vocabSize: tok.vocabSize, blockSize: 32, nLayer: 2, nHead: 3, nEmbd: 24 }, { rng: new Rng(2) });
const prompt = 'the cat sat on the mat. the cat';

test('attention heatmaps render in Chromium: one laid-out panel per head, drawn in colour', { timeout: 30_000 }, async () => {
  const svg = attentionSvg(attentionMaps(model, tok, prompt));
  const { boxes, pixels } = await render(htmlPage('attention', svg), 'svg g.head');
  assert.equal(boxes.length, 6);
  for (const b of boxes) assert.ok(b.w > 50 && b.h > 50, JSON.stringify(b));
  assert.ok(pixels.ink > 0.05 && pixels.colours > 8, JSON.stringify(pixels));
});

function snapshots(): EmbeddingRows[] {
  // step 0: random rows; later: the same rows pulled towards one centre per character class
  const rng = new Rng(4);
  const V = tok.vocabSize, C = 24;
  const base = Array.from({ length: V * C }, () => rng.normal());
  const centres = Array.from({ length: 4 }, () => Array.from({ length: C }, () => 3 * rng.normal()));
  const cls = (ch: string) => (/[a-z]/.test(ch) ? 0 : /[A-Z]/.test(ch) ? 1 : /\d/.test(ch) ? 2 : 3);
  return [0, 10, 100].map((step, k) => ({
    step,
    ids: [...Array(V).keys()],
    cols: C,
    data: Float32Array.from(base, (v, i) => v + (k / 2) * centres[cls(tok.chars[Math.floor(i / C)]!)]![i % C]!),
  }));
}

test('the embedding map renders as small multiples, and cohesion rises with the clusters', { timeout: 30_000 }, async () => {
  const e = embeddingsOverTraining(snapshots(), tok);
  const coh = e.result.snapshots.map((s) => s.cohesion);
  assert.ok(coh[0]! < 0.1 && coh[2]! > coh[1]! && coh[1]! > coh[0]! + 0.3, coh.join(', '));
  const { boxes, pixels } = await render(htmlPage('map', embeddingsSvg(e)), 'svg g.frame');
  assert.equal(boxes.length, 3);
  for (const b of boxes) assert.ok(b.w > 100 && b.h > 100, JSON.stringify(b));
  assert.ok(pixels.ink > 0.005 && pixels.colours > 5, JSON.stringify(pixels)); // dots and labels on white: sparse
});

test('the learning report renders with every section and no network', { timeout: 30_000 }, async () => {
  const heads = headScores(model, tok.encode(prompt));
  const metrics = [0, 10, 20, 30].flatMap((it) => [
    { iter: it, train_loss: 3 - it / 20 },
    { iter: it, eval: true, train_loss: 3 - it / 20, val_loss: 3.1 - it / 20, probes: [{ prompt: 'the c', candidates: [{ text: 'at', prob: 0.01 * (it + 1), logprob: Math.log(0.01 * (it + 1)) }, { text: 'E', prob: 0.001, logprob: Math.log(0.001) }] }] },
  ]);
  const html = reportHtml({
    title: 'report test', summary: 'a random model', metrics,
    embeddings: embeddingsOverTraining(snapshots(), tok),
    headsOverTime: [{ step: 0, heads }, { step: 30, heads }],
    attention: attentionMaps(model, tok, prompt), lens: logitLens(model, tok, prompt), next: nextTokens(model, tok, 'the c', { candidates: ['at', 'E'] }),
    sample: { prompt: '', text: 'the cat' },
  });
  const { boxes, pixels } = await render(html, 'svg');
  assert.equal(boxes.length, 9, `${boxes.length} pictures`); // loss, 1 probe, cohesion, map, 4 head-score charts, heatmaps
  for (const b of boxes) assert.ok(b.w > 100 && b.h > 100, JSON.stringify(b));
  assert.ok(pixels.ink > 0.03 && pixels.height > 2000, JSON.stringify(pixels));
});
