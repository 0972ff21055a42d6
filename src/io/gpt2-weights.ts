/**
 * GPT-2 weights in Hugging Face's layout, to and from a model (browser-safe; no files here).
 * Hugging Face stores linear weights as Conv1D (in, out); scratchlm holds them (out, in).
 */
import { ScratchError } from '../core/errors.js';
import { gpt2Incompatibility, gptConfig, type GPTConfig } from '../model/config.js';
import type { GPT } from '../model/gpt.js';
import { paramSpecs } from '../model/params.js';
import type { SafeArray, SafeTensor } from './safetensors.js';

/** Hugging Face's config.json for GPT-2, the subset scratchlm reads and writes. */
export interface HfGpt2Config {
  model_type?: string;
  n_layer: number;
  n_head: number;
  n_embd: number;
  n_positions: number;
  n_ctx?: number;
  vocab_size: number;
  layer_norm_epsilon?: number;
  activation_function?: string;
  tie_word_embeddings?: boolean;
  [key: string]: unknown;
}

/** Reads a Hugging Face config.json object into a model config (biases on, dropout off). */
export function gptConfigFromHf(raw: unknown, source: string): { config: GPTConfig; eps: number } {
  const fail = (msg: string) => new ScratchError(`${source}: ${msg}`);
  if (typeof raw !== 'object' || raw === null) throw fail('expected a JSON object with n_layer, n_head, n_embd, n_positions, vocab_size');
  const c = raw as HfGpt2Config;
  if (c.model_type === 'scratchlm') return scratchlmConfig(c, fail);
  if (c.model_type !== undefined && c.model_type !== 'gpt2') throw fail(`model_type is '${c.model_type}'; scratchlm loads GPT-2 models (and its own, model_type 'scratchlm') only`);
  const act = c.activation_function ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') throw fail(`activation_function '${act}' is not supported; GPT-2 uses gelu_new (the tanh approximation)`);
  if (c.tie_word_embeddings === false) throw fail('tie_word_embeddings is false; scratchlm ties the LM head to the token embedding, as GPT-2 does');
  for (const k of ['n_layer', 'n_head', 'n_embd', 'n_positions', 'vocab_size'] as const) {
    if (!Number.isInteger(c[k]) || (c[k] as number) <= 0) throw fail(`'${k}' must be a positive integer, got ${JSON.stringify(c[k])}`);
  }
  const eps = c.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) throw fail(`'layer_norm_epsilon' must be a positive number`);
  try {
    const config = gptConfig({ vocabSize: c.vocab_size, blockSize: c.n_positions, nLayer: c.n_layer, nHead: c.n_head, nEmbd: c.n_embd, bias: true, dropout: 0 });
    return { config, eps };
  } catch (e) {
    throw fail((e as Error).message);
  }
}

/** A scratchlm model folder's config.json: GPT-2's tensor names, the model config under "scratchlm". */
function scratchlmConfig(c: HfGpt2Config, fail: (m: string) => ScratchError): { config: GPTConfig; eps: number } {
  const eps = c.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) throw fail(`'layer_norm_epsilon' must be a positive number`);
  try {
    return { config: gptConfig(c.scratchlm), eps };
  } catch (e) {
    throw fail((e as Error).message);
  }
}

/** The config.json of a scratchlm model folder (any recipe; GPT-2's tensor names and layout). */
export function scratchlmFolderConfig(c: GPTConfig, eps = 1e-5): HfGpt2Config {
  return { model_type: 'scratchlm', layer_norm_epsilon: eps, scratchlm: { ...c } } as unknown as HfGpt2Config;
}

/**
 * A Hugging Face GPT-2 config.json for a model config (throws when the model is not GPT-2's
 * architecture).
 */
export function hfConfigFromGpt(c: GPTConfig, eps = 1e-5): HfGpt2Config {
  const why = gpt2Incompatibility(c);
  if (why) {
    throw new ScratchError(`this model cannot be saved as a Hugging Face GPT-2 folder: GPT-2 has learned positions, LayerNorm, a 4x GELU MLP and a tied head, and this one has ${why}`);
  }
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_embd: c.nEmbd,
    n_positions: c.blockSize,
    n_ctx: c.blockSize,
    vocab_size: c.vocabSize,
    layer_norm_epsilon: eps,
    activation_function: 'gelu_new',
    tie_word_embeddings: true,
    resid_pdrop: c.dropout,
    embd_pdrop: c.dropout,
    attn_pdrop: c.dropout,
  };
}

/** Buffers that some GPT-2 files carry and that hold no learned weights. */
function isIgnorable(name: string): boolean {
  return name === 'lm_head.weight' || /^h\.\d+\.attn\.(bias|masked_bias)$/.test(name);
}

/** dst (cols, rows) = src (rows, cols) transposed: Conv1D (in, out) ↔ Linear (out, in). */
export function transpose(src: ArrayLike<number>, rows: number, cols: number, dst: SafeArray | Float32Array | Float64Array): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

/** Copies Hugging Face-named tensors into the model's parameters, checking names and shapes. */
export function loadGpt2Weights(model: GPT, tensors: Map<string, SafeTensor>, source: string, opts: { prefix?: string } = {}): void {
  const fail = (msg: string) => new ScratchError(`${source}: ${msg}`);
  const byName = new Map<string, SafeTensor>();
  const prefix = opts.prefix ?? '';
  for (const [raw, t] of tensors) {
    if (prefix && !raw.startsWith(prefix)) continue;
    const name = raw.slice(prefix.length).replace(/^transformer\./, '');
    if (isIgnorable(name) && !model.params.has(name)) continue;
    if (!model.params.has(name) && !(name.endsWith('.bias') && !model.config.bias)) {
      throw fail(`unexpected tensor '${raw}'; is this a GPT-2 checkpoint of the configured shape?`);
    }
    byName.set(name, t);
  }
  for (const spec of model.params.specs) {
    const t = byName.get(spec.name);
    if (!t) throw fail(`tensor '${prefix}${spec.name}' is missing`);
    if (t.dtype === 'I32') throw fail(`tensor '${spec.name}' is I32; weights must be F32`);
    const want = spec.conv1d ? [spec.shape[1], spec.shape[0]] : spec.shape;
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw fail(`tensor '${spec.name}' has shape [${t.shape}], the config needs [${want}]; does config.json match the weights?`);
    }
    const dst = model.params.get(spec.name).data;
    if (spec.conv1d) transpose(t.data, want[0], want[1], dst);
    else dst.set(t.data);
  }
}

/**
 * The model's weights under Hugging Face names and order, Conv1D layout, float32 (the tied head
 * is not stored). A model without biases exports zero biases, since GPT-2 files always have them.
 */
export function gpt2WeightEntries(model: GPT): [string, { shape: number[]; data: Float32Array }][] {
  const out: [string, { shape: number[]; data: Float32Array }][] = [];
  for (const spec of paramSpecs({ ...model.config, bias: true })) {
    const src = model.params.has(spec.name) ? model.params.get(spec.name).data : null;
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (spec.conv1d) {
      const [oc, ic] = spec.shape;
      if (src) transpose(src, oc, ic, data);
      out.push([spec.name, { shape: [ic, oc], data }]);
    } else {
      if (src) data.set(src);
      out.push([spec.name, { shape: [...spec.shape], data }]);
    }
  }
  return out;
}
