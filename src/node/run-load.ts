/** Using a finished (or running) run: load its model and tokenizer, evaluate it on a data folder. */
import { ScratchError } from '../core/errors.js';
import type { Backend } from '../kernels/types.js';
import { GPT } from '../api/gpt.js';
import { countParams } from '../model/config.js';
import { gptConfigFromHf, loadGpt2Weights } from '../io/gpt2-weights.js';
import { readJson } from '../io/files.js';
import { join } from 'node:path';
import { formatTokenizerJSON, tokenizerFromJSON } from '../tokenizer/formats.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { checkBlockFits } from '../train/batches.js';
import { buildRunConfig, PRESETS, type RunConfig } from '../train/config.js';
import { batchPieces } from '../train/memory.js';
import { estimateLoss } from '../train/trainer.js';
import { checkWeightsFit, DamagedCheckpointError, firstSoundCheckpoint, hasCheckpoint, loadCheckpointWeights, readCheckpointMeta, type CheckpointMeta } from '../io/checkpoint.js';
import { openDataFolder } from '../io/prepare.js';
import { checkHfWeightsFit, isHfGpt2Folder, readSafetensorsFile } from '../io/hf-folder.js';
import { hfFolderTokenizer } from '../io/tokenizer-files.js';

/** A loaded run folder (or Hugging Face folder): the model, its tokenizer and its settings. */
export interface LoadedRun {
  dir: string;
  model: GPT;
  tokenizer: Tokenizer;
  /** A Hugging Face folder's: its model shape and the baby preset's training settings. */
  config: RunConfig;
  /** The checkpoint's description; null for a Hugging Face folder. */
  meta: CheckpointMeta | null;
  /** 'best' or 'latest', or 'hf' for a Hugging Face GPT-2 folder. */
  checkpoint: string;
  /** Steps the model was trained (0 for a Hugging Face folder: unknown). */
  step: number;
  /** Set when the default checkpoint was damaged and another was loaded instead: what happened. */
  notice?: string;
}

/**
 * Loads a run folder's checkpoint `which` ('best' when there is one, else 'latest', by default),
 * or a Hugging Face GPT-2 folder (config.json + model.safetensors, with its tokenizer.json,
 * vocab.json + merges.txt, or GPT-2's own).
 */
/** `inference`: a model without gradient buffers (half the memory), for sampling. */
export function loadRun(runDir: string, opts: { backend: Backend; checkpoint?: 'best' | 'latest'; inference?: boolean }): LoadedRun {
  if (!hasCheckpoint(runDir, 'latest') && !hasCheckpoint(runDir, 'best') && isHfGpt2Folder(runDir)) {
    if (opts.checkpoint) throw new ScratchError(`${runDir} is a Hugging Face GPT-2 folder, which has no '${opts.checkpoint}' checkpoint; drop --checkpoint`);
    const cfgPath = join(runDir, 'config.json');
    const hf = gptConfigFromHf(readJson(cfgPath, 'model config'), cfgPath);
    const wPath = join(runDir, 'model.safetensors');
    const tensors = readSafetensorsFile(wPath);
    checkHfWeightsFit(hf.config, tensors, cfgPath, wPath);
    const model = new GPT(hf.config, { backend: opts.backend, layerNormEps: hf.eps, inference: opts.inference });
    loadGpt2Weights(model, tensors, wPath);
    const tokenizer = hfFolderTokenizer(runDir, model.config.vocabSize);
    const { vocabSize: _v, ...shape } = model.config;
    void _v;
    const config = buildRunConfig({ ...PRESETS.baby, ...shape }, model.config.vocabSize);
    model.tokenizer = tokenizer;
    model.settings = { ...config.train };
    return { dir: runDir, model, tokenizer, config, meta: null, checkpoint: 'hf', step: 0 };
  }
  if (opts.checkpoint) return loadOne(runDir, opts.checkpoint, opts);
  // by default the best, or the latest when the best is damaged (saying so)
  const r = firstSoundCheckpoint(runDir, ['best', 'latest'], (which) => loadOne(runDir, which, opts));
  if (r.skipped.length) r.value.notice = `${r.skipped.map((e) => e.reason).join('; ')}: using the ${r.name} checkpoint (step ${r.value.step}) instead`;
  return r.value;
}

function loadOne(runDir: string, which: string, opts: { backend: Backend; inference?: boolean }): LoadedRun {
  const meta = readCheckpointMeta(runDir, which);
  const tokenizer = tokenizerFromJSON(meta.tokenizer, `${runDir}/${which}.json`);
  const { vocabSize: _v, ...modelSettings } = meta.config.model;
  void _v;
  let config: RunConfig;
  try {
    config = buildRunConfig({ ...modelSettings, ...meta.config.train }, tokenizer.vocabSize);
  } catch (e) {
    if (!(e instanceof ScratchError)) throw e;
    throw new DamagedCheckpointError(`${runDir}/${which}.json: corrupt checkpoint (${e.message})`, `${which}.json: ${e.message}`);
  }
  checkWeightsFit(runDir, meta, countParams(config.model), which);
  const model = new GPT(config.model, { backend: opts.backend, inference: opts.inference });
  loadCheckpointWeights(runDir, meta, model, null, which);
  model.tokenizer = tokenizer;
  model.settings = { ...config.train };
  return { dir: runDir, model, tokenizer, config, meta, checkpoint: which, step: meta.step };
}

/** Mean loss on one split and its perplexity (exp of the loss). */
export interface SplitLoss {
  loss: number;
  perplexity: number;
}

/**
 * Mean loss and perplexity of a run's model on `batches` seeded batches of each split; batches
 * too large for `availableMemory` run in equal pieces, as in training.
 */
export function evaluateRun(run: LoadedRun, dataDir: string, opts: { batches?: number; seed?: number; availableMemory?: number } = {}): { train: SplitLoss; val: SplitLoss } {
  const data = openDataFolder(dataDir);
  if (formatTokenizerJSON(run.tokenizer) !== data.tokenizerText) {
    throw new ScratchError(`${dataDir} was prepared with another tokenizer (${data.tokenizer.kind}, ${data.tokenizer.vocabSize} ids) than the run (${run.tokenizer.kind}, ${run.tokenizer.vocabSize} ids); prepare it with the run's tokenizer: npx scratchlm prepare <text files> --tokenizer ${run.dir} --out <folder>`);
  }
  const T = run.config.model.blockSize;
  const advice = `the run's block size is ${T}; evaluate on more text`;
  checkBlockFits(data.train, T, 'train', advice);
  checkBlockFits(data.val, T, 'val', advice);
  const cfg = { ...run.config.train, evalIters: opts.batches ?? run.config.train.evalIters, seed: opts.seed ?? run.config.train.seed };
  const pieces = batchPieces(run.config.model, cfg.batchSize, T, opts.availableMemory ?? Infinity) ?? cfg.batchSize;
  run.model.train(null);
  const l = estimateLoss(run.model, data, cfg, T, run.step, undefined, pieces);
  const f = (loss: number): SplitLoss => ({ loss, perplexity: Math.exp(loss) });
  return { train: f(l.train), val: f(l.val) };
}
