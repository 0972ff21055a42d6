/** scratchlm serve --run RUN: an OpenAI-compatible HTTP server over a trained run. */
import { parseArgs } from 'node:util';
import { basename, resolve } from 'node:path';
import { loadRun, ScratchError } from '../../src/index.js';
import { startServer } from '../../server/index.js';
import { backendFromFlags, BACKEND_OPTIONS } from '../backend-flags.js';

const HELP = `usage: scratchlm serve --run <run folder> [--host 127.0.0.1] [--port 8080] [--api-key KEY]
                       [--max-tokens 2048] [--max-concurrent 16] [--max-queue 64] [--max-body 1048576]
                       [--static DIR] [--model-name NAME] [--checkpoint best|latest] [--kernels ref|wasm|auto] [--threads T]

Serves the run's model over HTTP with OpenAI's completions API (POST /v1/completions, streaming
with server-sent events), GET /v1/models, /health, /metrics, POST /tokenize, /detokenize and the
inspection views (POST /v1/next, /v1/attention, /v1/neighbors, /v1/lens). Concurrent requests are
decoded together, up to --max-concurrent sequences; up to --max-queue more wait, beyond that 503.
--static serves a folder (the browser playground) at / with cross-origin isolation headers.
Binds 127.0.0.1 unless --host says otherwise; Ctrl-C (SIGINT) or SIGTERM stops it.`;

function int(name: string, v: string | undefined, min: number, def: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new ScratchError(`--${name} must be a whole number from ${min} to ${max}, got '${v}'`);
  return n;
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...BACKEND_OPTIONS,
      run: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'api-key': { type: 'string' },
      'max-tokens': { type: 'string' },
      'max-concurrent': { type: 'string' },
      'max-queue': { type: 'string' },
      'max-body': { type: 'string' },
      static: { type: 'string' },
      'model-name': { type: 'string' },
      checkpoint: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.run) {
    console.error(`scratchlm serve: expected --run <run folder>\n${HELP}`);
    return 1;
  }
  const ck = values.checkpoint;
  if (ck !== undefined && ck !== 'best' && ck !== 'latest') throw new ScratchError(`--checkpoint must be best or latest, got '${ck}'`);
  const port = int('port', values.port, 0, 8080, 65535);
  const maxConcurrent = int('max-concurrent', values['max-concurrent'], 1, 16, 4096);
  const opts = {
    maxTokens: int('max-tokens', values['max-tokens'], 1, 2048),
    maxConcurrent,
    maxQueue: int('max-queue', values['max-queue'], 0, 4 * maxConcurrent),
    maxBodyBytes: int('max-body', values['max-body'], 1, 1024 * 1024),
  };
  if (values['api-key'] === '') throw new ScratchError('--api-key must not be empty');
  const backend = await backendFromFlags(values);
  const r = loadRun(values.run, { backend, checkpoint: ck, inference: true });
  r.model.train(null);
  const modelId = values['model-name'] ?? basename(resolve(values.run));
  let server;
  try {
    server = await startServer({
      model: r.model,
      tokenizer: r.tokenizer,
      modelId,
      modelInfo: { config: r.config.model, checkpoint: r.checkpoint, step: r.meta.step, tokenizer: r.tokenizer.kind, run: resolve(r.dir) },
      host: values.host,
      port,
      apiKey: values['api-key'],
      staticDir: values.static,
      ...opts,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new ScratchError(`port ${port} is in use; choose another with --port (0 picks a free one)`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw new ScratchError(`cannot listen on host '${values.host}': ${err.code}; use an address of this machine, e.g. 127.0.0.1`);
    if (err.code === 'EACCES') throw new ScratchError(`no permission to listen on port ${port}; use a port above 1023`);
    throw e;
  }
  console.log(`scratchlm: serving ${modelId} (${r.checkpoint} checkpoint, step ${r.meta.step}, ${server.context.engine.name} engine) at ${server.url}`);
  console.log(`scratchlm: try  curl ${server.url}/v1/completions -H 'Content-Type: application/json' -d '{"prompt": "Once", "max_tokens": 20}'`);
  await new Promise<void>((resolveStop) => {
    const stop = (sig: string) => {
      console.log(`scratchlm: ${sig}: stopping`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      server.close().then(resolveStop, resolveStop);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  return 0;
}
