/** What every route handler gets: the model, its tokenizer, the scheduler and the response helpers. */
import type { ServerResponse } from 'node:http';
import type { GPT, Tokenizer } from '../src/index.js';
import type { DecodeEngine } from './engine.js';
import type { ApiError } from './errors.js';
import type { Metrics } from './metrics.js';
import type { Scheduler } from './scheduler.js';

export interface ServeContext {
  model: GPT;
  tokenizer: Tokenizer;
  modelId: string;
  /** What GET /v1/models says about the model (its config, checkpoint, step). */
  modelInfo: Record<string, unknown>;
  engine: DecodeEngine;
  scheduler: Scheduler;
  metrics: Metrics;
  /** The largest max_tokens a request may ask for. */
  maxTokens: number;
  /** The end-of-text token, when the tokenizer has one: generating it ends a choice ("stop"). */
  eot: number | undefined;
  /** Headers on every response. */
  baseHeaders: Record<string, string>;
  sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void;
  sendError(res: ServerResponse, err: ApiError): void;
}
