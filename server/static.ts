/**
 * Serves a folder (the browser playground) at `/`. Every file goes out with the cross-origin
 * isolation headers (COOP same-origin, COEP require-corp), which SharedArrayBuffer and so the
 * threaded wasm kernels need in a browser.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

/**
 * The cross-origin isolation headers (COOP same-origin, COEP require-corp) that SharedArrayBuffer
 * needs in a browser.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The file under `root` that `urlPath` names, or null (outside root, missing, not a file). */
export function resolveStatic(root: string, urlPath: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const base = resolve(root);
  let file = resolve(join(base, rel));
  if (file !== base && !file.startsWith(base + sep)) return null;
  try {
    let st = statSync(file);
    if (st.isDirectory()) {
      file = join(file, 'index.html');
      st = statSync(file);
    }
    return st.isFile() ? file : null;
  } catch {
    return null;
  }
}

/** True when it answered (a file was found). */
export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, urlPath: string, baseHeaders: Record<string, string>): boolean {
  const file = resolveStatic(root, urlPath);
  if (!file) return false;
  const size = statSync(file).size;
  res.writeHead(200, { ...baseHeaders, ...ISOLATION_HEADERS, 'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': String(size), 'Cache-Control': 'no-cache' });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).on('error', () => res.destroy()).pipe(res);
  return true;
}
