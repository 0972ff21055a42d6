/** `scratchlm serve` as a user runs it: a trained run folder, the URL it prints, SIGTERM with streams open. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './paths.js';
import { rawStream, sseData } from './serve-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'scratchlm-serve-'));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });

test('serve: bad flags are one line; the run is served at the printed URL; SIGTERM ends open streams with an error event, exit 0', async () => {
  const words = ['the', 'king', 'said', 'to', 'his', 'lord', 'and', 'queen', 'of', 'night'];
  let text = '';
  for (let i = 0; text.length < 20000; i++) text += words[(i * 7 + (i >> 3)) % words.length] + (i % 11 === 10 ? '.\n' : ' ');
  writeFileSync(join(dir, 'text.txt'), text);
  assert.equal(cli(['prepare', 'text.txt', '--tokenizer', 'char', '--out', 'data']).status, 0);
  const t = cli(['train', '--data', 'data', '--out', 'runs/tiny', '--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '2', '--max-iters', '1', '--eval-interval', '1', '--eval-iters', '1', '--sample-tokens', '0']);
  assert.equal(t.status, 0, t.stderr);

  const noRun = cli(['serve']);
  assert.equal(noRun.status, 1);
  assert.match(noRun.stderr, /expected --run/);
  const badPort = cli(['serve', '--run', 'runs/tiny', '--port', 'eighty']);
  assert.equal(badPort.status, 1);
  assert.equal(badPort.stderr.trim(), "scratchlm: --port must be a whole number from 0 to 65535, got 'eighty'");

  const p = spawn(process.execPath, [CLI, 'serve', '--run', 'runs/tiny', '--port', '0', '--kernels', 'ref'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    p.stdout.on('data', (d) => {
      out += d;
      const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    p.on('exit', () => reject(new Error(`serve exited early: ${out}${err}`)));
  });
  const models = await (await fetch(`${url}/v1/models`)).json();
  assert.equal(models.data[0].id, 'tiny');
  assert.equal(models.data[0].config.nEmbd, 16);
  assert.equal(models.data[0].max_model_len, 16);
  const streams = await Promise.all([0, 1].map(() => rawStream(`${url}/v1/completions`, { prompt: 'the king', max_tokens: 2000, stream: true })));
  const texts = streams.map((s) => {
    s.setEncoding('utf8');
    let t = '';
    s.on('data', (d: string) => (t += d));
    return { get: () => t, ended: new Promise((r) => s.on('end', r)) };
  });
  while (texts.some((t) => !t.get().includes('data: '))) await new Promise((r) => setTimeout(r, 10));
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  p.kill('SIGTERM');
  await Promise.all(texts.map((t) => t.ended));
  for (const t of texts) {
    const last = sseData(t.get()).at(-1)!;
    assert.match(JSON.parse(last).error.message, /shutting down/);
  }
  assert.equal(await exited, 0, err);
  assert.match(out, /SIGTERM: stopping/);
  assert.equal(err, '');
});
