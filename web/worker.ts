/**
 * The training worker: owns the kernels backend (wasm with threads when the page is
 * cross-origin-isolated), the tokenizer, the model and its training run. Training is the
 * library's RunSession (the same model, optimizer, seeds and loop as `scratchlm train`), yielding
 * to this worker's message queue after every step, so pause, generation and saving are answered
 * between steps. Generation is the library's DecodeEngine (KV-cache decode, as `scratchlm sample`).
 */
import {
  CharTokenizer, DecodeEngine, RunSession, ScratchError, buildRunConfig, createBackend, promptIds, splitTokens, trainBpe,
  type Backend, type RunConfig, type TrainData, type Tokenizer, type GPTNetwork as GPT,
} from 'scratchlm';
import { Insights } from './insights.js';
import { loadModelFiles, modelFiles, runSnapshots } from './model-files.js';
import type { FromWorker, ModelInfo, Probe, SampleSettings, Setup, ToWorker } from './protocol.js';

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let backend: Backend | null = null;
let tok: Tokenizer | null = null;
let model: GPT | null = null;
let config: RunConfig | null = null;
let data: TrainData | null = null;
let session: RunSession | null = null;
/** Bytes the kernels' WebAssembly memory holds (runs that would not fit split their batches). */
let memoryBytes = 0;
let name = 'model';
let sampleEvery = 200;
let insights: Insights | null = null;
let probes: Probe[] = [];
let running = false;
let pauseAsked = false;

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
    iter: session?.state.iter ?? 0,
    maxIters: c.train.maxIters,
  };
}

/** Splits the text's ids 90 / 10 into train and val; both must hold a window of blockSize + 1. */
function setData(ids: Int32Array, blockSize: number): void {
  const d = splitTokens(ids, 0.9); // nanoGPT's split, as `scratchlm prepare`
  const val = d.val.count;
  if (val < blockSize + 1) throw new ScratchError(`the text is too short: ${ids.length} tokens give a validation part of ${val}, and block size ${blockSize} needs ${blockSize + 1}; paste more text or choose a smaller block size`);
  data = d;
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
  session = new RunSession({ config: c, backend: backend!, data: data!, tokenizerJson: tok.toJSON(), availableMemory: memoryBytes, memoryLimit: `the page's WebAssembly memory (${memoryBytes / 2 ** 20} MiB)` });
  model = session.model;
  insights = new Insights(model, tok);
  insights.probes = probes;
  insights.start(ids, c.train.maxIters);
  insights.snapshot(0, true);
  name = `${s.source}, ${tok.kind} ${tok.vocabSize}`;
  sampleEvery = s.sampleEvery;
  post({ type: 'model', info: info() });
}

/**
 * A continuation through the library's DecodeEngine: the prompt is prefilled into a KV cache
 * once, then each token is one cached decode step (past the block size the window slides and
 * the cache is rebuilt, as in `scratchlm sample`).
 */
function sampleText(opts: SampleSettings, onPiece?: (s: string) => void): { text: string; tokens: number; promptTokens: number } {
  model!.train(null);
  const engine = new DecodeEngine(model!, { tokenizer: tok!, maxSequences: 1 });
  const prompt = promptIds(tok!, opts.prompt);
  if (prompt.length === 0) throw new ScratchError('the prompt encodes to no tokens');
  engine.add({ prompt, maxTokens: opts.maxTokens, sampling: { temperature: opts.temperature, topK: opts.topK || undefined, topP: opts.topP < 1 ? opts.topP : undefined, seed: opts.seed } });
  let text = '';
  let tokens = 0;
  while (engine.size > 0) {
    for (const ev of engine.step()) {
      if (ev.token >= 0) tokens++;
      if (!ev.text) continue;
      text += ev.text;
      onPiece?.(ev.text);
    }
  }
  return { text, tokens, promptTokens: prompt.length };
}

function postSample(iter: number): void {
  const { text } = sampleText({ prompt: '', maxTokens: 200, temperature: 0.8, topK: 0, topP: 1, seed: iter + 1 });
  post({ type: 'sample', iter, text });
}

async function train(): Promise<void> {
  if (!model || !config) throw new ScratchError('build a model first (Build and train)');
  if (running) return;
  if (!data || !session) throw new ScratchError('this model was loaded without text to train on: build a new model to train');
  const state = session.state;
  if (state.iter >= config.train.maxIters) throw new ScratchError(`training is done (${config.train.maxIters} steps); raise the number of steps and build a new model`);
  running = true;
  pauseAsked = false;
  post({ type: 'state', running: true, iter: state.iter, done: false });
  let status: 'done' | 'stopped' = 'stopped';
  try {
    status = await session.train({
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
  session = null;
  insights = new Insights(model, tok);
  insights.probes = probes;
  insights.start(null, config.train.maxIters);
  const snaps = runSnapshots(files);
  if (snaps.snapshots.length) insights.useRunSnapshots(snaps.snapshots);
  else insights.snapshot(r.step ?? 0, true);
  if (snaps.note) post({ type: 'status', text: snaps.note });
  name = `${label} (${r.kind}${snaps.snapshots.length ? `, ${snaps.snapshots.length} embedding snapshots` : ''})`;
  post({ type: 'model', info: info() });
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init': {
      const isolated = globalThis.crossOriginIsolated === true;
      // the wasm kernels' memory: 1 GiB shared with its threads, or 512 MiB reserved on one thread
      const mb = isolated ? 1024 : 512;
      backend = await createBackend({ kernels: 'auto', threads: isolated ? m.threads : 1, maxMemoryMB: mb });
      memoryBytes = mb * 2 ** 20;
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
      const { tokens, promptTokens } = sampleText(m.opts, (text) => post({ type: 'piece', id: m.id, text }));
      post({ type: 'generated', id: m.id, tokens, promptTokens, ms: performance.now() - t0 });
      return;
    }
    case 'inspect': {
      if (!model || !tok) throw new ScratchError('build or load a model first');
      if (m.request.what === 'embeddings') insights?.snapshot(session?.state.iter ?? 0, true); // where it is now (a run's own snapshots stay as they are)
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
