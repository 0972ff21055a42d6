/** Using a finished (or running) run: load its model and tokenizer, evaluate it on a data folder. */
import { ScratchError } from '../core/errors.js';
import type { Backend } from '../kernels/types.js';
import { countParams } from '../model/config.js';
import { GPT } from '../model/gpt.js';
import { formatTokenizerJSON, tokenizerFromJSON } from '../tokenizer/formats.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { checkBlockFits } from './batches.js';
import { buildRunConfig, type RunConfig } from './config.js';
import { batchPieces } from './memory.js';
import { estimateLoss } from './trainer.js';
import { checkWeightsFit, DamagedCheckpointError, firstSoundCheckpoint, loadCheckpointWeights, readCheckpointMeta, type CheckpointMeta } from '../io/checkpoint.js';
import { openDataFolder } from '../io/prepare.js';

export interface LoadedRun {
  dir: string;
  model: GPT;
  tokenizer: Tokenizer;
  config: RunConfig;
  meta: CheckpointMeta;
  checkpoint: string;
  /** Set when the default checkpoint was damaged and another was loaded instead: what happened. */
  notice?: string;
}

/** Loads checkpoint `which` ('best' when there is one, else 'latest', by default). */
/** `inference`: a model without gradient buffers (half the memory), for sampling. */
export function loadRun(runDir: string, opts: { backend: Backend; checkpoint?: 'best' | 'latest'; inference?: boolean }): LoadedRun {
  if (opts.checkpoint) return loadOne(runDir, opts.checkpoint, opts);
  // by default the best, or the latest when the best is damaged (saying so)
  const r = firstSoundCheckpoint(runDir, ['best', 'latest'], (which) => loadOne(runDir, which, opts));
  if (r.skipped.length) r.value.notice = `${r.skipped.map((e) => e.reason).join('; ')}: using the ${r.name} checkpoint (step ${r.value.meta.step}) instead`;
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
  return { dir: runDir, model, tokenizer, config, meta, checkpoint: which };
}

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
    throw new ScratchError(`${dataDir} was prepared with another tokenizer (${data.tokenizer.kind}, ${data.tokenizer.vocabSize} ids) than the run (${run.tokenizer.kind}, ${run.tokenizer.vocabSize} ids); prepare it with the run's tokenizer: scratchlm prepare <text files> --tokenizer ${run.dir} --out <folder>`);
  }
  const T = run.config.model.blockSize;
  const advice = `the run's block size is ${T}; evaluate on more text`;
  checkBlockFits(data.train, T, 'train', advice);
  checkBlockFits(data.val, T, 'val', advice);
  const cfg = { ...run.config.train, evalIters: opts.batches ?? run.config.train.evalIters, seed: opts.seed ?? run.config.train.seed };
  const pieces = batchPieces(run.config.model, cfg.batchSize, T, opts.availableMemory ?? Infinity) ?? cfg.batchSize;
  run.model.train(null);
  const l = estimateLoss(run.model, data, cfg, T, run.meta.step, undefined, pieces);
  const f = (loss: number): SplitLoss => ({ loss, perplexity: Math.exp(loss) });
  return { train: f(l.train), val: f(l.val) };
}
