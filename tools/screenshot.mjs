#!/usr/bin/env node
/**
 * Screenshots of a page (a report.html, an attention .html, an .svg) in headless Chromium, for the
 * README's pictures: node tools/screenshot.mjs PAGE OUT.png [--width 1100] [--selector CSS] [--max-height PX]
 * With --selector, only that element (the first match); otherwise the full page (its top PX with --max-height).
 */
import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? dflt : args.splice(i, 2)[1];
};
const width = Number(flag('width', '1100'));
const selector = flag('selector', undefined);
const maxHeight = Number(flag('max-height', '0'));
const [page, out] = args;
if (!page || !out || !existsSync(page)) {
  console.error('usage: node tools/screenshot.mjs PAGE OUT.png [--width 1100] [--selector CSS] [--max-height PX] (PAGE must exist)');
  process.exit(1);
}
const exe = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!exe) {
  console.error('no Chromium: apt-get install chromium');
  process.exit(1);
}
const browser = await chromium.launch({ executablePath: exe, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
try {
  const p = await browser.newPage({ viewport: { width, height: 800 } });
  await p.goto(pathToFileURL(resolve(page)).href);
  if (selector) await p.locator(selector).first().screenshot({ path: out });
  else if (maxHeight > 0) await p.screenshot({ path: out, fullPage: true, clip: { x: 0, y: 0, width, height: maxHeight } });
  else await p.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
