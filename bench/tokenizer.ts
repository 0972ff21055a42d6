/**
 * Tokenizer benchmarks, side by side in one run (not a test). Build, then:
 *   node dist/bench/tokenizer.js            # everything
 *   node dist/bench/tokenizer.js encode     # GPT-2 encoding only
 *   node dist/bench/tokenizer.js train      # BPE training only
 * Encoding: MB/s of Tiny Shakespeare (median of 5 runs after one warm-up run, so every tokenizer's
 * chunk cache is warm) for scratchlm, gpt-tokenizer, tiktoken (WASM) and js-tiktoken, plus the
 * cold first run. Training: seconds for Hugging Face `tokenizers` (Rust; byte-level pre-tokenizer,
 * default trainer) and scratchlm's trainBpe on the same file and vocabulary size, median of 3.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { gpt2Tokenizer, trainBpe } from '../src/index.js';
import { SHARED } from '../test/paths.js';

const TS = resolve(SHARED, 'data', 'tinyshakespeare.txt');
const GB = resolve(SHARED, 'data', 'gutenberg_3books_clean.txt');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function time<T>(f: () => T): [number, T] {
  const t0 = performance.now();
  const r = f();
  return [(performance.now() - t0) / 1000, r];
}

async function benchEncode(): Promise<void> {
  const text = readFileSync(TS, 'utf8');
  const mb = Buffer.byteLength(text) / 1e6;
  const gt = await import('gpt-tokenizer/encoding/r50k_base');
  const tk = await import('tiktoken');
  const jt = await import('js-tiktoken');
  const tkEnc = tk.get_encoding('gpt2');
  const jtEnc = jt.getEncoding('gpt2');
  const ours = gpt2Tokenizer();
  const rows: [string, (s: string) => ArrayLike<number>][] = [
    ['scratchlm', (s) => ours.encode(s)],
    ['gpt-tokenizer', (s) => gt.encode(s)],
    ['tiktoken (WASM)', (s) => tkEnc.encode(s)],
    ['js-tiktoken', (s) => jtEnc.encode(s)],
  ];
  console.log(`\nGPT-2 encoding of tinyshakespeare.txt (${mb.toFixed(2)} MB)`);
  console.log('tokenizer          cold MB/s   warm MB/s (median of 5)   tokens');
  for (const [name, enc] of rows) {
    const [cold, ids] = time(() => enc(text));
    const warm: number[] = [];
    for (let k = 0; k < 5; k++) warm.push(time(() => enc(text))[0]);
    console.log(`${name.padEnd(18)} ${(mb / cold).toFixed(1).padStart(9)}   ${(mb / median(warm)).toFixed(1).padStart(9)}                 ${ids.length}`);
  }
  tkEnc.free();
  console.log('\nlong runs (scratchlm):');
  for (const [label, s] of [
    ['1,000,000 × "a"', 'a'.repeat(1_000_000)],
    ['300,000 spaces', ' '.repeat(300_000)],
    ['300,000 spaces + "x"', ' '.repeat(300_000) + 'x'],
  ] as const) {
    const [t, ids] = time(() => ours.encode(s));
    console.log(`  ${label.padEnd(22)} ${t.toFixed(3)} s, ${ids.length} tokens`);
  }
}

async function benchTrain(): Promise<void> {
  const hf = await import('tokenizers');
  console.log('\nBPE training (same file, same vocabulary size)');
  console.log('file                         vocab   Hugging Face (s)   scratchlm (s)   ratio');
  for (const [path, name] of [
    [TS, 'tinyshakespeare.txt'],
    [GB, 'gutenberg_3books_clean.txt'],
  ] as const) {
    // Median of 3 runs each, interleaved, so a busy machine slows both alike.
    const hfTimes: number[] = [];
    const ourTimes: number[] = [];
    let size = 0;
    let warning: string | undefined;
    for (let k = 0; k < 3; k++) {
      const [hfT, n] = time(() => {
        const tok = new hf.Tokenizer(hf.BPE.empty());
        tok.setPreTokenizer(hf.byteLevelPreTokenizer());
        tok.train([path]);
        return tok.getVocabSize();
      });
      hfTimes.push(hfT);
      size = n;
      // Reading the file is part of the job for both.
      const [ourT, r] = time(() => trainBpe(readFileSync(path, 'utf8'), size));
      ourTimes.push(ourT);
      warning = r.warning;
    }
    const hfT = median(hfTimes);
    const ourT = median(ourTimes);
    console.log(`${name.padEnd(28)} ${String(size).padStart(5)}   ${hfT.toFixed(2).padStart(16)}   ${ourT.toFixed(2).padStart(13)}   ${(ourT / hfT).toFixed(2)}×${warning ? '  (' + warning + ')' : ''}`);
  }
  const [t2048] = time(() => trainBpe(readFileSync(TS, 'utf8'), 2048));
  console.log(`tinyshakespeare.txt to 2,048 (minbpe-style JavaScript: 4.9 s): ${t2048.toFixed(2)} s`);
}

const which = process.argv[2] ?? 'all';
console.log(`scratchlm tokenizer bench, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
if (which === 'all' || which === 'encode') await benchEncode();
if (which === 'all' || which === 'train') await benchTrain();
