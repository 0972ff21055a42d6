/** The GPT model's shape: one frozen, validated object, saved with every checkpoint. */
import { ScratchError } from '../core/errors.js';
import { validateConfig, type Schema } from '../core/config.js';

/** The shape and architecture of a GPT (GPT-2's by default; the modern recipe's options too). */
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
  /** Learned position table (GPT-2) or rotary embeddings on q and k (RoPE). */
  readonly positions: 'learned' | 'rope';
  /** RoPE's base: head dimension pair i turns at base^(-2i/hs) radians per position. */
  readonly ropeBase: number;
  /** LayerNorm (GPT-2) or RMSNorm (Llama: no mean, no bias). */
  readonly norm: 'layernorm' | 'rmsnorm';
  /** RMS-normalise each head of q and k before attention (QK-norm, no gain). */
  readonly qkNorm: boolean;
  /** The MLP's activation: GELU (GPT-2), ReLU² (modded-nanogpt) or SwiGLU (Llama). */
  readonly mlp: 'gelu' | 'relu2' | 'swiglu';
  /** The MLP's hidden width; 0: 4 × nEmbd. */
  readonly mlpHidden: number;
  /** The LM head is the token embedding (GPT-2), or a matrix of its own. */
  readonly tieEmbeddings: boolean;
  /** The attention and MLP output projections (and an untied head) start at zero. */
  readonly zeroInitProj: boolean;
  /** logits = cap * tanh(logits / cap); 0: off. */
  readonly logitSoftcap: number;
}

/** The schema of a GPTConfig: every model setting with its bounds, default and doc. */
export const GPT_CONFIG_SCHEMA: Schema = {
  vocabSize: { kind: 'int', min: 1, max: 2 ** 31 - 1, doc: 'number of token ids' },
  blockSize: { kind: 'int', min: 1, max: 1 << 20, doc: 'longest context in tokens' },
  nLayer: { kind: 'int', min: 1, max: 1024, doc: 'number of transformer blocks' },
  nHead: { kind: 'int', min: 1, max: 1024, doc: 'attention heads per block' },
  nEmbd: { kind: 'int', min: 1, max: 1 << 16, doc: 'embedding width' },
  bias: { kind: 'boolean', default: true, doc: 'biases in linear layers and LayerNorms' },
  dropout: { kind: 'number', min: 0, max: 1, maxExclusive: true, default: 0, doc: 'dropout probability' },
  positions: { kind: 'enum', values: ['learned', 'rope'], default: 'learned', doc: 'learned position table or rotary embeddings' },
  ropeBase: { kind: 'number', min: 1, default: 10000, doc: 'rotary embedding base' },
  norm: { kind: 'enum', values: ['layernorm', 'rmsnorm'], default: 'layernorm', doc: 'LayerNorm or RMSNorm' },
  qkNorm: { kind: 'boolean', default: false, doc: 'RMS-normalise each head of q and k' },
  mlp: { kind: 'enum', values: ['gelu', 'relu2', 'swiglu'], default: 'gelu', doc: 'MLP activation' },
  mlpHidden: { kind: 'int', min: 0, max: 1 << 20, default: 0, doc: 'MLP hidden width (0: 4 x nEmbd)' },
  tieEmbeddings: { kind: 'boolean', default: true, doc: 'LM head tied to the token embedding' },
  zeroInitProj: { kind: 'boolean', default: false, doc: 'output projections (and an untied head) start at zero' },
  logitSoftcap: { kind: 'number', min: 0, default: 0, doc: 'logit soft-cap (0: off)' },
};

/**
 * Checks a model config (filling defaults) and returns it frozen; a bad setting is a ScratchError
 * naming it.
 */
export function gptConfig(raw: unknown): GPTConfig {
  const c = validateConfig<GPTConfig>(GPT_CONFIG_SCHEMA, raw, 'model config');
  if (c.nEmbd % c.nHead !== 0) {
    throw new ScratchError(`model config 'nEmbd' (${c.nEmbd}) must be divisible by 'nHead' (${c.nHead})`);
  }
  if (c.positions === 'rope' && (c.nEmbd / c.nHead) % 2 !== 0) {
    throw new ScratchError(`model config: rotary positions need an even head size; nEmbd / nHead is ${c.nEmbd / c.nHead}`);
  }
  return c;
}

/** The MLP's hidden width. */
export function mlpWidth(c: GPTConfig): number {
  return c.mlpHidden > 0 ? c.mlpHidden : 4 * c.nEmbd;
}

/** Why c cannot be a GPT-2 model (learned positions, LayerNorm, GELU 4x, tied head, no QK-norm, no cap), or null. */
export function gpt2Incompatibility(c: GPTConfig): string | null {
  const why: string[] = [];
  if (c.positions !== 'learned') why.push(`positions '${c.positions}'`);
  if (c.norm !== 'layernorm') why.push(`norm '${c.norm}'`);
  if (c.qkNorm) why.push('qkNorm');
  if (c.mlp !== 'gelu') why.push(`mlp '${c.mlp}'`);
  if (mlpWidth(c) !== 4 * c.nEmbd) why.push(`mlpHidden ${c.mlpHidden}`);
  if (!c.tieEmbeddings) why.push('an untied head');
  if (c.logitSoftcap > 0) why.push('a logit soft-cap');
  return why.length ? why.join(', ') : null;
}

/** Parameter count (a tied LM head counted once). */
export function countParams(c: GPTConfig): number {
  const C = c.nEmbd;
  const H = mlpWidth(c);
  const b = c.bias ? 1 : 0;
  const nb = c.norm === 'layernorm' ? b : 0;
  const fcOut = c.mlp === 'swiglu' ? 2 * H : H;
  const perLayer = 2 * C * (1 + nb) + (3 * C * C + 3 * C * b) + (C * C + C * b) + (fcOut * C + fcOut * b) + (H * C + C * b);
  const pos = c.positions === 'learned' ? c.blockSize * C : 0;
  const head = c.tieEmbeddings ? 0 : c.vocabSize * C;
  return c.vocabSize * C + pos + head + c.nLayer * perLayer + C * (1 + nb);
}
