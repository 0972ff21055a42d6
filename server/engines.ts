/** The engine a server uses when none is given. */
import type { GPT } from '../src/index.js';
import type { DecodeEngine } from './engine.js';
import { RecomputeEngine } from './engine-recompute.js';

export function defaultEngine(model: GPT): DecodeEngine {
  return new RecomputeEngine(model);
}
