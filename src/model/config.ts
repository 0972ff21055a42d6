/** The GPT model's shape: one frozen, validated object, saved with every checkpoint. */
import { ScratchError } from '../core/errors.js';
import { validateConfig, type Schema } from '../core/config.js';

export interface GPTConfig {
  readonly vocabSize: number;
  readonly blockSize: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
  /** Biases in the linear layers and LayerNorms (GPT-2 has them; nanoGPT's baby run does not). */
  readonly bias: boolean;
  /** Dropout probability in training mode. */
  readonly dropout: number;
}

export const GPT_CONFIG_SCHEMA: Schema = {
  vocabSize: { kind: 'int', min: 1, max: 2 ** 31 - 1, doc: 'number of token ids' },
  blockSize: { kind: 'int', min: 1, max: 1 << 20, doc: 'longest context in tokens' },
  nLayer: { kind: 'int', min: 1, max: 1024, doc: 'number of transformer blocks' },
  nHead: { kind: 'int', min: 1, max: 1024, doc: 'attention heads per block' },
  nEmbd: { kind: 'int', min: 1, max: 1 << 16, doc: 'embedding width' },
  bias: { kind: 'boolean', default: true, doc: 'biases in linear layers and LayerNorms' },
  dropout: { kind: 'number', min: 0, max: 1, maxExclusive: true, default: 0, doc: 'dropout probability' },
};

export function gptConfig(raw: unknown): GPTConfig {
  const c = validateConfig<GPTConfig>(GPT_CONFIG_SCHEMA, raw, 'model config');
  if (c.nEmbd % c.nHead !== 0) {
    throw new ScratchError(`model config 'nEmbd' (${c.nEmbd}) must be divisible by 'nHead' (${c.nHead})`);
  }
  return c;
}

/** Parameter count (the tied LM head counted once). */
export function countParams(c: GPTConfig): number {
  const C = c.nEmbd;
  const b = c.bias ? 1 : 0;
  const perLayer = 2 * C * (1 + b) + (3 * C * C + 3 * C * b) + (C * C + C * b) + (4 * C * C + 4 * C * b) + (4 * C * C + C * b);
  return c.vocabSize * C + c.blockSize * C + c.nLayer * perLayer + C * (1 + b);
}
