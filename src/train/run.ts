/**
 * A training run, start to end: resolve the config, open the data, build or load the model
 * (fresh, --init-from, or --resume), check memory, then train while writing metrics.jsonl,
 * loss.svg and checkpoints into the run folder. The CLI's `train` is a shell around `trainRun`.
 */
import { ScratchError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Backend } from '../kernels/types.js';
import { GPT } from '../model/gpt.js';
import { readJson } from '../io/files.js';
import { firstSoundCheckpoint, hasCheckpoint, loadCheckpointWeights, readCheckpointMeta, saveCheckpoint, verifyCheckpointFiles, type CheckpointMeta } from '../io/checkpoint.js';
import { isHfGpt2Folder, loadHfGpt2 } from '../io/hf-folder.js';
import { openDataFolder, type DataFolder } from '../io/prepare.js';
import { appendMetrics, ensureRunFolder, readRunConfigFile, truncateMetrics, writeRunFile, type MetricsRecord } from '../io/run-files.js';
import { gpt2Tokenizer } from '../io/tokenizer-files.js';
import { formatTokenizerJSON, tokenizerFromJSON } from '../tokenizer/formats.js';
import { AdamW } from './adamw.js';
import { checkBlockFits } from './batches.js';
import { buildRunConfig, flattenSettings, keyKind, learningRate, resolveRunConfig, RESUMABLE_KEYS, runSettings, type RunConfig } from './config.js';
import { batchPieces, checkMemory, estimateMemory, gib, memoryBudget } from './memory.js';
import { lossCurveSvg, type CurvePoint } from './report.js';
import { NonFiniteLossError, trainLoop, type EvalRecord, type StepRecord, type TrainState } from './trainer.js';

export interface TrainRunOptions {
  dataDir: string;
  outDir: string;
  preset?: string;
  configFile?: string;
  /** Settings from flags, by key. */
  overrides?: Record<string, unknown>;
  initFrom?: string;
  resume?: boolean;
  backend: Backend;
  /** Bytes the run may use when the config's maxMemory is 0. */
  availableMemory: number;
  /** The most the kernels can address whatever --max-memory says (wasm: 4 GiB). */
  addressableMemory?: number;
  /** What sets addressableMemory (for the message). */
  memoryLimit?: string;
  shouldStop?: () => boolean;
  /** memory: the estimate in bytes; pieces: how many equal pieces each batch runs as to fit it. */
  onStart?: (info: { config: RunConfig; params: number; memory: number; pieces: number; startIter: number; data: DataFolder; note?: string }) => void;
  onStep?: (r: StepRecord) => void;
  onEval?: (r: EvalRecord) => void;
  onCheckpoint?: (name: string, step: number) => void;
}

export interface TrainRunResult {
  status: 'done' | 'stopped';
  config: RunConfig;
  model: GPT;
  data: DataFolder;
  steps: number;
  bestVal: number;
  lastVal: number | null;
}

/** Seeds of the three generators, derived from the one seed. */
function seeds(seed: number): { init: number; data: number; dropout: number } {
  return { init: seed >>> 0, data: (seed + 0x68e31da4) >>> 0, dropout: (seed + 0xb5297a4d) >>> 0 };
}

/** The tokenizer of `a` must be the data's; prepareHint says how to make data that matches. */
function sameTokenizer(a: object, data: DataFolder, what: string, prepareHint: string): void {
  const text = formatTokenizerJSON(tokenizerFromJSON(a, what));
  if (text !== data.tokenizerText) {
    throw new ScratchError(`${data.dir} was prepared with another tokenizer (${data.tokenizer.kind}, ${data.tokenizer.vocabSize} ids) than ${what}; ${prepareHint}`);
  }
}

/**
 * The weights of run `p` for --init-from: its best checkpoint, or its latest when there is no
 * best or the best is damaged (the error of the last one tried stands).
 */
function loadRunWeights(p: string, data: DataFolder, backend: Backend): GPT {
  return firstSoundCheckpoint(p, ['best', 'latest'], (which) => {
    const meta = readCheckpointMeta(p, which);
    sameTokenizer(meta.tokenizer, data, `the run ${p}`, `prepare the data with that run's tokenizer: scratchlm prepare <text files> --tokenizer ${p} --out <folder>`);
    const { vocabSize: _v, ...ms } = meta.config.model;
    void _v;
    const source = new GPT(buildRunConfig(ms, data.tokenizer.vocabSize).model, { backend });
    loadCheckpointWeights(p, meta, source, null, which);
    return source;
  }).value;
}

/** Copies weights between models of the same shape except a shorter position table (cropping). */
function copyWeights(src: GPT, dst: GPT): void {
  for (const spec of dst.params.specs) {
    const d = dst.params.get(spec.name).data;
    d.set(src.params.get(spec.name).data.subarray(0, d.length));
  }
}

interface Built {
  config: RunConfig;
  model: GPT;
  state: TrainState;
  tokenizerJson: object;
  /** Equal pieces each batch runs as, to fit in memory (1: whole). */
  pieces: number;
  /** Set when --resume skipped a damaged checkpoint: which, and the one it resumed from. */
  note?: string;
}

function buildFresh(opts: TrainRunOptions, data: DataFolder, fileSettings: Record<string, unknown> | undefined): Built {
  const overrides = opts.overrides ?? {};
  let config = resolveRunConfig({ preset: opts.preset, file: fileSettings, fileName: opts.configFile, overrides, vocabSize: data.tokenizer.vocabSize });
  let source: GPT | null = null;
  if (opts.initFrom) {
    const p = opts.initFrom;
    let shape: Record<string, unknown>;
    if (isHfGpt2Folder(p)) {
      sameTokenizer(gpt2Tokenizer().toJSON(), data, `${p} (a Hugging Face GPT-2 folder needs the gpt2 tokenizer)`, 'prepare the data with --tokenizer gpt2');
      source = loadHfGpt2(p, { backend: opts.backend });
    } else if (hasCheckpoint(p, 'best') || hasCheckpoint(p, 'latest')) {
      source = loadRunWeights(p, data, opts.backend);
    } else {
      throw new ScratchError(`--init-from ${p}: neither a Hugging Face GPT-2 folder (config.json + model.safetensors) nor a run folder with a checkpoint`);
    }
    const sc = source.config;
    if (sc.vocabSize !== data.tokenizer.vocabSize) throw new ScratchError(`--init-from ${p}: the model has ${sc.vocabSize} token ids, the data's tokenizer ${data.tokenizer.vocabSize}`);
    shape = { nLayer: sc.nLayer, nHead: sc.nHead, nEmbd: sc.nEmbd, bias: sc.bias };
    for (const k of Object.keys(shape)) {
      const given = overrides[k] ?? fileSettings?.[k];
      if (given !== undefined && given !== shape[k]) throw new ScratchError(`--init-from ${p}: '${k}' is ${shape[k]} in that model; it cannot be changed to ${given}`);
    }
    const blockSize = (overrides.blockSize ?? fileSettings?.blockSize ?? sc.blockSize) as number;
    if (blockSize > sc.blockSize) throw new ScratchError(`--init-from ${p}: block size ${blockSize} is longer than the model's ${sc.blockSize}`);
    config = buildRunConfig({ ...runSettings(config), ...shape, blockSize }, data.tokenizer.vocabSize);
  }
  const s = seeds(config.train.seed);
  const pieces = checkRunMemory(config, opts, data);
  const model = new GPT(config.model, { backend: opts.backend, rng: source ? undefined : new Rng(s.init), layerNormEps: source?.eps });
  if (source) copyWeights(source, model);
  const t = config.train;
  const optimizer = new AdamW(model.params.groups, opts.backend, { beta1: t.beta1, beta2: t.beta2, eps: t.eps, weightDecay: t.weightDecay });
  const state: TrainState = { iter: 0, dataRng: new Rng(s.data), dropoutRng: new Rng(s.dropout), optimizer, bestVal: Infinity };
  return { config, model, state, tokenizerJson: data.tokenizer.toJSON(), pieces };
}

function buildResumed(opts: TrainRunOptions, data: DataFolder, fileSettings: Record<string, unknown> | undefined): Built {
  if (opts.initFrom) throw new ScratchError('--resume continues a run from its own checkpoint; drop --init-from');
  if (opts.preset) throw new ScratchError('--resume takes the settings saved with the run; drop --preset');
  // the newest sound checkpoint: latest, or best (saved at a step latest was also saved at) when latest is damaged
  const found = firstSoundCheckpoint(opts.outDir, ['latest', 'best'], (which) => readCheckpointSound(opts.outDir, which));
  const meta: CheckpointMeta = found.value;
  const note = found.skipped.length ? `${found.skipped.map((e) => e.reason).join('; ')}: resuming from the ${found.name} checkpoint (step ${meta.step})` : undefined;
  sameTokenizer(meta.tokenizer, data, `the run ${opts.outDir}`, `use the run's data folder, or prepare one with its tokenizer: scratchlm prepare <text files> --tokenizer ${opts.outDir} --out <folder>`);
  const saved = { ...meta.config.model, ...meta.config.train };
  delete (saved as Record<string, unknown>).vocabSize;
  const changes = { ...(fileSettings ?? {}), ...(opts.overrides ?? {}) };
  for (const [k, v] of Object.entries(changes)) {
    if (!keyKind(k)) throw new ScratchError(`unknown setting '${k}'`);
    if (saved[k as keyof typeof saved] !== v && !RESUMABLE_KEYS.includes(k)) {
      throw new ScratchError(`--resume cannot change '${k}' (${String(saved[k as keyof typeof saved])} → ${String(v)}): it would change the steps; only ${RESUMABLE_KEYS.join(', ')} may change`);
    }
  }
  const config = buildRunConfig({ ...saved, ...changes }, data.tokenizer.vocabSize);
  if (config.train.maxIters < meta.step) {
    throw new ScratchError(`${opts.outDir} is at step ${meta.step} already; --max-iters ${config.train.maxIters} is behind it (pass a larger --max-iters to train further)`);
  }
  const pieces = checkRunMemory(config, opts, data);
  const model = new GPT(config.model, { backend: opts.backend });
  const t = config.train;
  const optimizer = new AdamW(model.params.groups, opts.backend, { beta1: t.beta1, beta2: t.beta2, eps: t.eps, weightDecay: t.weightDecay });
  loadCheckpointWeights(opts.outDir, meta, model, optimizer, found.name);
  const state: TrainState = {
    iter: meta.step,
    dataRng: Rng.fromState(meta.dataRng),
    dropoutRng: Rng.fromState(meta.dropoutRng),
    optimizer,
    bestVal: meta.bestValLoss ?? Infinity,
  };
  return { config, model, state, tokenizerJson: meta.tokenizer, pieces, note };
}

/**
 * Checkpoint `which`'s description, once its weights and moments are known to match their
 * checksums (so a damaged binary moves --resume on to the next checkpoint before anything is built).
 */
function readCheckpointSound(runDir: string, which: string): CheckpointMeta {
  const meta = readCheckpointMeta(runDir, which);
  verifyCheckpointFiles(runDir, meta, which);
  return meta;
}

/**
 * Before anything is allocated: the block fits both splits, and the run fits in memory, with its
 * batches split into equal pieces when the whole batch would not (nanoGPT's shakespeare_char batch
 * of 64 × 256 needs more than the 4 GiB the WebAssembly kernels can address). Returns the pieces.
 */
function checkRunMemory(config: RunConfig, opts: TrainRunOptions, data: DataFolder): number {
  const { model, train } = config;
  checkBlockFits(data.train, model.blockSize, 'train');
  checkBlockFits(data.val, model.blockSize, 'val');
  const budget = memoryBudget(train.maxMemory, opts.availableMemory, opts.addressableMemory);
  const avail = budget.bytes;
  const pieces = batchPieces(model, train.batchSize, model.blockSize, avail);
  const limit = budget.capped || train.maxMemory === 0 ? opts.memoryLimit : undefined;
  if (pieces === null) checkMemory(estimateMemory(model, 1, model.blockSize), avail, `this run (${gib(avail)} allowed), even one sequence at a time,`, limit);
  return pieces ?? 1;
}

export async function trainRun(opts: TrainRunOptions): Promise<TrainRunResult> {
  const data = openDataFolder(opts.dataDir);
  const fileSettings = opts.configFile ? flattenSettings(readJson(opts.configFile, 'config file'), opts.configFile) : undefined;
  for (const k of Object.keys(opts.overrides ?? {})) if (!keyKind(k)) throw new ScratchError(`unknown setting '${k}'`);
  if (!opts.resume && hasCheckpoint(opts.outDir)) {
    throw new ScratchError(`${opts.outDir} already holds a run; continue it with --resume, or choose another --out`);
  }
  const built = opts.resume ? buildResumed(opts, data, fileSettings) : buildFresh(opts, data, fileSettings);
  const { config, model, state } = built;
  const T = config.model.blockSize;
  ensureRunFolder(opts.outDir);
  const dir = opts.outDir;
  const settings = runSettings(config);
  // a resumed run keeps the preset it started from; a fresh one without --preset started from baby
  const before = opts.resume ? readRunConfigFile(dir)?.preset : undefined;
  const preset = opts.resume ? (typeof before === 'string' ? before : null) : (opts.preset ?? 'baby');
  writeRunFile(dir, 'config.json', JSON.stringify({ ...settings, vocabSize: config.model.vocabSize, preset, data: opts.dataDir, initFrom: opts.initFrom ?? null, tokenizer: data.tokenizer.kind }, null, 2) + '\n');
  // the run's tokenizer beside it: `scratchlm prepare --tokenizer <run folder>` makes matching data
  writeRunFile(dir, 'tokenizer.json', data.tokenizerText);

  const past = opts.resume ? truncateMetrics(dir, state.iter) : (truncateMetrics(dir, 0), [] as MetricsRecord[]);
  const trainPts: CurvePoint[] = past.filter((r) => typeof r.train_loss === 'number' && !r.eval).map((r) => ({ iter: r.iter, loss: r.train_loss as number }));
  const valPts: CurvePoint[] = past.filter((r) => typeof r.val_loss === 'number').map((r) => ({ iter: r.iter, loss: r.val_loss as number }));
  const writeCurve = () => writeRunFile(dir, 'loss.svg', lossCurveSvg(trainPts, valPts, `${dir}: loss`));

  const { pieces } = built;
  const memory = estimateMemory(config.model, config.train.batchSize / pieces, T).total;
  opts.onStart?.({ config, params: model.params.count, memory, pieces, startIter: state.iter, data, note: built.note });
  let lastVal: number | null = null;
  let lastSaved: { name: string; step: number } | null = null;
  const save = (name: string) => {
    saveCheckpoint(dir, name, model, state.optimizer, {
      step: state.iter,
      config: { model: { ...config.model }, train: { ...config.train } },
      tokenizer: built.tokenizerJson,
      dataRng: state.dataRng.getState(),
      dropoutRng: state.dropoutRng.getState(),
      optimizerStep: state.optimizer.t,
      bestValLoss: Number.isFinite(state.bestVal) ? state.bestVal : null,
      valLoss: lastVal,
    });
    lastSaved = { name, step: state.iter };
    opts.onCheckpoint?.(name, state.iter);
  };
  let sinceCurve = 0;
  const ticker = () => new Promise<void>((r) => setImmediate(r));
  let status: 'done' | 'stopped';
  try {
    status = await trainLoop(model, data, config.train, T, state, {
      onStep: (r) => {
        if (r.iter % config.train.logInterval === 0 || r.iter === config.train.maxIters - 1) {
          appendMetrics(dir, { iter: r.iter, train_loss: r.loss, lr: r.lr, ms: +r.ms.toFixed(2), grad_norm: r.gradNorm, tokens_per_s: Math.round((r.tokens * 1000) / r.ms) });
          trainPts.push({ iter: r.iter, loss: r.loss });
          if (++sinceCurve >= 50) {
            sinceCurve = 0;
            writeCurve();
          }
        }
        opts.onStep?.(r);
      },
      onEval: (r) => {
        lastVal = r.val;
        appendMetrics(dir, { iter: r.iter, eval: true, train_loss: r.train, val_loss: r.val, lr: learningRate(r.iter, config.train), ms: +r.ms.toFixed(2) });
        valPts.push({ iter: r.iter, loss: r.val });
        writeCurve();
        opts.onEval?.(r);
      },
      checkpoint: (_reason, best) => {
        save('latest');
        if (best) save('best');
      },
      shouldStop: opts.shouldStop,
      tick: ticker,
    }, pieces);
  } catch (e) {
    if (e instanceof NonFiniteLossError) {
      const kept = (lastSaved as { step: number } | null)?.step ?? (hasCheckpoint(dir) ? readCheckpointMeta(dir).step : null);
      const where = kept !== null ? `the last good checkpoint (step ${kept}) is kept in ${dir}` : 'no checkpoint was written';
      throw new ScratchError(`${e.message}; ${where}; start a new run (another --out) with a lower --lr, e.g. with --init-from ${dir} to keep its best weights`);
    }
    throw e;
  }
  writeCurve();
  return { status, config, model, data, steps: state.iter, bestVal: state.bestVal, lastVal };
}
