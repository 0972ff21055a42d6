/**
 * scratchlm's public API for browsers: everything of src/index.ts that runs without Node (no
 * `node:` import is reachable from here; test/layering.test.ts and the page's bundle check it).
 * The package's `exports` hand this file to bundlers that ask for the `browser` condition; Node
 * gets src/index.ts, which re-exports this and adds the file-system parts (io/, runs in folders).
 */
export { ScratchError, check } from './core/errors.js';
export { Rng, type RngState } from './core/rng.js';
export * from './kernels/types.js';
export { refKernels, refBackend } from './kernels/ref/index.js';
export { dropoutHash } from './kernels/ref/dropout.js';
export { Tensor, noGrad, isGradEnabled } from './tensor/tensor.js';
export * as ops from './tensor/ops.js';
export { validateConfig, parseFieldValue, type Schema, type FieldSpec } from './core/config.js';
export { gptConfig, countParams, GPT_CONFIG_SCHEMA, type GPTConfig } from './model/config.js';
export { GPT, type GPTOptions, type ForwardOptions, type ForwardTrace } from './model/gpt.js';
export { ParamStore, paramSpecs, type ParamSpec, type ParamGroup } from './model/params.js';
export { AdamW, clipGradNorm, type AdamWSettings, type AdamWState, type OptimGroup } from './train/adamw.js';
export { generate, sampleFromLogits, argmax, validateSampleOptions, type SampleOptions } from './generate/sample.js';
export { generateText, promptIds, type TextSampleOptions } from './generate/text.js';
export { parseSafetensors, serializeSafetensors, type SafeTensor, type SafeArray, type SafeDType } from './io/safetensors.js';
export { loadGpt2Weights, gpt2WeightEntries, gptConfigFromHf, hfConfigFromGpt, type HfGpt2Config } from './io/gpt2-weights.js';
export { trainStep, type Trainable, type StepResult } from './train/step.js';
export { profiledBackend, median, type KernelProfile } from './train/profile.js';
export { benchTrain, BENCH_SHAPES, type BenchShape, type BenchResult } from './train/bench.js';

// tokenizer
export type { Tokenizer, EncodeOptions, AllowedSpecial, StreamDecoder } from './tokenizer/types.js';
export { CharTokenizer } from './tokenizer/char.js';
export { BpeTokenizer, type BpeSpec } from './tokenizer/bpe.js';
export { trainBpe, type TrainBpeOptions, type TrainBpeResult } from './tokenizer/train.js';
export { pretokenize, GPT2_PATTERN, GPT4_PATTERN } from './tokenizer/pretokenize.js';
export { ENDOFTEXT, parseGpt2Files, parseTiktokenRanks, tokenizerFromJSON, toHuggingFace, fromHuggingFace, formatTokenizerJSON } from './tokenizer/formats.js';

// training
export {
  TRAIN_CONFIG_SCHEMA, MODEL_SETTINGS_SCHEMA, MODEL_KEYS, PRESETS, RESUMABLE_KEYS, presetNames, keyKind, allKeys, flagName, keyFromFlag, parseSetting,
  resolveRunConfig, flattenSettings, buildRunConfig, runSettings, learningRate, type TrainConfig, type RunConfig, type ModelSettings,
} from './train/config.js';
export { getBatch, evalRng, checkBlockFits, type TokenSource, type Batch } from './train/batches.js';
export { estimateMemory, checkMemory, batchPieces, memoryBudget, gib, type MemoryEstimate } from './train/memory.js';
export { trainLoop, estimateLoss, NonFiniteLossError, type TrainableModel, type TrainState, type TrainHooks, type TrainData, type StepRecord, type EvalRecord } from './train/trainer.js';
export { progressBar, progressLine, formatDuration, lossCurveSvg, type ProgressInfo, type CurvePoint } from './train/report.js';
export { createBackend, type BackendOptions } from './kernels/create.js';
export type { WasmBackend } from './kernels/wasm/backend.js';

// inspection: next-token probabilities, neighbours, attention heads, logit lens, embedding maps
export * from './inspect/index.js';
