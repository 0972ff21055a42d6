/**
 * scratchlm's browser-safe API: everything that runs in a web page or a worker (no node: module
 * is reachable from here). Bundlers pick this file through package.json's "browser" condition.
 * Add browser-safe exports here; file-system parts go to src/node.ts. src/index.ts is both.
 */
export { ScratchError, check } from './core/errors.js';
export { Rng, type RngState } from './core/rng.js';
export * from './kernels/types.js';
export { refKernels, refBackend } from './kernels/ref/index.js';
export { dropoutHash } from './kernels/ref/dropout.js';
export { Tensor, noGrad, isGradEnabled } from './tensor/tensor.js';
/**
 * The differentiable ops of a GPT (matmul, layerNorm, attention, gelu, crossEntropy, ...), each one
 * kernel forward and one kernel backward.
 */
export * as ops from './tensor/ops.js';
export { validateConfig, parseFieldValue, type Schema, type FieldSpec } from './core/config.js';
export { gptConfig, countParams, mlpWidth, gpt2Incompatibility, GPT_CONFIG_SCHEMA, type GPTConfig } from './model/config.js';
// the model class users meet (a subclass of the network in src/model/gpt.ts, exported as GPTNetwork)
export { GPT, defaultBackend, type CreateOptions, type ModelShape, type TrainSettings, type FitOptions, type FitStep, type FitResult, type FitData, type GenerateOptions, type ModelFiles } from './api/gpt.js';
export { GPT as GPTNetwork, type GPTOptions, type ForwardOptions, type ForwardTrace } from './model/gpt.js';
export { ParamStore, paramSpecs, type ParamSpec, type ParamGroup } from './model/params.js';
export { MuonAdamW, createOptimizer, NS_COEFFS, NS_STEPS, type Optimizer, type MuonSettings, type MuonLayout, type MatrixSlot } from './train/muon.js';
export { AdamW, ADAMW_DEFAULTS, clipGradNorm, type AdamWSettings, type AdamWState, type OptimGroup } from './train/adamw.js';
export { generate, sampleFromLogits, argmax, validateSampleOptions, type SampleOptions } from './generate/sample.js';
export { parseSnapshotIndex, decodeEmbeddingSnapshot, SNAPSHOT_MAGIC, type SnapshotEntry, type EmbeddingSnapshot, type SnapshotHeads } from './io/snapshot-decode.js';
export { parseMetrics, learningCurves, type MetricsRecord, type LearningCurves } from './io/metrics-text.js';
export { parseSafetensors, serializeSafetensors, type SafeTensor, type SafeArray, type SafeDType } from './io/safetensors.js';
export { loadGpt2Weights, gpt2WeightEntries, gptConfigFromHf, hfConfigFromGpt, type HfGpt2Config } from './io/gpt2-weights.js';
export { trainStep, type Trainable, type StepResult, type TrainStepOptions } from './train/step.js';
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
export { letterWords, wordList, wordShare, medianOf, type WordShare } from './generate/word-share.js';
export { generateText, generateTexts, promptIds, sampleChars, type TextSampleOptions, type TextBatchOptions, type TextSample } from './generate/text.js';
export { BatchDecoder, type BatchDecoderOptions, type DecoderSeq, type DecoderSeqOptions, type TokenChoice } from './generate/decoder.js';
export { packDecodeWeights } from './generate/packed.js';
export { benchGenerate, GENERATE_BENCH_SHAPES, type GenerateBenchShape, type GenerateBenchResult, type GenerateBenchOptions } from './generate/bench.js';
export { DecodeEngine, type GenerationRequest, type TokenEvent, type FinishReason, type EngineOptions } from './generate/engine.js';
export { Sampler, validateSampling, topIndices, argmaxOf, logprobsOf, type DrawKernels, type SamplingOptions, type TokenLogprob } from './generate/sampler.js';
export { KVCache, prefill, prefillBatch, decodeStep, acquireCache, releaseCache, kvCacheFloats } from './generate/decode.js';
export { TextStream, type StreamPiece } from './generate/stream.js';
export { createBackend, KERNEL_KINDS, type BackendOptions, type KernelKind } from './kernels/create.js';
export type { WasmBackend } from './kernels/wasm/backend.js';
export type { NativeBackend } from './kernels/native/backend.js';
export { RunSession, MemoryTokens, splitTokens, runSeeds, runPieces, copyWeights, type RunSessionOptions, type RunHooks, type RunMetrics, type RunCheckpointState } from './train/session.js';

// inspection (browser-safe): next-token probabilities, neighbours, attention heads, logit lens
export * from './inspect/index.js';
