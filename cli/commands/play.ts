/** scratchlm play [--port N] [--host H] [--runs DIR]: serve the browser playground. */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ScratchError } from '../../src/index.js';
import { ISOLATION_HEADERS, webHandler, webRoot } from '../web-static.js';

const HELP = `usage: scratchlm play [--port 8080] [--host 127.0.0.1] [--runs DIR]

Serves the playground: a page that trains a GPT in the browser (in a Web Worker, on the wasm
kernels with threads) and shows its loss, samples and insides. Open the printed address.
Run folders under DIR (default: the current folder) can be opened in the page by their path,
e.g. runs/brown. The page is also a static site: dist/web can be served by any web server that
sends the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
require-corp (without them it trains on one thread).`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' }, runs: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ScratchError(`--port must be a whole number from 0 to 65535, got '${values.port}'`);
  const root = webRoot();
  if (!existsSync(join(root, 'index.html'))) throw new ScratchError(`the playground is not built (${join(root, 'index.html')} is missing); run 'npm run build'`);
  if (values.runs !== undefined && !existsSync(values.runs)) throw new ScratchError(`--runs ${values.runs}: no such folder`);
  const handle = webHandler({ root, runsDir: values.runs });
  const server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
  });
  const host = values.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new ScratchError(`port ${port} is in use; choose another with --port (0 picks a free one)`) : e.code === 'EACCES' ? new ScratchError(`port ${port} needs privileges; choose one above 1024 with --port`) : e),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  console.log(`scratchlm playground: http://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${addr.port}/  (Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
