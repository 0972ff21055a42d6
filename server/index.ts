/** The server's public face: `startServer` and the engine interface it batches through. */
export { startServer, type ServeOptions, type RunningServer } from './server.js';
export type { DecodeEngine, EngineSeq, SamplingSettings, TokenOut } from './engine.js';
export { RecomputeEngine } from './engine-recompute.js';
export { BatchedEngine } from './engine-batched.js';
export { ISOLATION_HEADERS } from './static.js';
