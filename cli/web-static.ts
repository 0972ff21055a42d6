/**
 * Hands out the built playground (dist/web) with the headers that make it cross-origin-isolated
 * (so the wasm kernels may share memory with their Web Workers), and the files of run folders
 * under /runs/<folder>/<file> so the page can open a run that `scratchlm train` made. `scratchlm
 * play` serves only this; `scratchlm serve` can mount `webHandler` at `/`.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What shared memory needs: the page in its own browsing-context group, every resource opted in. */
export const ISOLATION_HEADERS = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.wasm': 'application/wasm', '.safetensors': 'application/octet-stream',
};

/** dist/web of this installation (cli/ is compiled to dist/cli). */
export function webRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', 'web');
}

/** Files of a run folder the page may read: checkpoints and the weights they name, configs, tokenizers. */
const RUN_FILE = /^(best|latest)\.json$|^(best|latest)-\d+b?\.safetensors$|^model\.safetensors$|^config\.json$|^tokenizer\.json$|^metrics\.jsonl$/;
/** ... and its embedding snapshots (snapshots/index.jsonl and the emb-<step>.bin it names). */
const SNAPSHOT_FILE = /^index\.jsonl$|^emb-\d+\.bin$/;

function runFile(file: string): boolean {
  const parts = file.split(sep);
  const name = parts.pop() ?? '';
  return RUN_FILE.test(name) || (parts.at(-1) === 'snapshots' && SNAPSHOT_FILE.test(name));
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(text);
}

function sendFile(res: ServerResponse, path: string, head: boolean): void {
  const size = statSync(path).size;
  res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream', 'Content-Length': String(size), 'Cache-Control': 'no-cache' });
  if (head) res.end();
  else createReadStream(path).pipe(res);
}

/** The file under `root` that url path `p` names, or null when it would leave root. */
function inside(root: string, p: string): string | null {
  const file = normalize(join(root, p));
  const rel = relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !rel.includes(`..${sep}`)) ? file : null;
}

/**
 * A request handler for the playground. Answers true when it handled the request (GET or HEAD of
 * the page, its assets, or /runs/...), false to let the caller answer it.
 */
export function webHandler(opts: { root?: string; runsDir?: string } = {}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const root = opts.root ?? webRoot();
  const runsDir = resolve(opts.runsDir ?? process.cwd());
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      send(res, 400, 'bad path');
      return true;
    }
    const head = req.method === 'HEAD';
    if (path.startsWith('/runs/')) {
      const file = inside(runsDir, path.slice('/runs/'.length));
      if (!file || !runFile(file)) {
        send(res, 404, 'only the files of run folders (checkpoints, configs, tokenizers, metrics, snapshots) are served under /runs/');
        return true;
      }
      if (!existsSync(file) || !statSync(file).isFile()) send(res, 404, `${relative(runsDir, file)}: no such file`);
      else sendFile(res, file, head);
      return true;
    }
    const file = inside(root, path === '/' ? 'index.html' : path);
    if (!file) return false;
    if (!existsSync(file) || !statSync(file).isFile()) return false;
    sendFile(res, file, head);
    return true;
  };
}
