/**
 * Every file reader of scratchlm, with seed files made by scratchlm itself, for the fuzzers
 * (test/fuzz.test.ts runs a few thousand cases; `npm run fuzz` runs 100,000+ per reader).
 * A reader is a set of files in a folder and the load a user's command does on that folder.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  AdamW,
  BpeTokenizer,
  CharTokenizer,
  GPT,
  Rng,
  TokenFileWriter,
  formatTokenizerJSON,
  gptConfig,
  loadCheckpointWeights,
  loadHfGpt2,
  loadRun,
  loadTokenizer,
  openDataFolder,
  parseSafetensors,
  readBytes,
  readMetrics,
  readRunConfigFile,
  refBackend,
  saveCheckpoint,
  saveHfGpt2,
  serializeSafetensors,
  toHuggingFace,
  trainBpe,
  truncateMetrics,
  TokenFile,
  type Tokenizer,
} from '../../src/index.js';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

export type FileKind = 'json' | 'safetensors' | 'binary' | 'text';

export interface Reader {
  name: string;
  /** The seed folder: file name → bytes. */
  files: Map<string, Uint8Array>;
  kind(file: string): FileKind;
  /** What a command does with the folder; throws a ScratchError for bad files. */
  load(dir: string): void;
  /** Puts checksums right again after `file` changed (checkpoints), so the parser behind them is reached. */
  resign?(files: Map<string, Uint8Array>, changed: string): void;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A tiny GPT with seeded weights. */
function tinyModel(vocab: number): GPT {
  return new GPT(gptConfig({ vocabSize: vocab, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, bias: true, dropout: 0 }), { backend: refBackend, rng: new Rng(7) });
}

const SAMPLE = 'Hello, world! The king said: "fair day" <|endoftext|> 123 ünïcödé 😀\n\ttabs';

/** A loaded tokenizer must work: encode and decode a sample (byte-level) or its own characters. */
function roundTrip(tok: Tokenizer): void {
  const text = tok.kind === 'char' ? tok.decode(Array.from({ length: Math.min(tok.vocabSize, 64) }, (_, i) => i)) : SAMPLE;
  tok.decode(tok.encode(text, { allowedSpecial: 'all' }));
}

function folderOf(files: Map<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-fuzz-seed-'));
  for (const [n, b] of files) writeFileSync(join(dir, n), b);
  return dir;
}

function readFolder(dir: string): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const n of readdirSync(dir).sort()) m.set(n, new Uint8Array(readFileSync(join(dir, n))));
  rmSync(dir, { recursive: true, force: true });
  return m;
}

let trained: BpeTokenizer | undefined;
/** A small BPE (300 ids, one special token), trained here. */
export function smallBpe(): BpeTokenizer {
  trained ??= trainBpe(SAMPLE.repeat(3) + ' the quick brown fox jumps over the lazy dog '.repeat(20), 300, { specialTokens: ['<|endoftext|>'] }).tokenizer as BpeTokenizer;
  return trained;
}

function tiktokenRanks(tok: BpeTokenizer): string {
  const lines: string[] = [];
  for (let id = 0; id < tok.vocabSize; id++) {
    const b = tok.tokenBytesOf(id);
    if (b && !tok.specialTokens.has(dec.decode(b))) lines.push(`${Buffer.from(b).toString('base64')} ${id}`);
  }
  return lines.join('\n') + '\n';
}

export function makeReaders(): Reader[] {
  const json = () => 'json' as FileKind;
  const readers: Reader[] = [];

  // safetensors (a model's weights)
  {
    const bytes = serializeSafetensors([...tinyWeights()], { format: 'pt' });
    readers.push({
      name: 'safetensors',
      files: new Map([['model.safetensors', bytes]]),
      kind: () => 'safetensors',
      load: (dir) => {
        const p = join(dir, 'model.safetensors');
        parseSafetensors(readBytes(p, 'safetensors file'), p);
      },
    });
  }

  // token files (train.bin)
  {
    const dir = mkdtempSync(join(tmpdir(), 'scratchlm-fuzz-seed-'));
    const w = new TokenFileWriter(join(dir, 'train.bin'), 300);
    w.append(Array.from({ length: 64 }, (_, i) => (i * 37) % 300));
    w.finish();
    readers.push({
      name: 'token file',
      files: readFolder(dir),
      kind: () => 'binary',
      load: (d) => {
        const f = TokenFile.open(join(d, 'train.bin'));
        try {
          const out = new Int32Array(f.count);
          f.read(0, f.count, out);
        } finally {
          f.close();
        }
      },
    });
  }

  // a checkpoint: JSON, weights and optimizer moments, loaded as --resume does
  {
    const dir = mkdtempSync(join(tmpdir(), 'scratchlm-fuzz-seed-'));
    const tok = CharTokenizer.fromText('abcdefghij \n');
    const model = tinyModel(tok.vocabSize);
    const opt = new AdamW(model.params.groups, refBackend, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
    saveCheckpoint(dir, 'latest', model, opt, {
      step: 3,
      config: { model: { ...model.config }, train: { batchSize: 2, lr: 1e-3 } },
      tokenizer: tok.toJSON(),
      dataRng: new Rng(1).getState(),
      dropoutRng: new Rng(2).getState(),
      optimizerStep: 3,
      bestValLoss: 2.5,
      valLoss: 2.5,
    });
    readers.push({
      name: 'checkpoint (JSON, weights, optimizer)',
      files: readFolder(dir),
      kind: (f) => (f.endsWith('.json') ? 'json' : 'safetensors'),
      load: (d) => {
        const r = loadRun(d, { backend: refBackend, checkpoint: 'latest' });
        const o = new AdamW(r.model.params.groups, refBackend, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
        if (!r.meta) throw new Error('the run folder loaded as a Hugging Face folder');
        loadCheckpointWeights(d, r.meta, r.model, o, 'latest');
        Rng.fromState(r.meta.dataRng);
        Rng.fromState(r.meta.dropoutRng);
      },
      resign: (files, changed) => {
        const meta = JSON.parse(dec.decode(files.get('latest.json')!)) as Record<string, any>;
        if (!meta || typeof meta !== 'object' || !meta.sha256 || typeof meta.sha256 !== 'object' || !meta.files || typeof meta.files !== 'object') return;
        if (changed !== 'latest.json') {
          if (meta.files.weights === changed) meta.sha256.weights = sha(files.get(changed)!);
          if (meta.files.optimizer === changed) meta.sha256.optimizer = sha(files.get(changed)!);
        }
        const { meta: _m, ...rest } = meta.sha256;
        void _m;
        meta.sha256.meta = sha(enc.encode(JSON.stringify({ ...meta, sha256: rest })));
        files.set('latest.json', enc.encode(JSON.stringify(meta, null, 1)));
      },
    });
  }

  // tokenizer files: ours (BPE and char), Hugging Face tokenizer.json, tiktoken ranks
  const bpe = smallBpe();
  readers.push({ name: 'tokenizer (scratchlm BPE)', files: new Map([['tok.json', enc.encode(formatTokenizerJSON(bpe))]]), kind: json, load: (d) => roundTrip(loadTokenizer(join(d, 'tok.json'))) });
  readers.push({ name: 'tokenizer (scratchlm char)', files: new Map([['tok.json', enc.encode(formatTokenizerJSON(CharTokenizer.fromText('abc xyz\nÄ😀')))]]), kind: json, load: (d) => roundTrip(loadTokenizer(join(d, 'tok.json'))) });
  readers.push({ name: 'tokenizer (Hugging Face tokenizer.json)', files: new Map([['tokenizer.json', enc.encode(JSON.stringify(toHuggingFace(bpe)))]]), kind: json, load: (d) => roundTrip(loadTokenizer(join(d, 'tokenizer.json'))) });
  readers.push({ name: 'tokenizer (tiktoken ranks)', files: new Map([['ranks.tiktoken', enc.encode(tiktokenRanks(bpe))]]), kind: () => 'text', load: (d) => roundTrip(loadTokenizer(join(d, 'ranks.tiktoken'))) });

  // a run's config.json and metrics.jsonl, as --resume and the loss curve read them
  {
    const cfg = { nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 8, lr: 0.001, maxIters: 10, vocabSize: 12, preset: 'baby', data: '/tmp/data', initFrom: null, tokenizer: 'char' };
    const metrics = Array.from({ length: 8 }, (_, i) => JSON.stringify(i % 4 === 0 ? { iter: i, eval: true, train_loss: 2.1, val_loss: 2.2, lr: 1e-3, ms: 3 } : { iter: i, train_loss: 2 - i / 10, lr: 1e-3, ms: 1.5, grad_norm: 0.5, tokens_per_s: 1000 })).join('\n') + '\n';
    readers.push({
      name: 'run config.json + metrics.jsonl',
      files: new Map([['config.json', enc.encode(JSON.stringify(cfg, null, 2))], ['metrics.jsonl', enc.encode(metrics)]]),
      kind: (f) => (f === 'config.json' ? 'json' : 'text'),
      load: (d) => {
        const c = readRunConfigFile(d);
        if (c !== null && (typeof c !== 'object' || Array.isArray(c))) throw new Error('readRunConfigFile returned a non-object');
        for (const r of readMetrics(d)) if (typeof r !== 'object' || r === null || typeof r.iter !== 'number') throw new Error(`readMetrics returned ${JSON.stringify(r)}`);
        truncateMetrics(d, 5);
      },
    });
  }

  // a prepared data folder (meta.json, tokenizer.json, train.bin, val.bin)
  {
    const dir = mkdtempSync(join(tmpdir(), 'scratchlm-fuzz-seed-'));
    const tok = CharTokenizer.fromText('abcdefghij \n');
    for (const split of ['train', 'val']) {
      const w = new TokenFileWriter(join(dir, `${split}.bin`), tok.vocabSize);
      w.append(Array.from({ length: 40 }, (_, i) => i % tok.vocabSize));
      w.finish();
    }
    writeFileSync(join(dir, 'tokenizer.json'), formatTokenizerJSON(tok));
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ format: 'scratchlm-data', version: 1, tokenizer: 'char', vocabSize: tok.vocabSize, train: 40, val: 40, sources: ['a.txt'], bytes: 80 }, null, 2));
    readers.push({
      name: 'data folder (meta.json, train.bin, val.bin)',
      files: readFolder(dir),
      kind: (f) => (f.endsWith('.json') ? 'json' : 'binary'),
      load: (d) => {
        const data = openDataFolder(d);
        data.train.close();
        data.val.close();
      },
    });
  }

  // a Hugging Face GPT-2 folder (config.json + model.safetensors)
  {
    const dir = mkdtempSync(join(tmpdir(), 'scratchlm-fuzz-seed-'));
    saveHfGpt2(tinyModel(20), dir);
    // as `scratchlm export` writes it: with the model's tokenizer beside it
    writeFileSync(join(dir, 'tokenizer.json'), formatTokenizerJSON(CharTokenizer.fromText('abcdefghijklmnopqrs')));
    readers.push({ name: 'Hugging Face GPT-2 folder', files: readFolder(dir), kind: (f) => (f.endsWith('.json') ? 'json' : 'safetensors'), load: (d) => {
        loadHfGpt2(d, { backend: refBackend });
        loadRun(d, { backend: refBackend, inference: true }); // sample's and eval's way in
      } });
  }
  return readers;
}

function* tinyWeights(): Iterable<[string, { shape: number[]; data: Float32Array }]> {
  const m = tinyModel(20);
  for (const s of m.params.specs) yield [s.name, { shape: s.shape, data: Float32Array.from(m.params.get(s.name).data) }];
}

export { folderOf };
