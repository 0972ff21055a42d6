/** scratchlm play [--port N] [--host H] [--runs DIR]: serve the browser playground. */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ScratchError } from '../../src/index.js';
import { defineCommand, parseCommand } from '../args.js';
import { ISOLATION_HEADERS, webHandler, webRoot } from '../web-static.js';

export const spec = defineCommand({
  name: 'play',
  summary: 'Serves the playground: a page that trains a GPT in the browser (in a Web Worker, on the wasm kernels with threads) and shows its loss, samples and insides. Open the printed address.',
  flags: {
    port: { type: 'int', min: 0, max: 65535, value: 'PORT', default: 8080, doc: 'port (0 picks a free one)' },
    host: { type: 'string', value: 'HOST', default: '127.0.0.1', doc: 'address to listen on' },
    runs: { type: 'string', value: 'DIR', doc: 'run folders under DIR (default: the current folder) open in the page by their path, e.g. runs/brown' },
  },
  description: 'The page is also a static site: dist/web can be served by any web server that sends the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (without them it trains on one thread).',
  examples: ['npx scratchlm play --port 8080'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(spec, args);
  if (!p) return 0;
  const values = p.values;
  const port = values.port!;
  const root = webRoot();
  if (!existsSync(join(root, 'index.html'))) throw new ScratchError(`the playground is not built (${join(root, 'index.html')} is missing); run 'npm run build'`);
  if (values.runs !== undefined && !existsSync(values.runs)) throw new ScratchError(`--runs ${values.runs}: no such folder`);
  const handle = webHandler({ root, runsDir: values.runs });
  const server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
  });
  const host = values.host!;
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
