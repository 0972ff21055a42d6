/**
 * Serving benchmark: aggregate generated tokens/s for 1, 4 and 16 concurrent streaming requests,
 * and time to first token (p50, p99), on the `baby` preset's shape and on GPT-2 124M's shape
 * (random weights). The server and the clients share one process (loopback HTTP).
 *
 * Run: npm run build && node dist/bench/serve.js [--shapes baby,gpt2] [--tokens 32] [--streams 1,4,16]
 *      [--threads T] [--kernels wasm|ref|auto] [--json]
 */
import { parseArgs } from 'node:util';
import { BENCH_SHAPES, CharTokenizer, GPT, Rng, createBackend, gpt2Tokenizer, type Tokenizer } from '../src/index.js';
import { startServer } from '../server/index.js';
import { quantile } from '../server/metrics.js';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'baby,gpt2' },
    tokens: { type: 'string', default: '32' },
    streams: { type: 'string', default: '1,4,16' },
    threads: { type: 'string' },
    kernels: { type: 'string', default: 'auto' },
    repeats: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});

const SHAPES = {
  baby: { ...BENCH_SHAPES.baby.model },
  gpt2: { vocabSize: 50257, blockSize: 1024, nLayer: 12, nHead: 12, nEmbd: 768, bias: true, dropout: 0 },
} as const;

const charText = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?\'"-\n()[]&$%*+/<=>@#_';

async function streamOnce(url: string, prompt: number[], maxTokens: number, seed: number): Promise<{ ttft: number; tokens: number }> {
  const t0 = performance.now();
  const r = await fetch(`${url}/v1/completions`, { method: 'POST', body: JSON.stringify({ prompt, max_tokens: maxTokens, temperature: 0.8, seed, stream: true, stream_options: { include_usage: true } }) });
  if (r.status !== 200) throw new Error(`status ${r.status}: ${await r.text()}`);
  const reader = r.body!.getReader();
  let ttft = -1;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (ttft < 0) ttft = performance.now() - t0;
    text += new TextDecoder().decode(value);
  }
  const usage = /"usage":\{"prompt_tokens":\d+,"completion_tokens":(\d+)/.exec(text);
  return { ttft, tokens: usage ? Number(usage[1]) : 0 };
}

async function main() {
  const backend = await createBackend({ kernels: values.kernels as 'auto', threads: values.threads ? Number(values.threads) : undefined });
  const maxTokens = Number(values.tokens);
  const streams = values.streams!.split(',').map(Number);
  const rows: Record<string, unknown>[] = [];
  for (const name of values.shapes!.split(',') as (keyof typeof SHAPES)[]) {
    const cfg = SHAPES[name];
    const tokenizer: Tokenizer = name === 'gpt2' ? gpt2Tokenizer() : new CharTokenizer([...charText].slice(0, cfg.vocabSize));
    const model = new GPT({ ...cfg, vocabSize: tokenizer.vocabSize }, { backend, rng: new Rng(1) });
    model.train(null);
    const server = await startServer({ model, tokenizer, port: 0, maxConcurrent: Math.max(...streams), maxTokens });
    // a distinct 16-token prompt per stream (the same prompt would share one prefill)
    const prompt = (k: number) => Array.from({ length: 16 }, (_, i) => (i * 7919 + 13 + k * 101) % tokenizer.vocabSize);
    // warm-up at the largest concurrency: the pool then holds that many KV caches whose pages
    // exist (a first touch of a page costs ~12 us in this Firecracker VM, ~20 pages per token per
    // sequence on gpt2), as in a server that has been running
    await Promise.all(Array.from({ length: Math.max(...streams) }, (_, i) => streamOnce(server.url, prompt(i + 1), maxTokens, 1000 + i)));
    for (let rep = 0; rep < Number(values.repeats); rep++) {
      for (const c of streams) {
        const t0 = performance.now();
        const res = await Promise.all(Array.from({ length: c }, (_, i) => streamOnce(server.url, prompt(i + 1), maxTokens, i + 1)));
        const s = (performance.now() - t0) / 1000;
        const tokens = res.reduce((a, r) => a + r.tokens, 0);
        const ttfts = res.map((r) => r.ttft);
        const row = { shape: name, engine: server.context.engine.name, kernels: backend.name, streams: c, tokens, seconds: +s.toFixed(3), tokens_per_s: +(tokens / s).toFixed(2), ttft_p50_ms: +quantile(ttfts, 0.5).toFixed(1), ttft_p99_ms: +quantile(ttfts, 0.99).toFixed(1) };
        rows.push(row);
        if (!values.json) console.log(`${name.padEnd(5)} ${String(c).padStart(2)} streams: ${row.tokens_per_s.toFixed(1).padStart(8)} tok/s  ttft p50 ${row.ttft_p50_ms} ms p99 ${row.ttft_p99_ms} ms  (${tokens} tokens in ${row.seconds} s, ${row.engine} engine, ${row.kernels})`);
      }
    }
    const one = rows.filter((r) => r.shape === name && r.streams === 1).map((r) => r.tokens_per_s as number);
    const many = rows.filter((r) => r.shape === name && r.streams === Math.max(...streams)).map((r) => r.tokens_per_s as number);
    if (one.length && many.length && !values.json) console.log(`${name}: ${Math.max(...streams)} streams / 1 stream = ${(quantile(many, 0.5) / quantile(one, 0.5)).toFixed(2)}x`);
    await server.close();
  }
  if (values.json) console.log(JSON.stringify(rows));
  (backend as { close?: () => void }).close?.();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
