/** Hugging Face GPT-2 folders (config.json + model.safetensors) on disk: load and save. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ScratchError } from '../core/errors.js';
import { countParams, type GPTConfig } from '../model/config.js';
import { GPT } from '../model/gpt.js';
import type { Backend } from '../kernels/types.js';
import { isFolder, readBytes, readJson, writeAtomic } from './files.js';
import { gpt2WeightEntries, gptConfigFromHf, hfConfigFromGpt, loadGpt2Weights } from './gpt2-weights.js';
import { parseSafetensors, serializeSafetensors, type SafeTensor } from './safetensors.js';

/** Reads a .safetensors file into its tensors by name. */
export function readSafetensorsFile(path: string): Map<string, SafeTensor> {
  return parseSafetensors(readBytes(path, 'safetensors file'), path).tensors;
}

/** Loads a GPT-2 model from a Hugging Face folder (config.json + model.safetensors). */
export function loadHfGpt2(dir: string, opts: { backend?: Backend; f64?: boolean; inference?: boolean } = {}): GPT {
  if (!isFolder(dir)) throw new ScratchError(`${dir}: no such folder; expected a Hugging Face GPT-2 folder with config.json and model.safetensors`);
  const cfgPath = join(dir, 'config.json');
  const { config, eps } = gptConfigFromHf(readJson(cfgPath, 'model config'), cfgPath);
  const wPath = join(dir, 'model.safetensors');
  const tensors = readSafetensorsFile(wPath);
  checkHfWeightsFit(config, tensors, cfgPath, wPath);
  const model = new GPT(config, { backend: opts.backend, f64: opts.f64, layerNormEps: eps, inference: opts.inference });
  loadGpt2Weights(model, tensors, wPath);
  return model;
}

/**
 * Before allocating a model: the weights file must hold about as many values as the config
 * describes (a huge config beside small weights would otherwise allocate first and fail after).
 * A small mismatch is left to loadGpt2Weights, whose message names the tensor and both shapes.
 */
export function checkHfWeightsFit(config: GPTConfig, tensors: Map<string, SafeTensor>, cfgPath: string, wPath: string): void {
  let held = 0;
  for (const t of tensors.values()) held += t.data.length;
  const want = countParams(config);
  if (want > 4 * held + (1 << 20)) throw new ScratchError(`${cfgPath}: describes a model of ${want} parameters, but ${wPath} holds ${held} values; the two files do not belong together`);
}

/** Writes config.json and model.safetensors, each atomically, into dir (created if needed). */
export function saveHfGpt2(model: GPT, dir: string): void {
  const config = hfConfigFromGpt(model.config, model.eps); // refuses models GPT-2 cannot express, before writing
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ScratchError(`${dir}: cannot create this folder (${(e as Error).message})`);
  }
  writeAtomic(join(dir, 'model.safetensors'), serializeSafetensors(gpt2WeightEntries(model), { format: 'pt' }));
  writeAtomic(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
}

/** Whether dir looks like a Hugging Face GPT-2 folder (config.json and model.safetensors). */
export function isHfGpt2Folder(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'));
}
