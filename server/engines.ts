/** The engine a server uses when none is given: the library's batched KV-cache engine. */
import type { GPT } from '../src/index.js';
import type { DecodeEngine } from './engine.js';
import { BatchedEngine } from './engine-batched.js';

export function defaultEngine(model: GPT, maxConcurrent: number): DecodeEngine {
  return new BatchedEngine(model, maxConcurrent);
}
