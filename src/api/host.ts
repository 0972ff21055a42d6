/**
 * What the high-level API needs from the file system, provided by src/node/api-host.ts when the
 * Node entry is loaded (import 'scratchlm' in Node). In a browser there is none, and the calls
 * that need one (save(dir), GPT.load(dir), fit({ folder }), tokenizer 'gpt2') say so.
 */
import { ScratchError } from '../core/errors.js';
import type { Backend } from '../kernels/types.js';
import type { GPT } from '../model/gpt.js';
import type { GPTConfig } from '../model/config.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { TokenSource } from '../train/batches.js';
import type { RunCheckpointState } from '../train/session.js';

/** A model read from a folder, before the caller wraps it. */
export interface LoadedFolder {
  model: GPT;
  tokenizer: Tokenizer;
  /** Flat run settings (model and training keys) it was trained with, or defaults. */
  settings: Record<string, unknown>;
  /** A run folder's state, for fit() to continue exactly (null: a Hugging Face folder). */
  state: RunCheckpointState | null;
  /** Loads the run's optimizer moments (when it has any). */
  loadOptimizer: ((opt: { t: number; m: readonly unknown[]; v: readonly unknown[]; setState(s: { t: number; m: Float32Array[]; v: Float32Array[] }): void }) => void) | null;
  /** The optimizer moments' file as bytes (checksum verified), for toFiles({ checkpoint: true }) before any fit. */
  optimizerBytes?: (() => Uint8Array) | null;
}

export interface FileHost {
  gpt2Tokenizer(): Tokenizer;
  openDataFolder(dir: string): { dir: string; train: TokenSource; val: TokenSource; tokenizerText: string };
  /** Reads a run folder (checkpoint `which`, default latest) or a Hugging Face GPT-2 folder into a model made by `make`. */
  load(dir: string, make: (config: GPTConfig, eps: number) => GPT, which?: 'best' | 'latest'): LoadedFolder;
  /** Writes a run folder: config.json, tokenizer.json and checkpoint 'latest'. */
  save(dir: string, model: GPT, optimizer: unknown, state: RunCheckpointState, settings: Record<string, unknown>): void;
  /** Bytes a run on this backend may use. */
  memory(backend: Backend): { availableMemory: number; addressableMemory?: number; memoryLimit?: string };
}

let current: FileHost | null = null;

/** Installed by the Node entry. */
export function setFileHost(h: FileHost): void {
  current = h;
}

/** The file host, or an error saying what `what` needs. */
export function fileHost(what: string): FileHost {
  if (!current) throw new ScratchError(`${what} needs Node.js and its file system (import 'scratchlm' in Node); in a browser use model.toFiles() / GPT.fromFiles(files)`);
  return current;
}

export function hasFileHost(): boolean {
  return current !== null;
}
