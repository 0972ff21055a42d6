/**
 * A training run in a run folder (Node): resolve the config (preset, --config file, flags), open
 * the data folder, find --init-from's weights or --resume's checkpoint, then drive the
 * browser-safe RunSession (src/train/session.ts) while writing config.json, tokenizer.json,
 * metrics.jsonl, loss.svg and checkpoints. The CLI's `train` is a shell around `trainRun`.
 */
import { ScratchError } from '../core/errors.js';
import type { Backend } from '../kernels/types.js';
import { GPT } from '../model/gpt.js';
import { GPT as HighGPT } from '../api/gpt.js';
import { readJson } from '../io/files.js';
import { firstSoundCheckpoint, hasCheckpoint, loadCheckpointWeights, readCheckpointMeta, saveCheckpoint, verifyCheckpointFiles, type CheckpointMeta } from '../io/checkpoint.js';
import { isHfGpt2Folder, loadHfGpt2 } from '../io/hf-folder.js';
import { openDataFolder, type DataFolder } from '../io/prepare.js';
import { appendMetrics, ensureRunFolder, readRunConfigFile, truncateMetrics, writeRunFile, type MetricsRecord } from '../io/run-files.js';
import { gpt2Tokenizer } from '../io/tokenizer-files.js';
import { TensorBoardWriter } from '../io/tensorboard.js';
import { formatTokenizerJSON, tokenizerFromJSON } from '../tokenizer/formats.js';
import { buildRunConfig, flattenSettings, keyKind, resolveRunConfig, RESUMABLE_KEYS, runSettings, type RunConfig } from '../train/config.js';
import { lossCurveSvg } from '../train/report.js';
import { RunSession, type RunSessionOptions } from '../train/session.js';
import { NonFiniteLossError, type EvalRecord, type StepRecord } from '../train/trainer.js';
import { RunInspector } from './run-inspector.js';

/** Options of `trainRun`. */
export interface TrainRunOptions {
  dataDir: string;
  outDir: string;
  preset?: string;
  configFile?: string;
  /** Settings from flags, by key. */
  overrides?: Record<string, unknown>;
  initFrom?: string;
  resume?: boolean;
  /** Also write the metrics as TensorBoard event files into this folder (tensorboardTags). */
  tensorboard?: string;
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

/** What `trainRun` returns: how it ended, the trained model and its losses. */
export interface TrainRunResult {
  status: 'done' | 'stopped';
  config: RunConfig;
  /** The trained model, with its tokenizer: generate, next, save ... work on it. */
  model: HighGPT;
  data: DataFolder;
  steps: number;
  bestVal: number;
  lastVal: number | null;
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
    sameTokenizer(meta.tokenizer, data, `the run ${p}`, `prepare the data with that run's tokenizer: npx scratchlm prepare <text files> --tokenizer ${p} --out <folder>`);
    const { vocabSize: _v, ...ms } = meta.config.model;
    void _v;
    const source = new GPT(buildRunConfig(ms, data.tokenizer.vocabSize).model, { backend });
    loadCheckpointWeights(p, meta, source, null, which);
    return source;
  }).value;
}

/** Model keys --init-from takes from its source (blockSize may shrink; dropout and zeroInitProj are the new run's). */
const ARCHITECTURE_KEYS = ['nLayer', 'nHead', 'nEmbd', 'bias', 'positions', 'ropeBase', 'norm', 'qkNorm', 'mlp', 'mlpHidden', 'tieEmbeddings', 'logitSoftcap'] as const;

type Built = Pick<RunSessionOptions, 'config' | 'initFrom' | 'resume' | 'tokenizerJson'> & {
  /** Set when --resume skipped a damaged checkpoint: which, and the one it resumed from. */
  note?: string;
};

/**
 * Preset, --config file, then flags. `--max-iters N` without `--lr-decay-iters` decays over the N
 * steps (a preset's lrDecayIters belongs to its own maxIters).
 */
function freshConfig(opts: TrainRunOptions, data: DataFolder, fileSettings: Record<string, unknown> | undefined): RunConfig {
  const overrides = { ...(opts.overrides ?? {}) };
  const given = (k: string) => overrides[k] !== undefined || fileSettings?.[k] !== undefined;
  if (given('maxIters') && !given('lrDecayIters')) overrides.lrDecayIters = Math.max(1, (overrides.maxIters ?? fileSettings?.maxIters) as number);
  return resolveRunConfig({ preset: opts.preset, file: fileSettings, fileName: opts.configFile, overrides, vocabSize: data.tokenizer.vocabSize });
}

function buildFresh(opts: TrainRunOptions, data: DataFolder, fileSettings: Record<string, unknown> | undefined): Built {
  const overrides = opts.overrides ?? {};
  let config = freshConfig(opts, data, fileSettings);
  let source: GPT | undefined;
  if (opts.initFrom) {
    const p = opts.initFrom;
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
    // the source's architecture: its shape and every recipe key that decides which weights there are and what they compute
    const shape: Record<string, unknown> = Object.fromEntries(ARCHITECTURE_KEYS.map((k) => [k, sc[k]]));
    for (const k of Object.keys(shape)) {
      const given = overrides[k] ?? fileSettings?.[k];
      if (given !== undefined && given !== shape[k]) throw new ScratchError(`--init-from ${p}: '${k}' is ${shape[k]} in that model; it cannot be changed to ${given}`);
    }
    const blockSize = (overrides.blockSize ?? fileSettings?.blockSize ?? sc.blockSize) as number;
    if (blockSize > sc.blockSize) throw new ScratchError(`--init-from ${p}: block size ${blockSize} is longer than the model's ${sc.blockSize}`);
    config = buildRunConfig({ ...runSettings(config), ...shape, blockSize }, data.tokenizer.vocabSize);
  }
  return { config, initFrom: source, tokenizerJson: data.tokenizer.toJSON() };
}

function buildResumed(opts: TrainRunOptions, data: DataFolder, fileSettings: Record<string, unknown> | undefined): Built {
  if (opts.initFrom) throw new ScratchError('--resume continues a run from its own checkpoint; drop --init-from');
  if (opts.preset) throw new ScratchError('--resume takes the settings saved with the run; drop --preset');
  // the newest sound checkpoint: latest, or best (saved at a step latest was also saved at) when latest is damaged
  const found = firstSoundCheckpoint(opts.outDir, ['latest', 'best'], (which) => readCheckpointSound(opts.outDir, which));
  const meta: CheckpointMeta = found.value;
  const note = found.skipped.length ? `${found.skipped.map((e) => e.reason).join('; ')}: resuming from the ${found.name} checkpoint (step ${meta.step})` : undefined;
  sameTokenizer(meta.tokenizer, data, `the run ${opts.outDir}`, `use the run's data folder, or prepare one with its tokenizer: npx scratchlm prepare <text files> --tokenizer ${opts.outDir} --out <folder>`);
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
  return { config, tokenizerJson: meta.tokenizer, resume: { state: meta, load: (model, optimizer) => loadCheckpointWeights(opts.outDir, meta, model, optimizer, found.name) }, note };
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
 * Trains into a run folder (what `npx scratchlm train` does): config.json, metrics.jsonl, loss.svg,
 * checkpoints, and with `tensorboard` TensorBoard event files.
 */
export async function trainRun(opts: TrainRunOptions): Promise<TrainRunResult> {
  const data = openDataFolder(opts.dataDir);
  const fileSettings = opts.configFile ? flattenSettings(readJson(opts.configFile, 'config file'), opts.configFile) : undefined;
  for (const k of Object.keys(opts.overrides ?? {})) if (!keyKind(k)) throw new ScratchError(`unknown setting '${k}'`);
  if (!opts.resume && hasCheckpoint(opts.outDir)) {
    throw new ScratchError(`${opts.outDir} already holds a run; continue it with --resume, or choose another --out`);
  }
  const { note, ...built } = opts.resume ? buildResumed(opts, data, fileSettings) : buildFresh(opts, data, fileSettings);
  const session = new RunSession({
    ...built,
    backend: opts.backend,
    data,
    availableMemory: opts.availableMemory,
    addressableMemory: opts.addressableMemory,
    memoryLimit: opts.memoryLimit,
    make: (c, o) => new HighGPT(c, o),
  });
  const { config, state } = session;
  const model = session.model as HighGPT;
  model.tokenizer = data.tokenizer;
  model.settings = { ...config.train };
  model.adopt(session);
  ensureRunFolder(opts.outDir);
  const dir = opts.outDir;
  const settings = runSettings(config);
  // a resumed run keeps the preset it started from; a fresh one without --preset started from baby
  const before = opts.resume ? readRunConfigFile(dir)?.preset : undefined;
  const preset = opts.resume ? (typeof before === 'string' ? before : null) : (opts.preset ?? 'baby');
  writeRunFile(dir, 'config.json', JSON.stringify({ ...settings, vocabSize: config.model.vocabSize, preset, data: opts.dataDir, initFrom: opts.initFrom ?? null, tokenizer: data.tokenizer.kind }, null, 2) + '\n');
  // the run's tokenizer beside it: `npx scratchlm prepare --tokenizer <run folder>` makes matching data
  writeRunFile(dir, 'tokenizer.json', data.tokenizerText);

  const past = opts.resume ? truncateMetrics(dir, state.iter) : (truncateMetrics(dir, 0), [] as MetricsRecord[]);
  for (const r of past) {
    if (typeof r.train_loss === 'number' && !r.eval) session.trainPoints.push({ iter: r.iter, loss: r.train_loss });
    if (typeof r.val_loss === 'number') session.valPoints.push({ iter: r.iter, loss: r.val_loss });
  }
  const writeCurve = () => writeRunFile(dir, 'loss.svg', lossCurveSvg(session.trainPoints, session.valPoints, `${dir}: loss`));

  // snapshots and probes for inspection (RUN/snapshots/, "probes" in metrics.jsonl)
  const inspector = new RunInspector(dir, model, data.tokenizer, config, data, state.iter, state.dropoutRng);
  opts.onStart?.({ config, params: model.params.count, memory: session.memory(), pieces: session.pieces, startIter: state.iter, data, note });
  let lastSaved: { name: string; step: number } | null = null;
  const save = (name: string) => {
    saveCheckpoint(dir, name, model, state.optimizer, session.checkpointState());
    lastSaved = { name, step: state.iter };
    opts.onCheckpoint?.(name, state.iter);
  };
  let sinceCurve = 0;
  const tb = opts.tensorboard === undefined ? null : new TensorBoardWriter(opts.tensorboard, { startStep: state.iter });
  const ticker = () => new Promise<void>((r) => setImmediate(r));
  let status: 'done' | 'stopped';
  try {
    status = await session.train({
      onMetrics: (r) => {
        appendMetrics(dir, r);
        tb?.scalars(r.iter, tensorboardTags(r));
        if (r.eval) {
          writeCurve();
        } else if (++sinceCurve >= 50) {
          sinceCurve = 0;
          writeCurve();
        }
      },
      onStep: (r) => {
        inspector.afterStep(r.iter + 1);
        opts.onStep?.(r);
      },
      evalExtras: (iter) => {
        const probes = inspector.onEval(iter);
        return probes ? { probes } : null;
      },
      onEval: opts.onEval,
      checkpoint: (_reason, best) => {
        save('latest');
        if (best) save('best');
      },
      shouldStop: opts.shouldStop,
      tick: ticker,
    });
  } catch (e) {
    if (e instanceof NonFiniteLossError) {
      const kept = (lastSaved as { step: number } | null)?.step ?? (hasCheckpoint(dir) ? readCheckpointMeta(dir).step : null);
      const where = kept !== null ? `the last good checkpoint (step ${kept}) is kept in ${dir}` : 'no checkpoint was written';
      throw new ScratchError(`${e.message}; ${where}; start a new run (another --out) with a lower --lr, e.g. with --init-from ${dir} to keep its best weights`);
    }
    throw e;
  } finally {
    tb?.close();
  }
  writeCurve();
  return { status, config, model, data, steps: state.iter, bestVal: state.bestVal, lastVal: session.lastVal };
}

/**
 * A metrics.jsonl record as TensorBoard scalars: a logged step's under train/ (train/loss,
 * train/lr, train/grad_norm, train/ms, train/tokens_per_s), an evaluation's under eval/
 * (eval/train_loss, eval/val_loss: means over evalIters batches of each split).
 */
export function tensorboardTags(r: MetricsRecord): Record<string, number> {
  const out: Record<string, number> = {};
  const group = r.eval ? 'eval' : 'train';
  for (const [k, v] of Object.entries(r)) {
    if (k === 'iter' || k === 'eval' || typeof v !== 'number') continue;
    if (r.eval && k !== 'train_loss' && k !== 'val_loss') continue; // lr and ms are the steps' business
    out[`${group}/${!r.eval && k === 'train_loss' ? 'loss' : k}`] = v;
  }
  return out;
}
