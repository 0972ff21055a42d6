/**
 * A model as files, in the formats the command line reads and writes: a Hugging Face style folder
 * (model.safetensors + config.json + tokenizer.json) or a scratchlm run folder (best.json or
 * latest.json naming its safetensors). Only the library's public parsers and writers are used.
 */
import {
  GPT, ScratchError, gpt2WeightEntries, gptConfigFromHf, hfConfigFromGpt, loadGpt2Weights, parseSafetensors, serializeSafetensors, tokenizerFromJSON,
  formatTokenizerJSON, decodeEmbeddingSnapshot, parseSnapshotIndex, type Backend, type GPTNetwork, type EmbeddingSnapshot, type Tokenizer,
} from 'scratchlm';
import type { ModelFiles } from './protocol.js';

const utf8 = new TextDecoder();
const enc = new TextEncoder();

function json(files: ModelFiles, name: string): unknown {
  const bytes = files[name];
  if (!bytes) throw new ScratchError(`${name} is missing`);
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch (e) {
    throw new ScratchError(`${name}: not valid JSON (${(e as Error).message})`);
  }
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The three files of a model: the same a Hugging Face GPT-2 folder has, plus scratchlm's tokenizer. */
export function modelFiles(model: GPTNetwork, tok: Tokenizer): ModelFiles {
  return {
    'model.safetensors': serializeSafetensors(gpt2WeightEntries(model), { format: 'pt' }),
    'config.json': enc.encode(JSON.stringify(hfConfigFromGpt(model.config, model.eps), null, 2) + '\n'),
    'tokenizer.json': enc.encode(formatTokenizerJSON(tok)),
  };
}

export interface Loaded {
  model: GPTNetwork;
  tokenizer: Tokenizer;
  /** Which files it was (for the status line). */
  kind: string;
  /** The run's training settings when it came from a run folder. */
  train?: Record<string, unknown>;
  step?: number;
}

/** Files picked by the user (names without folders) → a model on `backend`, or a one-line error. */
export async function loadModelFiles(files: ModelFiles, backend: Backend): Promise<Loaded> {
  const names = Object.keys(files);
  const ckpt = ['best.json', 'latest.json'].find((n) => n in files);
  if ('model.safetensors' in files && 'config.json' in files) {
    const { config, eps } = gptConfigFromHf(json(files, 'config.json'), 'config.json');
    if (!files['tokenizer.json']) throw new ScratchError('tokenizer.json is missing: pick it together with model.safetensors and config.json');
    const tokenizer = tokenizerFromJSON(json(files, 'tokenizer.json'), 'tokenizer.json');
    if (tokenizer.vocabSize > config.vocabSize) throw new ScratchError(`tokenizer.json has ${tokenizer.vocabSize} ids but the model only ${config.vocabSize}`);
    const model = new GPT(config, { backend, layerNormEps: eps });
    loadGpt2Weights(model, parseSafetensors(files['model.safetensors']!, 'model.safetensors').tensors, 'model.safetensors');
    return { model, tokenizer, kind: 'model.safetensors + config.json + tokenizer.json' };
  }
  if (ckpt) {
    const meta = json(files, ckpt) as {
      format?: string; step?: number; config?: { model?: Record<string, unknown>; train?: Record<string, unknown> };
      tokenizer?: object; files?: { weights?: string }; sha256?: { weights?: string };
    };
    if (meta.format !== 'scratchlm-checkpoint' || !meta.config?.model || !meta.tokenizer || !meta.files?.weights) throw new ScratchError(`${ckpt}: not a scratchlm checkpoint`);
    const wname = meta.files.weights;
    const bytes = files[wname];
    if (!bytes) throw new ScratchError(`${ckpt} names ${wname}, which was not among the files picked: pick the whole run folder`);
    if (meta.sha256?.weights && (await sha256(bytes)) !== meta.sha256.weights) throw new ScratchError(`${wname}: its SHA-256 does not match the one in ${ckpt} (damaged file)`);
    const tokenizer = tokenizerFromJSON(meta.tokenizer, ckpt);
    const model = new GPT(meta.config.model, { backend });
    loadGpt2Weights(model, parseSafetensors(bytes, wname).tensors, wname);
    return { model, tokenizer, kind: `run folder (${ckpt}, step ${meta.step})`, train: meta.config.train, step: meta.step };
  }
  throw new ScratchError(`no model among ${names.join(', ') || 'no files'}: pick model.safetensors, config.json and tokenizer.json (saved by this page or 'npx scratchlm export'), or a run folder with best.json or latest.json`);
}

/** Where a run folder's snapshot files sit among the files (keys as the page gives them). */
export const SNAPSHOT_INDEX = 'snapshots/index.jsonl';

/** Whether a picked file's name is one of a run's snapshot files (snapshots/index.jsonl, snapshots/emb-<step>.bin). */
export function isSnapshotFile(name: string): boolean {
  return name === 'index.jsonl' || /^emb-\d+\.bin$/.test(name);
}

/**
 * The run's embedding snapshots among `files` (snapshots/index.jsonl and the emb-<step>.bin files
 * it names), oldest first; files the index names but that are missing or damaged are left out and
 * said in `note`.
 */
export function runSnapshots(files: ModelFiles): { snapshots: EmbeddingSnapshot[]; note: string | null } {
  const index = files[SNAPSHOT_INDEX];
  if (!index) return { snapshots: [], note: null };
  const entries = parseSnapshotIndex(utf8.decode(index));
  const snapshots: EmbeddingSnapshot[] = [];
  const missing: string[] = [];
  const damaged: string[] = [];
  for (const e of entries) {
    const bytes = files[`snapshots/${e.file}`];
    if (!bytes) missing.push(e.file);
    else {
      try {
        snapshots.push(decodeEmbeddingSnapshot(bytes, `snapshots/${e.file}`));
      } catch (err) {
        damaged.push((err as Error).message);
      }
    }
  }
  const notes = [
    missing.length ? `${missing.length} of the ${entries.length} snapshots named in snapshots/index.jsonl were not given (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}); pick them too` : '',
    ...damaged,
  ].filter(Boolean);
  return { snapshots, note: notes.length ? notes.join('; ') : null };
}
