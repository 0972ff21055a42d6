/**
 * The browser-safe core of a training run: model, optimizer, generators and the loop, over data
 * held anywhere (token arrays in memory, token files) and checkpoints kept as bytes. It touches no
 * file system: `src/node/run.ts` adapts it to run folders (config.json, metrics.jsonl, loss.svg,
 * checkpoint files), and a web page drives it directly.
 */
import { ScratchError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { CheckpointState } from '../io/checkpoint-state.js';
import type { Backend } from '../kernels/types.js';
import { GPT, type GPTOptions } from '../model/gpt.js';
import { createOptimizer, type Optimizer } from './muon.js';
import { checkBlockFits, type TokenSource } from './batches.js';
import { learningRate, type RunConfig } from './config.js';
import { batchPieces, checkMemory, estimateMemory, gib, memoryBudget } from './memory.js';
import type { CurvePoint } from './report.js';
import { trainLoop, type EvalRecord, type StepRecord, type TrainData, type TrainState } from './trainer.js';

/** One line of metrics.jsonl: a logged step, or an evaluation (`eval: true`). */
export interface RunMetrics {
  iter: number;
  [key: string]: number | boolean | string | readonly object[];
}

/** What a checkpoint records besides weights and optimizer moments (the JSON part). */
export type RunCheckpointState = CheckpointState;

/** Seeds of the three generators, derived from the one seed. */
export function runSeeds(seed: number): { init: number; data: number; dropout: number } {
  return { init: seed >>> 0, data: (seed + 0x68e31da4) >>> 0, dropout: (seed + 0xb5297a4d) >>> 0 };
}

/** Copies weights between models of the same shape except a shorter position table (cropping). */
export function copyWeights(src: GPT, dst: GPT): void {
  for (const spec of dst.params.specs) {
    const d = dst.params.get(spec.name).data;
    d.set(src.params.get(spec.name).data.subarray(0, d.length));
  }
}

/** Options of a RunSession. */
export interface RunSessionOptions {
  config: RunConfig;
  backend: Backend;
  data: TrainData;
  /** The tokenizer's JSON, kept in checkpoints. */
  tokenizerJson: object;
  /** Start from these weights (--init-from), cropped to the config's block size. */
  initFrom?: GPT;
  /** Continue a run: the saved state, and how to load the weights and moments into the new model. */
  resume?: { state: RunCheckpointState; load(model: GPT, optimizer: Optimizer): void };
  /** Bytes the run may use (default: no limit) and the most the kernels can address. */
  availableMemory?: number;
  addressableMemory?: number;
  /** What sets the memory limit (for the message). */
  memoryLimit?: string;
  /** Use this model (same config) instead of making one: the high-level API trains its own. */
  model?: GPT;
  /** Makes the model (default: new GPT): the Node adapter makes the high-level class. */
  make?: (config: RunConfig['model'], opts: GPTOptions) => GPT;
}

/** What a RunSession calls as it trains. */
export interface RunHooks {
  onStep?(r: StepRecord): void;
  onEval?(r: EvalRecord): void;
  /** A metrics record at each logged step and evaluation. */
  onMetrics?(r: RunMetrics): void;
  /**
   * More fields of an evaluation's metrics record (e.g. the probes' scores), computed before it
   * is written. Whatever it computes must not draw from the run's generators or leave the model
   * in eval mode, so that a run's losses are the same with it or without.
   */
  evalExtras?(iter: number): Record<string, readonly object[] | number | string | boolean> | null;
  /** Save now: at evaluations (best when val improved), at the end, and when stopped. */
  checkpoint?(reason: 'eval' | 'end' | 'stop', best: boolean): void;
  shouldStop?(): boolean;
  tick?(): Promise<void>;
}

/**
 * Before anything is allocated: the block fits both splits, and the run fits in memory, with its
 * batches split into equal pieces when the whole batch would not (nanoGPT's shakespeare_char batch
 * of 64 × 256 needs more than the 4 GiB the WebAssembly kernels can address). Returns the pieces.
 */
export function runPieces(config: RunConfig, data: TrainData, mem: { availableMemory?: number; addressableMemory?: number; memoryLimit?: string }): number {
  const { model, train } = config;
  checkBlockFits(data.train, model.blockSize, 'train');
  checkBlockFits(data.val, model.blockSize, 'val');
  const budget = memoryBudget(train.maxMemory, mem.availableMemory ?? Infinity, mem.addressableMemory);
  const avail = budget.bytes;
  const pieces = batchPieces(model, train.batchSize, model.blockSize, avail);
  const limit = budget.capped || train.maxMemory === 0 ? mem.memoryLimit : undefined;
  if (pieces === null) checkMemory(estimateMemory(model, 1, model.blockSize), avail, `this run (${gib(avail)} allowed), even one sequence at a time,`, limit);
  return pieces ?? 1;
}

/** A run in memory: build it, train it (again, with a larger maxIters), checkpoint it. */
export class RunSession {
  /** The model being trained. */
  readonly model: GPT;
  /** The step, generators and optimizer the training loop carries. */
  readonly state: TrainState;
  /** How many equal pieces each batch runs as to fit in memory (1: whole). */
  pieces: number;
  /** The tokenizer's JSON, kept in checkpoints. */
  readonly tokenizerJson: object;
  /** The run's config (reconfigure may raise maxIters and change evaluation settings). */
  config: RunConfig;
  /** The train and val token sources. */
  data: TrainData;
  /** Train-loss and val-loss points so far (for a loss curve). */
  readonly trainPoints: CurvePoint[] = [];
  /** Val losses at each evaluation so far (for the loss curve). */
  readonly valPoints: CurvePoint[] = [];
  /** The last evaluation's val loss (null before the first). */
  lastVal: number | null = null;

  constructor(opts: RunSessionOptions) {
    const { config, backend } = opts;
    this.config = config;
    this.data = opts.data;
    this.tokenizerJson = opts.tokenizerJson;
    this.pieces = runPieces(config, opts.data, opts);
    const s = runSeeds(config.train.seed);
    const t = config.train;
    if (opts.model && opts.model.backend !== backend) throw new ScratchError('RunSession: the model lives on another backend');
    const make = opts.make ?? ((c: RunConfig['model'], o: GPTOptions) => new GPT(c, o));
    this.model = opts.model ?? make(config.model, { backend, rng: opts.initFrom || opts.resume ? undefined : new Rng(s.init), layerNormEps: opts.initFrom?.eps });
    if (opts.initFrom) copyWeights(opts.initFrom, this.model);
    const optimizer = createOptimizer(this.model.params, backend, t);
    if (opts.resume) {
      const r = opts.resume.state;
      opts.resume.load(this.model, optimizer);
      this.state = { iter: r.step, dataRng: Rng.fromState(r.dataRng), dropoutRng: Rng.fromState(r.dropoutRng), optimizer, bestVal: r.bestValLoss ?? Infinity };
      this.lastVal = r.valLoss;
    } else {
      this.state = { iter: 0, dataRng: new Rng(s.data), dropoutRng: new Rng(s.dropout), optimizer, bestVal: Infinity };
    }
  }

  /** Train on (with a larger maxIters, other data or settings that keep the model's shape). */
  reconfigure(config: RunConfig, data: TrainData, mem: { availableMemory?: number; addressableMemory?: number; memoryLimit?: string } = {}): void {
    if (JSON.stringify(config.model) !== JSON.stringify(this.config.model)) throw new ScratchError('RunSession: the model config cannot change');
    this.pieces = runPieces(config, data, mem);
    this.config = config;
    this.data = data;
  }

  /** Memory the run's batches need, in bytes (estimate). */
  memory(): number {
    return estimateMemory(this.config.model, this.config.train.batchSize / this.pieces, this.config.model.blockSize).total;
  }

  /** Trains from the current step up to config.train.maxIters. */
  async train(hooks: RunHooks = {}): Promise<'done' | 'stopped'> {
    const { config } = this;
    const t = config.train;
    return trainLoop(this.model, this.data, t, config.model.blockSize, this.state, {
      onStep: (r) => {
        if (r.iter % t.logInterval === 0 || r.iter === t.maxIters - 1) {
          this.trainPoints.push({ iter: r.iter, loss: r.loss });
          hooks.onMetrics?.({ iter: r.iter, train_loss: r.loss, lr: r.lr, ms: +r.ms.toFixed(2), grad_norm: r.gradNorm, tokens_per_s: Math.round((r.tokens * 1000) / r.ms) });
        }
        hooks.onStep?.(r);
      },
      onEval: (r) => {
        this.lastVal = r.val;
        this.valPoints.push({ iter: r.iter, loss: r.val });
        const extras = hooks.evalExtras?.(r.iter) ?? {};
        hooks.onMetrics?.({ iter: r.iter, eval: true, train_loss: r.train, val_loss: r.val, lr: learningRate(r.iter, t), ms: +r.ms.toFixed(2), ...extras });
        hooks.onEval?.(r);
      },
      checkpoint: hooks.checkpoint,
      shouldStop: hooks.shouldStop,
      tick: hooks.tick,
    }, this.pieces);
  }

  /** What a checkpoint of the current step records besides the weights and moments. */
  checkpointState(): RunCheckpointState {
    const { state, config } = this;
    return {
      step: state.iter,
      config: { model: { ...config.model }, train: { ...config.train } },
      tokenizer: this.tokenizerJson,
      dataRng: state.dataRng.getState(),
      dropoutRng: state.dropoutRng.getState(),
      optimizerStep: state.optimizer.t,
      bestValLoss: Number.isFinite(state.bestVal) ? state.bestVal : null,
      valLoss: this.lastVal,
    };
  }
}

/** A source of tokens held in memory (an Int32Array or plain ids), for in-memory runs. */
export class MemoryTokens implements TokenSource {
  /** The tokens. */
  readonly ids: Int32Array;
  constructor(
    ids: ArrayLike<number>,
    readonly path = 'tokens in memory',
  ) {
    this.ids = ids instanceof Int32Array ? ids : Int32Array.from(ids);
  }

  /** Number of tokens. */
  get count(): number {
    return this.ids.length;
  }

  /** Copies tokens start .. start + n into out at outOffset. */
  read(start: number, n: number, out: Int32Array, outOffset = 0): void {
    if (start < 0 || start + n > this.ids.length) throw new RangeError(`read ${start}..${start + n} of ${this.ids.length} tokens`);
    out.set(this.ids.subarray(start, start + n), outOffset);
  }
}

/** nanoGPT's split: the first `trainFraction` of the tokens train, the rest validate. */
export function splitTokens(ids: ArrayLike<number>, trainFraction = 0.9): TrainData {
  if (!(trainFraction > 0 && trainFraction < 1)) throw new ScratchError(`the train fraction must be between 0 and 1, got ${trainFraction}`);
  const all = ids instanceof Int32Array ? ids : Int32Array.from(ids);
  const n = Math.floor(all.length * trainFraction);
  return { train: new MemoryTokens(all.subarray(0, n), 'train tokens'), val: new MemoryTokens(all.subarray(n), 'val tokens') };
}
