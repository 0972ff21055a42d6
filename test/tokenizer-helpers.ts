/** Shared imports for the tokenizer tests. */
export * from '../src/index.js';
export { utf8Bytes as utf8BytesOf } from '../src/tokenizer/bytes.js';
