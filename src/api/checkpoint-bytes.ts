/**
 * A training checkpoint as bytes, for a browser (IndexedDB, a download) or any place without a
 * run folder: `model.toFiles({ checkpoint: true })` adds these two files to the model's
 * Hugging Face files, and `GPT.fromFiles` continues the run from them exactly.
 *
 *   checkpoint.json        the run state: step, both configs, tokenizer, the data and dropout
 *                          generators' states, the optimizer's step, best and last val loss
 *   optimizer.safetensors  the optimizer's two moments per parameter group (m.0, v.0, m.1, ...),
 *                          the layout of a run folder's NAME-<step>.optim.safetensors
 */
import { ScratchError } from '../core/errors.js';
import type { Buf } from '../kernels/types.js';
import { parseSafetensors, serializeSafetensors } from '../io/safetensors.js';
import type { RunCheckpointState } from '../train/session.js';

/** What the bytes need of an optimizer: its step and moments, and a way to set them. */
export interface MomentsHolder {
  readonly t: number;
  readonly m: readonly Buf[];
  readonly v: readonly Buf[];
  setState(s: { t: number; m: Float32Array[]; v: Float32Array[] }): void;
}

/** The `format` field of checkpoint.json. */
export const CHECKPOINT_BYTES_FORMAT = 'scratchlm-checkpoint-bytes';

/** The optimizer's moments as a safetensors file. */
export function momentsToBytes(opt: MomentsHolder): Uint8Array {
  const entries: [string, { shape: number[]; data: Float32Array }][] = [];
  opt.m.forEach((m, i) => entries.push([`m.${i}`, { shape: [m.length], data: Float32Array.from(m) }]));
  opt.v.forEach((v, i) => entries.push([`v.${i}`, { shape: [v.length], data: Float32Array.from(v) }]));
  return serializeSafetensors(entries, { step: String(opt.t) });
}

/** Sets `opt`'s moments from momentsToBytes' file, checking each group's length. */
export function momentsFromBytes(bytes: Uint8Array, opt: MomentsHolder, step: number, what = 'optimizer.safetensors'): void {
  const tensors = parseSafetensors(bytes, what).tensors;
  const get = (name: string, want: number): Float32Array => {
    const x = tensors.get(name);
    if (!x || !(x.data instanceof Float32Array)) throw new ScratchError(`${what}: optimizer moment '${name}' missing or not F32`);
    if (x.data.length !== want) throw new ScratchError(`${what}: optimizer moment '${name}' holds ${x.data.length} values, the model's optimizer needs ${want} (a checkpoint of another model or optimizer?)`);
    return x.data;
  };
  const expected = opt.m.length + opt.v.length; // Muon keeps one moment where AdamW keeps two
  if (tensors.size !== expected) throw new ScratchError(`${what}: ${tensors.size} optimizer moments, the model's optimizer has ${expected}`);
  opt.setState({ t: step, m: opt.m.map((m, i) => get(`m.${i}`, m.length)), v: opt.v.map((v, i) => get(`v.${i}`, v.length)) });
}

/** checkpoint.json's text for a run state. */
export function stateToJson(state: RunCheckpointState): string {
  // only the run state's own fields (a run folder's CheckpointMeta also holds its file names and checksums)
  const { step, config, tokenizer, dataRng, dropoutRng, optimizerStep, bestValLoss, valLoss } = state;
  return JSON.stringify({ format: CHECKPOINT_BYTES_FORMAT, version: 1, step, config, tokenizer, dataRng, dropoutRng, optimizerStep, bestValLoss, valLoss }, null, 1) + '\n';
}

/** A run state from checkpoint.json, checked enough that a wrong file fails here in one line. */
export function stateFromJson(json: unknown, what = 'checkpoint.json'): RunCheckpointState {
  const bad = (why: string) => new ScratchError(`${what}: not a scratchlm checkpoint (${why}); expected the checkpoint.json of model.toFiles({ checkpoint: true })`);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad('not a JSON object');
  const { format, version, ...state } = json as Record<string, unknown>;
  if (format !== CHECKPOINT_BYTES_FORMAT) throw bad(`format is not ${CHECKPOINT_BYTES_FORMAT}`);
  if (version !== 1) throw new ScratchError(`${what}: checkpoint version ${String(version)}; this scratchlm reads version 1`);
  const s = state as Partial<RunCheckpointState>;
  if (!Number.isInteger(s.step) || (s.step as number) < 0) throw bad('step is not a whole number');
  if (!Number.isInteger(s.optimizerStep) || (s.optimizerStep as number) < 0) throw bad('optimizerStep is not a whole number');
  const cfg = s.config as { model?: unknown; train?: unknown } | undefined;
  if (!cfg || typeof cfg.model !== 'object' || typeof cfg.train !== 'object') throw bad('config.model / config.train missing');
  for (const k of ['dataRng', 'dropoutRng'] as const) {
    const r = s[k] as unknown;
    if (!Array.isArray(r) || r.length !== 4 || !r.every((x) => Number.isInteger(x))) throw bad(`${k} is not a generator state`);
  }
  return s as RunCheckpointState;
}
