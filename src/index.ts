/** scratchlm's public API: the only door for cli/ and web/. */
export { ScratchError, check } from './core/errors.js';
export { Rng, type RngState } from './core/rng.js';
export * from './kernels/types.js';
export { refKernels, refBackend } from './kernels/ref/index.js';

// tokenizer
export type { Tokenizer, EncodeOptions, AllowedSpecial, StreamDecoder } from './tokenizer/types.js';
export { CharTokenizer } from './tokenizer/char.js';
export { BpeTokenizer, type BpeSpec } from './tokenizer/bpe.js';
export { trainBpe, type TrainBpeOptions, type TrainBpeResult } from './tokenizer/train.js';
export { pretokenize, GPT2_PATTERN, GPT4_PATTERN } from './tokenizer/pretokenize.js';
export { ENDOFTEXT, parseGpt2Files, parseTiktokenRanks, tokenizerFromJSON, toHuggingFace, fromHuggingFace, formatTokenizerJSON } from './tokenizer/formats.js';
export { readUtf8File, decodeUtf8, gpt2Tokenizer, loadGpt2Files, loadTiktokenFile, loadTokenizer, saveTokenizer, writeFileAtomic } from './io/tokenizer-files.js';
