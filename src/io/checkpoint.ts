/**
 * Training checkpoints in a run folder. A checkpoint NAME ('latest' or 'best') is three files:
 *   NAME.json                      step, configs, tokenizer, generator states, checksums
 *   NAME-<step>.safetensors        the weights (Hugging Face GPT-2 names)
 *   NAME-<step>.optim.safetensors  AdamW's two moments per parameter group
 * The binaries are written first under new names, then NAME.json is renamed over the old one,
 * then the old binaries are removed: a crash at any moment leaves a complete checkpoint, and a
 * damaged file is caught on load by its SHA-256. Since version 2 NAME.json carries the SHA-256 of
 * its own text (without that field) too, so an edited step or generator state is caught as well.
 */
import { createHash } from 'node:crypto';
import type { CheckpointState } from './checkpoint-state.js';
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ScratchError } from '../core/errors.js';
import type { GPT } from '../model/gpt.js';
import type { Buf } from '../kernels/types.js';

/** What a checkpoint keeps of an optimizer (AdamW): its step count and two moments per group. */
export interface MomentsHolder {
  readonly t: number;
  readonly m: readonly Buf[];
  readonly v: readonly Buf[];
  setState(s: { t: number; m: Float32Array[]; v: Float32Array[] }): void;
}
import { decodeUtf8, readBytes, readJson, writeAtomic } from './files.js';
import { gpt2WeightEntries, loadGpt2Weights } from './gpt2-weights.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';

/** A checkpoint whose files are missing, corrupt or edited (as opposed to absent or from elsewhere). */
export class DamagedCheckpointError extends ScratchError {
  /** What is wrong, short ('latest.json is not valid JSON'), for a message about several checkpoints. */
  readonly reason: string;
  constructor(message: string, reason?: string) {
    super(message);
    this.reason = reason ?? message;
  }
}

/** The `format` field of a checkpoint's JSON. */
export const CHECKPOINT_FORMAT = 'scratchlm-checkpoint';
/** The checkpoint version this scratchlm writes (it reads 1 and 2). */
export const CHECKPOINT_VERSION = 2;

/**
 * A checkpoint's JSON (`latest.json`, `best.json`): the run state, its weight and optimizer files and
 * their checksums.
 */
export interface CheckpointMeta extends CheckpointState {
  format: string;
  version: number;
  files: { weights: string; optimizer: string };
  /** meta: of the JSON text with this field left out (version 2 on). */
  sha256: { weights: string; optimizer: string; meta?: string };
  savedAt: string;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The JSON file of checkpoint `name` in a run folder. */
export function checkpointPath(runDir: string, name: string): string {
  return join(runDir, `${name}.json`);
}

/** Whether a run folder has checkpoint `name` (its JSON file exists). */
export function hasCheckpoint(runDir: string, name = 'latest'): boolean {
  return existsSync(checkpointPath(runDir, name));
}

/** Writes checkpoint `name` of the model and optimizer with `meta` (files and checksums filled in). */
export function saveCheckpoint(runDir: string, name: string, model: GPT, optimizer: MomentsHolder | null, meta: Omit<CheckpointMeta, 'format' | 'version' | 'files' | 'sha256' | 'savedAt'>): void {
  const jsonPath = checkpointPath(runDir, name);
  const old = existsSync(jsonPath) ? tryReadMeta(jsonPath) : null;
  const stem = `${name}-${String(meta.step).padStart(6, '0')}`;
  const files = { weights: `${stem}.safetensors`, optimizer: `${stem}.optim.safetensors` };
  if (old && (old.files.weights === files.weights || old.files.optimizer === files.optimizer)) {
    // same step saved again: use other names so the old pair stays valid until the rename
    files.weights = `${stem}b.safetensors`;
    files.optimizer = `${stem}b.optim.safetensors`;
  }
  const weights = serializeSafetensors(gpt2WeightEntries(model), { format: 'pt' });
  const moments: [string, { shape: number[]; data: Float32Array }][] = [];
  if (optimizer) {
    optimizer.m.forEach((m, i) => moments.push([`m.${i}`, { shape: [m.length], data: Float32Array.from(m) }]));
    optimizer.v.forEach((v, i) => moments.push([`v.${i}`, { shape: [v.length], data: Float32Array.from(v) }]));
  }
  const optim = serializeSafetensors(moments, { step: String(optimizer?.t ?? 0) });
  writeAtomic(join(runDir, files.weights), weights);
  writeAtomic(join(runDir, files.optimizer), optim);
  const full: CheckpointMeta = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, ...meta, files, sha256: { weights: sha256(weights), optimizer: sha256(optim) }, savedAt: new Date().toISOString() };
  full.sha256.meta = metaChecksum(full);
  writeAtomic(jsonPath, JSON.stringify(full, null, 1) + '\n');
  if (old) {
    for (const f of [old.files.weights, old.files.optimizer]) {
      if (f !== files.weights && f !== files.optimizer) {
        try {
          unlinkSync(join(runDir, f));
        } catch {
          /* already gone */
        }
      }
    }
  }
}

/** SHA-256 of the checkpoint description as JSON, without its own checksum. */
function metaChecksum(m: CheckpointMeta): string {
  const { meta: _own, ...files } = m.sha256;
  void _own;
  return sha256(new TextEncoder().encode(JSON.stringify({ ...m, sha256: files })));
}

/** What to do about a damaged checkpoint `name` of `runDir`: the fixes that exist for this run. */
function damagedAdvice(runDir: string, name: string): string {
  const other = name === 'best' ? 'latest' : 'best';
  if (!hasCheckpoint(runDir, other)) return `the run has no other checkpoint: restore ${runDir} from a backup, or start a new run (npx scratchlm train --data <folder> --out <new folder>)`;
  return `sample and eval can use the other one (--checkpoint ${other}); train --resume continues from the newest sound one`;
}

/**
 * Tries the run's checkpoints in `order` (those that exist) with `load`, skipping damaged ones.
 * Returns the first that loads, with the damaged ones skipped before it; when every one is
 * damaged, one error names them all and the fixes that remain.
 */
export function firstSoundCheckpoint<T>(runDir: string, order: readonly string[], load: (name: string) => T): { value: T; name: string; skipped: DamagedCheckpointError[] } {
  const names = order.filter((n) => hasCheckpoint(runDir, n));
  const skipped: DamagedCheckpointError[] = [];
  for (const name of names) {
    try {
      return { value: load(name), name, skipped };
    } catch (e) {
      if (!(e instanceof DamagedCheckpointError)) throw e;
      skipped.push(e);
    }
  }
  if (names.length === 0) {
    const name = order.includes('latest') ? 'latest' : order[0]!;
    return { value: load(name), name, skipped }; // throws: no checkpoint
  }
  if (skipped.length === 1) throw skipped[0]!;
  throw new DamagedCheckpointError(`${runDir}: every checkpoint is damaged (${skipped.map((e) => e.reason).join('; ')}); nothing sound is left to load: restore the folder from a backup, or start a new run (npx scratchlm train --data <folder> --out <new folder>)`);
}

function tryReadMeta(path: string): CheckpointMeta | null {
  try {
    const m = readJson(path, 'checkpoint') as CheckpointMeta;
    return m?.files ? m : null;
  } catch {
    return null;
  }
}

/** Reads and checks checkpoint `name`'s description (not yet its weights). */
export function readCheckpointMeta(runDir: string, name = 'latest'): CheckpointMeta {
  const path = checkpointPath(runDir, name);
  if (!existsSync(path)) throw new ScratchError(`${runDir}: no checkpoint '${name}' (${path} is missing); is this a run folder? start a run with 'npx scratchlm train --out ${runDir}'`);
  const bad = (why: string) => new DamagedCheckpointError(`${path}: corrupt checkpoint (${why}); ${damagedAdvice(runDir, name)}`, `${name}.json: ${why}`);
  let m: CheckpointMeta;
  try {
    m = JSON.parse(decodeUtf8(readBytes(path, 'checkpoint'), path)) as CheckpointMeta;
  } catch (e) {
    if (e instanceof ScratchError && !/not valid UTF-8/.test(e.message)) throw e; // unreadable, not damaged
    throw bad(e instanceof SyntaxError ? 'not valid JSON' : 'not valid UTF-8');
  }
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw bad('not a JSON object');
  if (m?.format !== CHECKPOINT_FORMAT) throw bad(`format is not ${CHECKPOINT_FORMAT}`);
  if (m.version !== 1 && m.version !== CHECKPOINT_VERSION) throw new ScratchError(`${path}: checkpoint version ${m.version}; this scratchlm reads versions 1 to ${CHECKPOINT_VERSION}`);
  // checked whenever present, so a version 2 file relabelled as 1 is caught too
  if ((m.version >= 2 || m.sha256?.meta !== undefined) && (typeof m.sha256?.meta !== 'string' || metaChecksum(m) !== m.sha256.meta)) {
    throw bad('its SHA-256 does not match its contents: it was edited or damaged');
  }
  if (!Number.isInteger(m.step) || m.step < 0) throw bad("'step' is not a whole number");
  if (!m.config?.model || !m.config?.train || !m.tokenizer) throw bad('config or tokenizer missing');
  const rngOk = (s: unknown) => Array.isArray(s) && s.length === 4 && s.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32);
  if (!rngOk(m.dataRng) || !rngOk(m.dropoutRng)) throw bad('generator states missing or not four 32-bit integers');
  const str = (x: unknown) => typeof x === 'string' && x.length > 0;
  if (!str(m.files?.weights) || !str(m.files?.optimizer) || !str(m.sha256?.weights) || !str(m.sha256?.optimizer)) throw bad('file list missing');
  if ([m.files.weights, m.files.optimizer].some((f) => /[\\/]/.test(f) || f.startsWith('.'))) throw bad('a file name points outside the run folder');
  return m;
}

/**
 * Before a model of `params` parameters is allocated for checkpoint `name`: its weights file must
 * be large enough to hold them (float32), so a damaged config cannot ask for more memory than the
 * files justify.
 */
export function checkWeightsFit(runDir: string, meta: CheckpointMeta, params: number, name = 'latest'): void {
  const path = join(runDir, meta.files.weights);
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new DamagedCheckpointError(`${path}: missing; the checkpoint is incomplete; ${damagedAdvice(runDir, name)}`, `${meta.files.weights} is missing`);
  }
  if (params * 4 > size) throw new DamagedCheckpointError(`${checkpointPath(runDir, name)}: corrupt checkpoint (its config describes ${params} parameters, but ${meta.files.weights} holds ${size} bytes); ${damagedAdvice(runDir, name)}`, `${name}.json: config larger than its weights`);
}

/** Checks that a checkpoint's weights and moments are there and match their checksums. */
export function verifyCheckpointFiles(runDir: string, meta: CheckpointMeta, name = 'latest'): void {
  checkedFile(runDir, meta.files.weights, meta.sha256.weights, name);
  checkedFile(runDir, meta.files.optimizer, meta.sha256.optimizer, name);
}

function checkedFile(runDir: string, file: string, sum: string, name: string): { path: string; bytes: Uint8Array } {
  const path = join(runDir, file);
  if (!existsSync(path)) throw new DamagedCheckpointError(`${path}: missing; the checkpoint is incomplete; ${damagedAdvice(runDir, name)}`, `${file} is missing`);
  const bytes = readBytes(path, 'checkpoint file');
  if (sha256(bytes) !== sum) throw new DamagedCheckpointError(`${path}: corrupt checkpoint file (its SHA-256 does not match the one recorded in the checkpoint); ${damagedAdvice(runDir, name)}`, `${file} does not match its SHA-256`);
  return { path, bytes };
}

/** Loads a checkpoint's weights into `model` and, when given, its moments into `optimizer`. */
export function loadCheckpointWeights(runDir: string, meta: CheckpointMeta, model: GPT, optimizer: MomentsHolder | null, name = 'latest'): void {
  const load = (file: string, sum: string) => checkedFile(runDir, file, sum, name);
  const w = load(meta.files.weights, meta.sha256.weights);
  loadGpt2Weights(model, parseSafetensors(w.bytes, w.path).tensors, w.path);
  if (optimizer) {
    const o = load(meta.files.optimizer, meta.sha256.optimizer);
    const t = parseSafetensors(o.bytes, o.path).tensors;
    const get = (k: string) => {
      const x = t.get(k);
      if (!x || !(x.data instanceof Float32Array)) throw new ScratchError(`${o.path}: optimizer moment '${k}' missing or not F32`);
      return x.data;
    };
    try {
      optimizer.setState({ t: meta.optimizerStep, m: optimizer.m.map((_, i) => get(`m.${i}`)), v: optimizer.v.map((_, i) => get(`v.${i}`)) });
    } catch (e) {
      if (e instanceof ScratchError) throw e;
      throw new ScratchError(`${o.path}: ${(e as Error).message}`);
    }
  }
}
