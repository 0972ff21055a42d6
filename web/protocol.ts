/** Messages between the page (main.ts) and the training worker (worker.ts). */

/** Settings of a new model and its training, as the form gives them (flat keys of the run config). */
export interface Setup {
  text: string;
  /** Where the text came from, for the status line. */
  source: string;
  tokenizer: 'char' | 'bpe';
  /** BPE only: ids in all (256 bytes + merges). */
  vocabSize: number;
  /** Flat run-config keys (nLayer, nHead, nEmbd, blockSize, batchSize, maxIters, lr, ...). */
  settings: Record<string, number | boolean>;
  /** Steps between the sample's refreshes. */
  sampleEvery: number;
}

export interface SampleSettings {
  prompt: string;
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

/** A model's files by name (model.safetensors, config.json, tokenizer.json; or a run folder's). */
export type ModelFiles = Record<string, Uint8Array>;

export type InspectRequest =
  | { what: 'next'; prompt: string; top: number; candidates: string[]; temperature: number }
  | { what: 'attention'; prompt: string }
  | { what: 'lens'; prompt: string }
  | { what: 'embeddings' };

/** A probe: a prompt and continuations whose probabilities are recorded at every evaluation. */
export interface Probe {
  prompt: string;
  candidates: string[];
}
export interface ProbePoint {
  step: number;
  /** [probe][candidate] probability (NaN where the tokenizer cannot encode it). */
  values: number[][];
}

export interface EmbeddingView {
  /** Where the snapshots come from: taken in this page while it trained, or the run's own snapshots/ files. */
  source: 'page' | 'run';
  /** Token rows in each snapshot (the map may show fewer: at most a few hundred labels). */
  rows: number;
  labels: string[];
  /** Each row's group name ('' for none). */
  groups: string[];
  /** Per snapshot: its step, the aligned 2-D map (x0, y0, x1, y1, ...), the cohesion score. */
  snapshots: { step: number; xy: number[]; cohesion: number }[];
}

export type ToWorker =
  | { type: 'init'; threads: number }
  | { type: 'setup'; setup: Setup }
  | { type: 'train' }
  | { type: 'pause' }
  | { type: 'generate'; id: number; opts: SampleSettings }
  | { type: 'inspect'; id: number; request: InspectRequest }
  | { type: 'probes'; probes: Probe[] }
  | { type: 'save' }
  | { type: 'load'; files: ModelFiles; name: string };

export interface ModelInfo {
  name: string;
  params: number;
  config: Record<string, number | boolean | string>;
  tokenizer: string;
  vocabSize: number;
  /** Tokens of training text (0: a loaded model with no data yet). */
  trainTokens: number;
  valTokens: number;
  iter: number;
  maxIters: number;
}

export type FromWorker =
  | { type: 'ready'; backend: string; threads: number; isolated: boolean; note: string }
  | { type: 'status'; text: string }
  | { type: 'model'; info: ModelInfo }
  | { type: 'step'; iter: number; loss: number; lr: number; tokensPerSec: number; ms: number }
  | { type: 'eval'; iter: number; train: number; val: number }
  | { type: 'sample'; iter: number; text: string }
  | { type: 'state'; running: boolean; iter: number; done: boolean }
  | { type: 'piece'; id: number; text: string }
  | { type: 'generated'; id: number; tokens: number; promptTokens: number; ms: number }
  | { type: 'inspected'; id: number; what: InspectRequest['what']; result: unknown }
  | { type: 'probe'; probes: Probe[]; point: ProbePoint }
  | { type: 'saved'; files: ModelFiles }
  | { type: 'error'; message: string; id?: number };
