/** scratchlm's public API: the only door for cli/ and web/. */
export { ScratchError, check } from './core/errors.js';
export { Rng, type RngState } from './core/rng.js';
export * from './kernels/types.js';
export { refKernels, refBackend } from './kernels/ref/index.js';
export { Tensor, noGrad, isGradEnabled } from './tensor/tensor.js';
export * as ops from './tensor/ops.js';
export { validateConfig, parseFieldValue, type Schema, type FieldSpec } from './core/config.js';
export { gptConfig, countParams, GPT_CONFIG_SCHEMA, type GPTConfig } from './model/config.js';
export { GPT, type GPTOptions, type ForwardOptions } from './model/gpt.js';
export { ParamStore, paramSpecs, type ParamSpec, type ParamGroup } from './model/params.js';
export { AdamW, clipGradNorm, type AdamWSettings, type AdamWState, type OptimGroup } from './train/adamw.js';
export { generate, sampleFromLogits, argmax, validateSampleOptions, type SampleOptions } from './generate/sample.js';
export { parseSafetensors, serializeSafetensors, type SafeTensor, type SafeArray, type SafeDType } from './io/safetensors.js';
export { loadGpt2Weights, gpt2WeightEntries, gptConfigFromHf, hfConfigFromGpt, type HfGpt2Config } from './io/gpt2-weights.js';
export { loadHfGpt2, saveHfGpt2, readSafetensorsFile } from './io/hf-folder.js';
export { readBytes, readText, readJson, writeAtomic } from './io/files.js';
export { runFixtureCheck, type CheckReport, type CheckRow } from './check/fixture.js';
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
export { readUtf8File, decodeUtf8, gpt2Tokenizer, loadGpt2Files, loadTiktokenFile, loadTokenizer, saveTokenizer, writeFileAtomic } from './io/tokenizer-files.js';
export { createBackend, type BackendOptions } from './kernels/create.js';
export type { WasmBackend } from './kernels/wasm/backend.js';
