/**
 * `scratchlm serve` as a library: an HTTP server (node:http) that speaks OpenAI's completions API
 * over one model, with continuous batching, the tokenizer and the inspection views as JSON.
 * Binds 127.0.0.1 unless told otherwise. No request can crash it: every handler's failure becomes
 * an error response in OpenAI's shape.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { GPT, Tokenizer } from '../src/index.js';
import { handleCompletion } from './completions.js';
import type { ServeContext } from './context.js';
import type { DecodeEngine } from './engine.js';
import { defaultEngine } from './engines.js';
import { ApiError, methodNotAllowed, notFound, shuttingDown } from './errors.js';
import { Metrics } from './metrics.js';
import { ROUTES as INSPECT_ROUTES } from './inspect-routes.js';
import { Scheduler } from './scheduler.js';
import { SIMPLE_ROUTES } from './simple-routes.js';
import { serveStatic } from './static.js';

/** Options of `startServer`: the model, its tokenizer, the port and host, limits, and an API key. */
export interface ServeOptions {
  model: GPT;
  tokenizer: Tokenizer;
  /** The name clients use as `model` (default: 'scratchlm'). */
  modelId?: string;
  modelInfo?: Record<string, unknown>;
  engine?: DecodeEngine;
  host?: string;
  /** 0: any free port. Default 8080. */
  port?: number;
  apiKey?: string;
  /** Largest max_tokens a request may ask for (default 2048). */
  maxTokens?: number;
  /** Sequences decoded at once (default 16). */
  maxConcurrent?: number;
  /** Requests that may wait for a slot before new ones get 503 (default 4 × maxConcurrent). */
  maxQueue?: number;
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** A folder served at `/` with cross-origin isolation headers (the browser playground). */
  staticDir?: string;
  /** Asked for GET/HEAD requests no route or staticDir answered; true when it answered (the playground's handler). */
  fallback?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** A started server: its address and how to close it. */
export interface RunningServer {
  url: string;
  port: number;
  context: ServeContext;
  /** Stops listening, ends streams in flight with an error event, answers queued requests 503. */
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: unknown, ctx: ServeContext) => Promise<void> | void;
export type RouteTable = Record<string, Partial<Record<'GET' | 'POST', Handler>>>;

const chat: Handler = () => {
  throw new ApiError(400, 'this is a base model without a chat template; use POST /v1/completions with a "prompt" instead', 'invalid_request_error', null, 'base_model');
};

/** Routes open without the API key (load balancers and the playground's files). */
const PUBLIC = new Set(['/health']);

/** Starts the OpenAI-compatible HTTP server over one model (what `npx scratchlm serve` runs). */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const maxConcurrent = opts.maxConcurrent ?? 16;
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const engine = opts.engine ?? defaultEngine(opts.model, maxConcurrent);
  const scheduler = new Scheduler(engine, maxConcurrent, opts.maxQueue ?? 4 * maxConcurrent);
  const metrics = new Metrics();
  scheduler.onStep = (n, ms, batch) => metrics.step(n, ms, batch);
  const baseHeaders: Record<string, string> = { Server: 'scratchlm' };
  const ctx: ServeContext = {
    model: opts.model,
    tokenizer: opts.tokenizer,
    modelId: opts.modelId ?? 'scratchlm',
    modelInfo: opts.modelInfo ?? { config: opts.model.config },
    engine,
    scheduler,
    metrics,
    maxTokens: opts.maxTokens ?? 2048,
    eot: opts.tokenizer.specialTokens.get('<|endoftext|>'),
    baseHeaders,
    sendJson(res, status, body, headers = {}) {
      if (res.headersSent) {
        res.end();
        return;
      }
      const text = JSON.stringify(body);
      res.writeHead(status, { ...baseHeaders, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
      res.end(text);
    },
    sendError(res, err) {
      ctx.sendJson(res, err.status, err.body(), err.headers);
    },
  };
  const routes: RouteTable = {
    ...SIMPLE_ROUTES,
    ...INSPECT_ROUTES,
    '/v1/completions': { POST: handleCompletion },
    '/v1/chat/completions': { POST: chat },
  };
  const keyHash = opts.apiKey !== undefined ? createHash('sha256').update(opts.apiKey).digest() : null;
  let closing = false;
  const open = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes[path];
    res.on('close', () => {
      open.delete(res);
      metrics.request(route ? path : 'other', res.statusCode);
    });
    open.add(res);
    try {
      if (closing) throw shuttingDown();
      const method = req.method ?? 'GET';
      if (!route) {
        if (opts.staticDir && (method === 'GET' || method === 'HEAD') && serveStatic(opts.staticDir, req, res, path, baseHeaders)) return;
        if (opts.fallback?.(req, res)) return;
        throw notFound(path);
      }
      const handler = route[method as 'GET' | 'POST'] ?? (method === 'HEAD' ? route.GET : undefined);
      if (!handler) throw methodNotAllowed(method, path, Object.keys(route));
      if (keyHash && !PUBLIC.has(path)) checkKey(req, keyHash);
      const body = method === 'POST' ? await readJson(req, maxBody) : undefined;
      await handler(req, res, body, ctx);
    } catch (e) {
      let err: ApiError;
      if (e instanceof ApiError) err = e;
      else {
        console.error(`scratchlm serve: ${req.method} ${path} failed:`, e);
        err = new ApiError(500, `internal error: ${e instanceof Error ? e.message : String(e)}`, 'server_error', null, 'internal_error');
      }
      if (err.status === 413) res.setHeader('Connection', 'close');
      ctx.sendError(res, err);
    }
  };

  const server = createServer({ requestTimeout: 60_000, headersTimeout: 30_000, keepAliveTimeout: 5_000 }, (req, res) => {
    handle(req, res).catch((e) => {
      console.error('scratchlm serve: unexpected failure:', e);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${addr.port}`,
    port: addr.port,
    context: ctx,
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        scheduler.abortAll(shuttingDown());
        server.closeIdleConnections();
        const deadline = Date.now() + 2000;
        while (open.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        server.closeAllConnections();
        await stopped;
      })();
      return closed;
    },
  };
}

function checkKey(req: IncomingMessage, keyHash: Buffer): void {
  const h = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(h);
  const given = createHash('sha256').update(m ? m[1].trim() : '').digest();
  if (!m || !timingSafeEqual(given, keyHash)) {
    throw new ApiError(401, m ? 'the API key is not correct' : 'this server needs an API key: send "Authorization: Bearer <key>"', 'authentication_error', null, 'invalid_api_key', { 'WWW-Authenticate': 'Bearer' });
  }
}

/** The body as JSON; 413 past `limit` bytes, 400 for anything that does not parse. */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const tooBig = () => new ApiError(413, `the request body is larger than ${limit} bytes (--max-body)`, 'invalid_request_error', null, 'body_too_large');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // discard it; the connection closes after the answer
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooBig());
      } else chunks.push(c);
    });
    req.on('end', () => resolve());
    req.on('error', (e) => reject(new ApiError(400, `the request body could not be read: ${e.message}`, 'invalid_request_error', null, 'bad_body')));
  });
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) throw new ApiError(400, 'the request body is empty; send a JSON object', 'invalid_request_error', null, 'invalid_json');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, `the request body is not valid JSON: ${(e as Error).message}`, 'invalid_request_error', null, 'invalid_json');
  }
}
