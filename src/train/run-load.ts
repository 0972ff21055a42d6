/** Using a finished (or running) run: load its model and tokenizer, evaluate it on a data folder. */
import { ScratchError } from '../core/errors.js';
import type { Backend } from '../kernels/types.js';
import { GPT } from '../model/gpt.js';
import { formatTokenizerJSON, tokenizerFromJSON } from '../tokenizer/formats.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { checkBlockFits } from './batches.js';
import { buildRunConfig, type RunConfig } from './config.js';
import { estimateLoss } from './trainer.js';
import { hasCheckpoint, loadCheckpointWeights, readCheckpointMeta, type CheckpointMeta } from '../io/checkpoint.js';
import { openDataFolder } from '../io/prepare.js';

export interface LoadedRun {
  model: GPT;
  tokenizer: Tokenizer;
  config: RunConfig;
  meta: CheckpointMeta;
  checkpoint: string;
}

/** Loads checkpoint `which` ('best' when there is one, else 'latest', by default). */
export function loadRun(runDir: string, opts: { backend: Backend; checkpoint?: 'best' | 'latest' }): LoadedRun {
  const which = opts.checkpoint ?? (hasCheckpoint(runDir, 'best') ? 'best' : 'latest');
  const meta = readCheckpointMeta(runDir, which);
  const tokenizer = tokenizerFromJSON(meta.tokenizer, `${runDir}/${which}.json`);
  const { vocabSize: _v, ...modelSettings } = meta.config.model;
  void _v;
  const config = buildRunConfig({ ...modelSettings, ...meta.config.train }, tokenizer.vocabSize);
  const model = new GPT(config.model, { backend: opts.backend });
  loadCheckpointWeights(runDir, meta, model, null);
  return { model, tokenizer, config, meta, checkpoint: which };
}

export interface SplitLoss {
  loss: number;
  perplexity: number;
}

/** Mean loss and perplexity of a run's model on `batches` seeded batches of each split. */
export function evaluateRun(run: LoadedRun, dataDir: string, opts: { batches?: number; seed?: number } = {}): { train: SplitLoss; val: SplitLoss } {
  const data = openDataFolder(dataDir);
  if (formatTokenizerJSON(run.tokenizer) !== data.tokenizerText) {
    throw new ScratchError(`${dataDir} was prepared with another tokenizer (${data.tokenizer.kind}, ${data.tokenizer.vocabSize} ids) than the run (${run.tokenizer.kind}, ${run.tokenizer.vocabSize} ids); prepare it with the run's tokenizer`);
  }
  const T = run.config.model.blockSize;
  checkBlockFits(data.train, T, 'train');
  checkBlockFits(data.val, T, 'val');
  const cfg = { ...run.config.train, evalIters: opts.batches ?? run.config.train.evalIters, seed: opts.seed ?? run.config.train.seed };
  run.model.train(null);
  const l = estimateLoss(run.model, data, cfg, T, run.meta.step);
  const f = (loss: number): SplitLoss => ({ loss, perplexity: Math.exp(loss) });
  return { train: f(l.train), val: f(l.val) };
}
