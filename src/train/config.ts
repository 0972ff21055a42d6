/**
 * The training config: one frozen, validated object beside the model config. Presets are named
 * partial settings over the schema's defaults (which are the `baby` run's). Every key of both
 * configs can be given in a JSON file or as a command-line flag (--batch-size for batchSize).
 */
import { ScratchError } from '../core/errors.js';
import { parseFieldValue, validateConfig, type Schema } from '../core/config.js';
import { GPT_CONFIG_SCHEMA, gptConfig, type GPTConfig } from '../model/config.js';

/** Training settings: batch, steps, learning rate schedule, evaluation, optimizer, seed. */
export interface TrainConfig {
  readonly batchSize: number;
  readonly gradAccum: number;
  readonly maxIters: number;
  readonly lr: number;
  readonly minLr: number;
  readonly warmupIters: number;
  readonly lrDecayIters: number;
  readonly decayLr: boolean;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly gradClip: number;
  readonly evalInterval: number;
  readonly evalIters: number;
  readonly logInterval: number;
  readonly seed: number;
  readonly maxMemory: number;
  readonly sampleTokens: number;
  readonly optimizer: 'adamw' | 'muon';
  readonly muonLr: number;
  readonly muonMomentum: number;
  readonly schedule: 'cosine' | 'wsd';
  readonly cooldownFrac: number;
  readonly snapshots: number;
  readonly probes: string;
}

/** The schema of a TrainConfig: every training setting with its bounds, default and doc. */
export const TRAIN_CONFIG_SCHEMA: Schema = {
  batchSize: { kind: 'int', min: 1, max: 1 << 16, default: 12, doc: 'sequences per micro-batch (B)' },
  gradAccum: { kind: 'int', min: 1, max: 1 << 16, default: 1, doc: 'micro-batches whose gradients add up to one step' },
  maxIters: { kind: 'int', min: 0, max: 1e9, default: 2000, doc: 'optimizer steps in all' },
  lr: { kind: 'number', min: 0, default: 1e-3, doc: 'peak learning rate' },
  minLr: { kind: 'number', min: 0, default: 1e-4, doc: 'learning rate at the end of the cosine decay' },
  warmupIters: { kind: 'int', min: 0, max: 1e9, default: 100, doc: 'steps of linear warm-up' },
  lrDecayIters: { kind: 'int', min: 1, max: 1e9, default: 2000, doc: 'step at which the cosine decay reaches minLr' },
  decayLr: { kind: 'boolean', default: true, doc: 'warm-up and cosine decay (false: constant lr)' },
  beta1: { kind: 'number', min: 0, max: 1, maxExclusive: true, default: 0.9, doc: 'AdamW beta1' },
  beta2: { kind: 'number', min: 0, max: 1, maxExclusive: true, default: 0.99, doc: 'AdamW beta2' },
  eps: { kind: 'number', min: 0, minExclusive: true, default: 1e-8, doc: 'AdamW epsilon' },
  weightDecay: { kind: 'number', min: 0, default: 0.1, doc: 'AdamW weight decay (2-D weights only)' },
  gradClip: { kind: 'number', min: 0, default: 1.0, doc: 'clip the gradient norm to this (0: no clipping)' },
  evalInterval: { kind: 'int', min: 1, max: 1e9, default: 250, doc: 'steps between evaluations and checkpoints' },
  evalIters: { kind: 'int', min: 1, max: 1e6, default: 20, doc: 'batches per split in an evaluation' },
  logInterval: { kind: 'int', min: 1, max: 1e9, default: 1, doc: 'steps between lines in metrics.jsonl' },
  seed: { kind: 'int', min: 0, max: 0xffffffff, default: 1337, doc: 'seed of initialisation, batches and dropout' },
  maxMemory: { kind: 'number', min: 0, default: 0, doc: 'memory the run may use, GiB (0: the machine\'s total)' },
  sampleTokens: { kind: 'int', min: 0, max: 1e6, default: 0, doc: 'tokens of sample text printed at the end' },
  snapshots: { kind: 'int', min: 0, max: 1000, default: 10, doc: 'embedding and attention-head snapshots after step 0, log-spaced (0: none)' },
  probes: { kind: 'string', default: '', doc: "prompts scored at every evaluation: 'prompt|cand|cand', several joined by ';;'" },
  optimizer: { kind: 'enum', values: ['adamw', 'muon'], default: 'adamw', doc: 'adamw, or muon for the blocks\' 2-D weights (AdamW for the rest)' },
  muonLr: { kind: 'number', min: 0, default: 0.02, doc: 'Muon\'s peak learning rate (scheduled like lr)' },
  muonMomentum: { kind: 'number', min: 0, max: 1, maxExclusive: true, default: 0.95, doc: 'Muon\'s Nesterov momentum' },
  schedule: { kind: 'enum', values: ['cosine', 'wsd'], default: 'cosine', doc: 'after warm-up: cosine decay, or warmup-stable-decay (linear cool-down)' },
  cooldownFrac: { kind: 'number', min: 0, max: 1, default: 0.2, doc: 'wsd: share of lrDecayIters spent in the linear cool-down to minLr' },
};

/** Model keys a run sets (vocabSize comes from the data's tokenizer). */
export const MODEL_KEYS = [
  'blockSize', 'nLayer', 'nHead', 'nEmbd', 'bias', 'dropout',
  'positions', 'ropeBase', 'norm', 'qkNorm', 'mlp', 'mlpHidden', 'tieEmbeddings', 'zeroInitProj', 'logitSoftcap',
] as const;
type ModelKey = (typeof MODEL_KEYS)[number];
/** The model settings a run may set (the GPTConfig keys besides the vocabulary size). */
export type ModelSettings = Pick<GPTConfig, ModelKey>;

/** The schema of ModelSettings. */
export const MODEL_SETTINGS_SCHEMA: Schema = Object.fromEntries(MODEL_KEYS.map((k) => [k, GPT_CONFIG_SCHEMA[k]]));

/** Both configs, as saved in config.json and every checkpoint. */
export interface RunConfig {
  readonly model: GPTConfig;
  readonly train: TrainConfig;
}

const BABY = {
  nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64, bias: false, dropout: 0,
  batchSize: 12, maxIters: 2000, lr: 1e-3, minLr: 1e-4, lrDecayIters: 2000, warmupIters: 100,
  beta1: 0.9, beta2: 0.99, weightDecay: 0.1, gradClip: 1.0, evalInterval: 250, evalIters: 20,
};

/** The main job's probes: what comes next, as the model learns it (see `probes`). */
export const BROWN_PROBES = 'I drink coffee every| morning| elephant;;He opened the| door| sky;;The United| States| apples';

/** Named settings; a run starts from one (default `baby`) and flags or a file override keys. */
export const PRESETS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = Object.freeze({
  /** nanoGPT's CPU configuration on characters (train_shakespeare_char.py with its CPU flags). */
  baby: Object.freeze({ ...BABY }),
  /** nanoGPT's shakespeare_char. */
  shakespeare: Object.freeze({ ...BABY, nLayer: 6, nHead: 6, nEmbd: 384, blockSize: 256, batchSize: 64, dropout: 0.2, maxIters: 5000, lrDecayIters: 5000 }),
  /**
   * The modern recipe on baby's data, shape, batch and evaluation: rotary positions, RMSNorm,
   * QK-norm, ReLU², untied zero-initialised head and projections, Muon for the blocks' matrices,
   * warmup-stable-decay. 532 steps: on the native kernels (one thread, 2026-12-02) its step cost
   * 1.88x a baby step's CPU time, so 532 steps take half of baby's 2000 (README, "Measuring the
   * recipe"); there it reached a mean val loss of 1.814 over 3 seeds, where baby's 2000 steps gave 1.890.
   */
  'baby-fast': Object.freeze({
    ...BABY, positions: 'rope', norm: 'rmsnorm', qkNorm: true, mlp: 'relu2', tieEmbeddings: false, zeroInitProj: true,
    optimizer: 'muon', muonLr: 0.02, lr: 2e-3, minLr: 1e-4, warmupIters: 50, schedule: 'wsd', cooldownFrac: 0.4,
    maxIters: 532, lrDecayIters: 532,
  }),
  /**
   * The built-in Brown corpus run (the main job), on its 16384-id BPE (data/brown/bpe16384):
   * baby's shape, batches of 16, 1000 steps at a peak rate of 2e-3 (0.8 epochs of the 1.25 M train
   * tokens): the CPU time of the former 3000-step character run, about 5 minutes on 2 cores
   * (README, "The main job").
   */
  brown: Object.freeze({ ...BABY, batchSize: 16, maxIters: 1000, lrDecayIters: 1000, lr: 2e-3, minLr: 2e-4, logInterval: 10, sampleTokens: 120, probes: BROWN_PROBES }),
});

/** The names of the presets. */
export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** Which config a key belongs to, or undefined. */
export function keyKind(key: string): 'model' | 'train' | undefined {
  if (key in MODEL_SETTINGS_SCHEMA) return 'model';
  if (key in TRAIN_CONFIG_SCHEMA) return 'train';
  return undefined;
}

/** Every settable key. */
export function allKeys(): string[] {
  return [...MODEL_KEYS, ...Object.keys(TRAIN_CONFIG_SCHEMA)];
}

/** "batchSize" → "batch-size". */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** "batch-size" → "batchSize" (undefined when no such key). */
export function keyFromFlag(flag: string): string | undefined {
  const key = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return keyKind(key) ? key : undefined;
}

/** A command-line value for a key, converted by the key's kind. */
export function parseSetting(key: string, text: string): unknown {
  const kind = keyKind(key);
  if (!kind) throw new ScratchError(`unknown setting '${key}'; known settings: ${allKeys().join(', ')}`);
  return parseFieldValue(kind === 'model' ? MODEL_SETTINGS_SCHEMA : TRAIN_CONFIG_SCHEMA, key, text, 'setting');
}

/**
 * Preset, then file settings, then flags (later wins) → a validated run config. The file may be
 * flat ({"lr": 3e-4, "nLayer": 2}) or split ({"model": {...}, "train": {...}}).
 */
export function resolveRunConfig(opts: { preset?: string; file?: unknown; fileName?: string; overrides?: Record<string, unknown>; vocabSize: number }): RunConfig {
  const presetName = opts.preset ?? 'baby';
  const preset = PRESETS[presetName];
  if (!preset) throw new ScratchError(`unknown preset '${presetName}'; presets: ${presetNames().join(', ')}`);
  const merged: Record<string, unknown> = { ...preset };
  if (opts.file !== undefined) Object.assign(merged, flattenSettings(opts.file, opts.fileName ?? 'config file'));
  Object.assign(merged, opts.overrides ?? {});
  return buildRunConfig(merged, opts.vocabSize);
}

/**
 * A settings object as one flat level of keys (a config file may group them as {"model": {...},
 * "train": {...}}).
 */
export function flattenSettings(raw: unknown, what: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ScratchError(`${what}: expected a JSON object of settings`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if ((k === 'model' || k === 'train') && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v)) {
        if (k === 'model' && k2 === 'vocabSize') continue; // comes from the data
        if (keyKind(k2) !== k) throw new ScratchError(`${what}: unknown ${k} setting '${k2}'; known settings: ${allKeys().join(', ')}`);
        out[k2] = v2;
      }
    } else {
      if (!keyKind(k)) throw new ScratchError(`${what}: unknown setting '${k}'; known settings: ${allKeys().join(', ')}`);
      out[k] = v;
    }
  }
  return out;
}

/** Flat settings → run config, with the vocabulary size from the data. */
export function buildRunConfig(settings: Record<string, unknown>, vocabSize: number): RunConfig {
  const model: Record<string, unknown> = { vocabSize };
  const train: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) {
    const kind = keyKind(k);
    if (!kind) throw new ScratchError(`unknown setting '${k}'; known settings: ${allKeys().join(', ')}`);
    (kind === 'model' ? model : train)[k] = v;
  }
  const trainCfg = validateConfig<TrainConfig>(TRAIN_CONFIG_SCHEMA, train, 'training config');
  return Object.freeze({ model: gptConfig(model), train: trainCfg });
}

/** The flat settings of a run config (what `buildRunConfig` takes back). */
export function runSettings(c: RunConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of MODEL_KEYS) out[k] = c.model[k];
  return { ...out, ...c.train };
}

/** Keys that may change when a run is resumed (they do not change what the steps compute). */
export const RESUMABLE_KEYS: readonly string[] = ['maxIters', 'evalInterval', 'evalIters', 'logInterval', 'maxMemory', 'sampleTokens', 'snapshots', 'probes'];

/**
 * nanoGPT's schedule: linear warm-up, cosine decay to minLr at lrDecayIters, then minLr. With
 * schedule 'wsd' (warmup-stable-decay) the rate stays at lr after warm-up and falls linearly to
 * minLr over the last cooldownFrac of lrDecayIters.
 */
export function learningRate(it: number, c: TrainConfig): number {
  if (!c.decayLr) return c.lr;
  if (it < c.warmupIters) return (c.lr * (it + 1)) / (c.warmupIters + 1);
  if (it > c.lrDecayIters) return c.minLr;
  if (c.schedule === 'wsd') {
    const start = Math.max(c.warmupIters, c.lrDecayIters * (1 - c.cooldownFrac));
    if (it <= start) return c.lr;
    const span = c.lrDecayIters - start;
    return span > 0 ? c.lr + ((it - start) / span) * (c.minLr - c.lr) : c.minLr;
  }
  const span = c.lrDecayIters - c.warmupIters;
  const ratio = span > 0 ? (it - c.warmupIters) / span : 1;
  const coeff = 0.5 * (1 + Math.cos(Math.PI * ratio));
  return c.minLr + coeff * (c.lr - c.minLr);
}
