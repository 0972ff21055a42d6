/** scratchlm serve --run RUN: an OpenAI-compatible HTTP server over a trained run. */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadRun, ScratchError } from '../../src/index.js';
import { startServer } from '../../server/index.js';
import { defineCommand, parseCommand } from '../args.js';
import { backendFromFlags, BACKEND_FLAGS } from '../backend-flags.js';
import { webHandler, webRoot } from '../web-static.js';

export const spec = defineCommand({
  name: 'serve',
  args: '--run DIR',
  summary: "Serves a model over HTTP with OpenAI's completions API (POST /v1/completions, streaming with server-sent events), GET /v1/models, /health, /metrics, POST /tokenize, /detokenize and the inspection views (POST /v1/next, /v1/attention, /v1/neighbors, /v1/lens).",
  flags: {
    run: { type: 'string', value: 'DIR', doc: 'a run folder (made by train --out) or a Hugging Face GPT-2 folder' },
    host: { type: 'string', value: 'HOST', default: '127.0.0.1', doc: 'address to listen on' },
    port: { type: 'int', min: 0, max: 65535, value: 'PORT', default: 8080, doc: 'port (0 picks a free one)' },
    'api-key': { type: 'string', value: 'KEY', doc: 'require Authorization: Bearer KEY' },
    'max-tokens': { type: 'int', min: 1, max: Number.MAX_SAFE_INTEGER, value: 'N', default: 2048, doc: 'most tokens one request may ask for' },
    'max-concurrent': { type: 'int', min: 1, max: 4096, value: 'N', default: 16, doc: 'sequences decoded together' },
    'max-queue': { type: 'int', min: 0, max: Number.MAX_SAFE_INTEGER, value: 'N', doc: 'requests that may wait beyond those (default: 4 × --max-concurrent); more get 503' },
    'max-body': { type: 'int', min: 1, max: Number.MAX_SAFE_INTEGER, value: 'BYTES', default: 1048576, doc: 'largest request body' },
    static: { type: 'string', value: 'DIR', doc: 'serve a folder at / with cross-origin isolation headers (default: the browser playground, dist/web, which can open the served run by its folder name under /runs/<name>/)' },
    'model-name': { type: 'string', value: 'NAME', doc: "the model's id in the API (default: the run folder's name)" },
    checkpoint: { type: 'string', choices: ['best', 'latest'], value: 'best|latest', doc: 'which checkpoint of a run (default: best when there is one)' },
    ...BACKEND_FLAGS,
  },
  description: 'Binds 127.0.0.1 unless --host says otherwise; Ctrl-C (SIGINT) or SIGTERM stops it.',
  examples: ['npx scratchlm serve --run runs/brown --port 8080'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(spec, args);
  if (!p) return 0;
  const values = p.values;
  if (!values.run) throw new ScratchError('serve: expected --run <run folder>, e.g. npx scratchlm serve --run runs/brown');
  const ck = values.checkpoint as 'best' | 'latest' | undefined;
  const port = values.port!;
  const maxConcurrent = values['max-concurrent']!;
  const opts = {
    maxTokens: values['max-tokens']!,
    maxConcurrent,
    maxQueue: values['max-queue'] ?? 4 * maxConcurrent,
    maxBodyBytes: values['max-body']!,
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
      modelInfo: { config: r.config.model, checkpoint: r.checkpoint, step: r.step, tokenizer: r.tokenizer.kind, run: resolve(r.dir) },
      host: values.host,
      port,
      apiKey: values['api-key'],
      staticDir: values.static,
      // the playground at / (when built), with the run folder's files for the page to open
      fallback: values.static === undefined && existsSync(join(webRoot(), 'index.html')) ? webHandler({ runsDir: dirname(resolve(values.run!)) }) : undefined,
      ...opts,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new ScratchError(`port ${port} is in use; choose another with --port (0 picks a free one)`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw new ScratchError(`cannot listen on host '${values.host}': ${err.code}; use an address of this machine, e.g. 127.0.0.1`);
    if (err.code === 'EACCES') throw new ScratchError(`no permission to listen on port ${port}; use a port above 1023`);
    throw e;
  }
  console.log(`scratchlm: serving ${modelId} (${r.checkpoint} checkpoint, step ${r.step}, ${server.context.engine.name} engine) at ${server.url}`);
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
