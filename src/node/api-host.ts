/**
 * The high-level API's file host in Node (src/api/host.ts): run folders and Hugging Face GPT-2
 * folders for GPT.load and model.save, data folders for fit({ folder }), GPT-2's vocabulary.
 * Installed when src/node.ts is loaded.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { ScratchError } from '../core/errors.js';
import type { Backend } from '../kernels/types.js';
import type { GPT } from '../model/gpt.js';
import { hasCheckpoint, loadCheckpointWeights, readCheckpointMeta, saveCheckpoint, type MomentsHolder } from '../io/checkpoint.js';
import { isFolder, readBytes, readJson } from '../io/files.js';
import { gptConfigFromHf, loadGpt2Weights } from '../io/gpt2-weights.js';
import { isHfGpt2Folder, readSafetensorsFile } from '../io/hf-folder.js';
import { openDataFolder } from '../io/prepare.js';
import { ensureRunFolder, writeRunFile } from '../io/run-files.js';
import { gpt2Tokenizer, hfFolderTokenizer } from '../io/tokenizer-files.js';
import { formatTokenizerJSON, tokenizerFromJSON } from '../tokenizer/formats.js';
import { buildRunConfig, PRESETS, runSettings } from '../train/config.js';
import { setFileHost, type FileHost, type LoadedFolder } from '../api/host.js';

function load(dir: string, make: (config: ReturnType<typeof buildRunConfig>['model'], eps: number) => GPT, which?: 'best' | 'latest'): LoadedFolder {
  if (!isFolder(dir)) throw new ScratchError(`${dir}: no such folder; expected a run folder (from npx scratchlm train --out DIR, or model.save(DIR)) or a Hugging Face GPT-2 folder`);
  const isRun = hasCheckpoint(dir, 'latest') || hasCheckpoint(dir, 'best');
  if (!isRun && isHfGpt2Folder(dir)) {
    if (which) throw new ScratchError(`${dir} is a Hugging Face GPT-2 folder, which has no '${which}' checkpoint`);
    const cfgPath = join(dir, 'config.json');
    const { config, eps } = gptConfigFromHf(readJson(cfgPath, 'model config'), cfgPath);
    const model = make(config, eps);
    const wPath = join(dir, 'model.safetensors');
    loadGpt2Weights(model, readSafetensorsFile(wPath), wPath);
    const settingsPath = join(dir, 'settings.json');
    const settings = existsSync(settingsPath) ? (readJson(settingsPath, 'settings') as Record<string, unknown>) : { ...PRESETS.baby };
    return { model, tokenizer: hfFolderTokenizer(dir, config.vocabSize), settings, state: null, loadOptimizer: null };
  }
  if (!isRun) throw new ScratchError(`${dir}: neither a run folder (no latest.json or best.json) nor a Hugging Face GPT-2 folder (config.json + model.safetensors)`);
  const name = which ?? (hasCheckpoint(dir, 'latest') ? 'latest' : 'best');
  const meta = readCheckpointMeta(dir, name);
  const tokenizer = tokenizerFromJSON(meta.tokenizer, `${dir}/${name}.json`);
  const { vocabSize: _v, ...modelSettings } = meta.config.model;
  void _v;
  const config = buildRunConfig({ ...modelSettings, ...meta.config.train }, (meta.config.model.vocabSize as number | undefined) ?? tokenizer.vocabSize);
  const model = make(config.model, 1e-5);
  loadCheckpointWeights(dir, meta, model, null, name);
  const loadOptimizer = meta.optimizerStep > 0 ? (opt: MomentsHolder) => loadCheckpointWeights(dir, meta, model, opt, name) : null;
  const optimizerBytes = () => {
    const path = join(dir, meta.files.optimizer);
    const b = readBytes(path, 'optimizer moments');
    if (createHash('sha256').update(b).digest('hex') !== meta.sha256.optimizer) throw new ScratchError(`${path} does not match its SHA-256 in ${name}.json (damaged or edited)`);
    return b;
  };
  return { model, tokenizer, settings: runSettings(config), state: meta, loadOptimizer: loadOptimizer as LoadedFolder['loadOptimizer'], optimizerBytes: meta.optimizerStep > 0 ? optimizerBytes : null };
}

const host: FileHost = {
  gpt2Tokenizer,
  openDataFolder: (dir) => openDataFolder(dir),
  load,
  save(dir, model, optimizer, state, settings) {
    if (hasCheckpoint(dir) && readCheckpointMeta(dir).step > state.step) {
      throw new ScratchError(`${dir} holds a run at step ${readCheckpointMeta(dir).step}, ahead of this model's ${state.step}; save into another folder`);
    }
    ensureRunFolder(dir);
    const tok = tokenizerFromJSON(state.tokenizer, 'the model');
    writeRunFile(dir, 'config.json', JSON.stringify({ ...settings, vocabSize: model.config.vocabSize, preset: null, data: null, initFrom: null, tokenizer: tok.kind }, null, 2) + '\n');
    writeRunFile(dir, 'tokenizer.json', formatTokenizerJSON(tok));
    saveCheckpoint(dir, 'latest', model, (optimizer as MomentsHolder | null) ?? null, state);
  },
  memory(backend: Backend) {
    if (!backend.name.startsWith('wasm')) return { availableMemory: totalmem() };
    const cap = 4 * 1024 ** 3;
    return { availableMemory: Math.min(totalmem(), cap), addressableMemory: cap, memoryLimit: 'the wasm kernels address at most 4 GiB' };
  },
};

setFileHost(host);
