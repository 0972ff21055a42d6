/** A tiny model behind a server on a free loopback port, and raw HTTP helpers for the serve tests. */
import { request } from 'node:http';
import { CharTokenizer, GPT, Rng } from '../src/index.js';
import { startServer, type RunningServer, type ServeOptions } from '../server/index.js';

export const TEXT = 'abcdefghijklmnopqrstuvwxyz .,\n';

export function tinyModel(seed = 1, blockSize = 24) {
  const tokenizer = CharTokenizer.fromText(TEXT);
  const model = new GPT({ vocabSize: tokenizer.vocabSize, blockSize, nLayer: 2, nHead: 2, nEmbd: 16, bias: true, dropout: 0 }, { rng: new Rng(seed) });
  return { model, tokenizer };
}

export async function tinyServer(opts: Partial<ServeOptions> = {}): Promise<RunningServer> {
  const { model, tokenizer } = tinyModel();
  return startServer({ model, tokenizer, modelId: 'tiny', port: 0, ...opts });
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, headers: r.headers, json, text };
}

/** Parses a server-sent event stream's `data:` lines. */
export function sseData(text: string): string[] {
  return text.split('\n\n').filter((e) => e.trim()).map((e) => e.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'));
}

/** A streaming request over a raw socket, so the test decides when (and whether) to read. */
export function rawStream(url: string, body: unknown): Promise<import('node:http').IncomingMessage & { abort(): void }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const data = JSON.stringify(body);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      resolve(Object.assign(res, { abort: () => req.destroy() }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no metric ${name} in:\n${text}`);
  return Number(m[1]);
}

export async function waitFor(cond: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
