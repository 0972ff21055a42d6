/**
 * The training worker: owns the kernels backend (wasm with threads when the page is
 * cross-origin-isolated), the tokenizer, the model and the training state. Training runs as the
 * library's trainLoop, yielding to this worker's message queue after every step, so pause,
 * generation and saving are answered between steps.
 */
import {
  AdamW, CharTokenizer, GPT, Rng, ScratchError, buildRunConfig, createBackend, generateText, trainBpe, trainLoop,
  type Backend, type RunConfig, type TokenSource, type Tokenizer, type TrainState,
} from 'scratchlm';
import { Insights } from './insights.js';
import { loadModelFiles, modelFiles } from './model-files.js';
import type { FromWorker, ModelInfo, Probe, SampleSettings, Setup, ToWorker } from './protocol.js';

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let backend: Backend | null = null;
let tok: Tokenizer | null = null;
let model: GPT | null = null;
let config: RunConfig | null = null;
let data: { train: TokenSource; val: TokenSource } | null = null;
let state: TrainState | null = null;
let name = 'model';
let sampleEvery = 200;
let insights: Insights | null = null;
let probes: Probe[] = [];
let running = false;
let pauseAsked = false;

/** A token array as the trainer's token source. */
function source(ids: Int32Array, path: string): TokenSource {
  return { path, count: ids.length, read: (start, n, out, off = 0) => out.set(ids.subarray(start, start + n), off) };
}

/** A macrotask's turn: lets queued messages (pause, generate) run between steps, without setTimeout's 4 ms clamp. */
const channel = new MessageChannel();
function tick(): Promise<void> {
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(0);
  });
}

function info(): ModelInfo {
  const c = config!;
  return {
    name,
    params: model!.params.count,
    config: { ...c.model },
    tokenizer: tok!.kind,
    vocabSize: tok!.vocabSize,
    trainTokens: data?.train.count ?? 0,
    valTokens: data?.val.count ?? 0,
    iter: state?.iter ?? 0,
    maxIters: c.train.maxIters,
  };
}

/** The seeds of initialisation, batches and dropout from the run's one seed (as `scratchlm train`). */
function seeds(seed: number) {
  return { init: seed >>> 0, data: (seed + 0x68e31da4) >>> 0, dropout: (seed + 0xb5297a4d) >>> 0 };
}

function newState(c: RunConfig, m: GPT): TrainState {
  const t = c.train;
  const s = seeds(t.seed);
  return { iter: 0, dataRng: new Rng(s.data), dropoutRng: new Rng(s.dropout), optimizer: new AdamW(m.params.groups, backend!, { beta1: t.beta1, beta2: t.beta2, eps: t.eps, weightDecay: t.weightDecay }), bestVal: Infinity };
}

/** Splits the text's ids 90 / 10 into train and val; both must hold a window of blockSize + 1. */
function setData(ids: Int32Array, blockSize: number): void {
  const cut = Math.floor(ids.length * 0.9);
  const train = ids.subarray(0, cut), val = ids.subarray(cut);
  if (val.length < blockSize + 1) throw new ScratchError(`the text is too short: ${ids.length} tokens give a validation part of ${val.length}, and block size ${blockSize} needs ${blockSize + 1}; paste more text or choose a smaller block size`);
  data = { train: source(train, 'train'), val: source(val, 'val') };
}

function encode(text: string): Int32Array {
  return Int32Array.from(tok!.encode(text));
}

async function setup(s: Setup): Promise<void> {
  if (running) throw new ScratchError('pause training before building a new model');
  if (!s.text.trim()) throw new ScratchError('there is no text to train on: paste some, upload a file or choose the built-in corpus');
  post({ type: 'status', text: s.tokenizer === 'bpe' ? `training a BPE tokenizer of ${s.vocabSize} ids on ${s.text.length.toLocaleString()} characters…` : 'building the character vocabulary…' });
  await tick();
  if (s.tokenizer === 'bpe') {
    const r = trainBpe(s.text, s.vocabSize);
    tok = r.tokenizer;
    if (r.warning) post({ type: 'status', text: r.warning });
  } else tok = CharTokenizer.fromText(s.text);
  const c = buildRunConfig({ ...s.settings }, tok.vocabSize);
  post({ type: 'status', text: `encoding ${s.text.length.toLocaleString()} characters…` });
  await tick();
  const ids = encode(s.text);
  setData(ids, c.model.blockSize);
  config = c;
  model = new GPT(c.model, { backend: backend!, rng: new Rng(seeds(c.train.seed).init) });
  state = newState(c, model);
  insights = new Insights(model, tok);
  insights.probes = probes;
  insights.start(ids, c.train.maxIters);
  insights.snapshot(0, true);
  name = `${s.source}, ${tok.kind} ${tok.vocabSize}`;
  sampleEvery = s.sampleEvery;
  post({ type: 'model', info: info() });
}

function sampleText(opts: SampleSettings, onPiece?: (s: string) => void): { text: string; tokens: number } {
  let text = '';
  let tokens = 0;
  for (const piece of generateText(model!, tok!, { prompt: opts.prompt, maxTokens: opts.maxTokens, temperature: opts.temperature, topK: opts.topK || undefined, topP: opts.topP < 1 ? opts.topP : undefined, seed: opts.seed })) {
    text += piece;
    tokens++;
    onPiece?.(piece);
  }
  return { text, tokens };
}

function postSample(iter: number): void {
  const { text } = sampleText({ prompt: '', maxTokens: 200, temperature: 0.8, topK: 0, topP: 1, seed: iter + 1 });
  post({ type: 'sample', iter, text });
}

async function train(): Promise<void> {
  if (!model || !config) throw new ScratchError('build a model first (Build and train)');
  if (running) return;
  if (!data) throw new ScratchError('this model was loaded without text to train on: build a new model to train');
  if (!state) state = newState(config, model);
  if (state.iter >= config.train.maxIters) throw new ScratchError(`training is done (${config.train.maxIters} steps); raise the number of steps and build a new model`);
  running = true;
  pauseAsked = false;
  post({ type: 'state', running: true, iter: state.iter, done: false });
  const T = config.model.blockSize;
  let status: 'done' | 'stopped' = 'stopped';
  try {
    status = await trainLoop(model, data, config.train, T, state, {
      onStep: (r) => {
        post({ type: 'step', iter: r.iter, loss: r.loss, lr: r.lr, tokensPerSec: (r.tokens / r.ms) * 1000, ms: r.ms });
        if ((r.iter + 1) % sampleEvery === 0) postSample(r.iter + 1);
        insights?.snapshot(r.iter + 1);
      },
      onEval: (r) => {
        post({ type: 'eval', iter: r.iter, train: r.train, val: r.val });
        if (insights && probes.length) post({ type: 'probe', probes, point: insights.probe(r.iter) });
      },
      tick,
      shouldStop: () => pauseAsked,
    });
    if (status === 'done') postSample(state.iter);
  } finally {
    running = false;
    post({ type: 'state', running: false, iter: state.iter, done: status === 'done' });
  }
}

async function load(files: Record<string, Uint8Array>, label: string): Promise<void> {
  if (running) throw new ScratchError('pause training before loading a model');
  const r = await loadModelFiles(files, backend!);
  model = r.model;
  tok = r.tokenizer;
  const { vocabSize: _v, ...modelSettings } = r.model.config;
  void _v;
  config = buildRunConfig({ ...modelSettings, ...(r.train ?? {}) }, r.model.config.vocabSize);
  data = null;
  state = null;
  insights = new Insights(model, tok);
  insights.probes = probes;
  insights.start(null, config.train.maxIters);
  insights.snapshot(r.step ?? 0, true);
  name = `${label} (${r.kind})`;
  post({ type: 'model', info: info() });
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init': {
      const isolated = globalThis.crossOriginIsolated === true;
      backend = await createBackend({ kernels: 'auto', threads: isolated ? m.threads : 1 });
      const note = isolated
        ? `${backend.name} kernels on ${backend.threads} thread${backend.threads > 1 ? 's' : ''}`
        : `this page is not cross-origin-isolated (no COOP/COEP headers), so training runs on one thread with the ${backend.name} kernels; open it with 'npx scratchlm play' for threads`;
      post({ type: 'ready', backend: backend.name, threads: backend.threads, isolated, note });
      return;
    }
    case 'setup':
      return setup(m.setup);
    case 'train':
      return train();
    case 'pause':
      pauseAsked = true;
      return;
    case 'generate': {
      if (!model) throw new ScratchError('build or load a model first');
      const t0 = performance.now();
      const { tokens } = sampleText(m.opts, (text) => post({ type: 'piece', id: m.id, text }));
      post({ type: 'generated', id: m.id, tokens, ms: performance.now() - t0 });
      return;
    }
    case 'inspect': {
      if (!model || !tok) throw new ScratchError('build or load a model first');
      if (m.request.what === 'embeddings') insights?.snapshot(state?.iter ?? 0, true); // where it is now
      post({ type: 'inspected', id: m.id, what: m.request.what, result: Insights.answer(model, tok, m.request, insights) });
      return;
    }
    case 'probes':
      probes = m.probes;
      if (insights) insights.probes = probes;
      return;
    case 'save': {
      if (!model || !tok) throw new ScratchError('build or load a model first');
      const files = modelFiles(model, tok);
      post({ type: 'saved', files }, Object.values(files).map((b) => b.buffer as ArrayBuffer));
      return;
    }
    case 'load':
      return load(m.files, m.name);
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  handle(e.data).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof ScratchError)) console.error(err);
    post({ type: 'error', message, id: e.data.type === 'generate' || e.data.type === 'inspect' ? e.data.id : undefined });
  });
};
