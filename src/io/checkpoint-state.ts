import type { RngState } from '../core/rng.js';

/**
 * What a run's checkpoint records besides weights and optimizer moments: the part the
 * browser-safe run core (train/session.ts) produces and the checkpoint files (io/checkpoint.ts)
 * store. One definition, so the two cannot drift apart. No node: imports (browsers reach it).
 */
export interface CheckpointState {
  /** Steps taken; a resumed run continues with this step. */
  step: number;
  /** The run config's flat settings and the model config. */
  config: { model: Record<string, unknown>; train: Record<string, unknown> };
  tokenizer: object;
  dataRng: RngState;
  dropoutRng: RngState;
  optimizerStep: number;
  bestValLoss: number | null;
  valLoss: number | null;
}
