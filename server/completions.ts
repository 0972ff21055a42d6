/**
 * POST /v1/completions: OpenAI's legacy completions API over the scheduler. One sequence per
 * prompt × n; each choice turns tokens into text (UTF-8-safe), watches for stop strings (holding
 * back, while streaming, text that may be the start of one), and collects log-probabilities in
 * OpenAI's `{tokens, token_logprobs, top_logprobs, text_offset}` shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomInt } from 'node:crypto';
import { promptIds, type StreamDecoder } from '../src/index.js';
import type { SamplingSettings, TokenOut } from './engine.js';
import { ApiError, badField } from './errors.js';
import type { ServeContext } from './context.js';
import { bool, num, prompts, rejectUnknown, requireObject, stops, str, given, type Body } from './validate.js';
import { SseWriter } from './sse.js';

const FIELDS = [
  'model', 'prompt', 'max_tokens', 'temperature', 'top_p', 'top_k', 'min_p', 'stop', 'seed', 'n', 'echo', 'presence_penalty', 'frequency_penalty',
  'repetition_penalty', 'logprobs', 'stream', 'stream_options', 'user', 'best_of', 'suffix', 'logit_bias',
] as const;

export interface CompletionParams {
  prompts: { ids: number[]; text: string; dropped: number }[];
  maxTokens: number;
  n: number;
  echo: boolean;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
  logprobs: number | null;
  settings: Omit<SamplingSettings, 'seed'>;
  seed: number | null;
}

export function parseCompletion(raw: unknown, ctx: ServeContext): CompletionParams {
  const b = requireObject(raw);
  rejectUnknown(b, FIELDS);
  checkModel(b, ctx);
  const inputs = prompts(b, 'prompt', ctx.tokenizer.vocabSize);
  const echo = bool(b, 'echo', false);
  const maxTokens = num(b, 'max_tokens', { int: true, min: echo ? 0 : 1, def: Math.min(16, ctx.maxTokens), max: undefined });
  if (maxTokens > ctx.maxTokens) throw badField('max_tokens', `'max_tokens' is ${maxTokens} but this server allows at most ${ctx.maxTokens} (--max-tokens)`, 'max_tokens_exceeded');
  const n = num(b, 'n', { int: true, min: 1, max: 128, def: 1 });
  if (given(b, 'best_of') && num(b, 'best_of', { int: true, min: 1, def: n }) !== n) throw badField('best_of', `'best_of' other than n is not supported; leave it out`, 'unsupported');
  if (given(b, 'suffix')) throw badField('suffix', `'suffix' (insertion) is not supported by a left-to-right base model; leave it out`, 'unsupported');
  if (given(b, 'logit_bias')) {
    const lb = requireObject(b.logit_bias, "'logit_bias'", 'logit_bias');
    if (Object.keys(lb).length) throw badField('logit_bias', `'logit_bias' is not supported yet; leave it out`, 'unsupported');
  }
  str(b, 'user');
  const stream = bool(b, 'stream', false);
  let includeUsage = false;
  if (given(b, 'stream_options')) {
    if (!stream) throw badField('stream_options', `'stream_options' is only allowed with "stream": true`);
    const so = requireObject(b.stream_options, "'stream_options'", 'stream_options');
    rejectUnknown(so, ['include_usage'], 'stream_options.');
    includeUsage = bool(so, 'include_usage', false);
  }
  const logprobs = given(b, 'logprobs') ? num(b, 'logprobs', { int: true, min: 0, max: 20, def: 0 }) : null;
  const settings = {
    temperature: num(b, 'temperature', { min: 0, max: 2, def: 1 }),
    topP: num(b, 'top_p', { min: 0, minExclusive: true, max: 1, def: 1 }),
    topK: num(b, 'top_k', { int: true, min: 0, def: 0 }),
    minP: num(b, 'min_p', { min: 0, max: 1, def: 0 }),
    presencePenalty: num(b, 'presence_penalty', { min: -2, max: 2, def: 0 }),
    frequencyPenalty: num(b, 'frequency_penalty', { min: -2, max: 2, def: 0 }),
    repetitionPenalty: num(b, 'repetition_penalty', { min: 0, minExclusive: true, max: 10, def: 1 }),
    logprobs: logprobs ?? -1,
  };
  const seed = given(b, 'seed') ? num(b, 'seed', { int: true, def: 0 }) : null;
  const stop = stops(b, 'stop');
  const T = ctx.model.config.blockSize;
  const encoded = inputs.map((p, i) => {
    let ids: number[];
    let text: string;
    if (p.kind === 'ids') {
      ids = p.ids;
      text = ctx.tokenizer.decode(ids);
    } else {
      text = p.text;
      try {
        ids = promptIds(ctx.tokenizer, p.text);
      } catch (e) {
        throw badField('prompt', `prompt${inputs.length > 1 ? ` ${i}` : ''} cannot be encoded: ${(e as Error).message}`, 'unencodable_prompt');
      }
    }
    if (ids.length === 0) throw badField('prompt', `prompt${inputs.length > 1 ? ` ${i}` : ''} encodes to no tokens`);
    const dropped = Math.max(0, ids.length - T);
    return { ids: dropped ? ids.slice(-T) : ids, text, dropped };
  });
  return { prompts: encoded, maxTokens, n, echo, stop, stream, includeUsage, logprobs, settings, seed };
}

export function checkModel(b: Body, ctx: ServeContext): void {
  const m = str(b, 'model');
  if (m !== undefined && m !== ctx.modelId) throw new ApiError(404, `model '${m}' is not served here; this server serves '${ctx.modelId}' (GET /v1/models)`, 'not_found_error', 'model', 'model_not_found');
}

interface LogprobsOut {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

type Finish = 'stop' | 'length';

/** One choice: tokens → text, stop strings, log-probabilities. */
class Choice {
  private readonly dec: StreamDecoder;
  /** Everything decoded so far (the echoed prompt included). */
  private full: string;
  private emitted = 0;
  private lpSent = 0;
  private readonly lp: LogprobsOut | null;
  private readonly maxStop: number;
  generated = 0;
  finish: Finish | null = null;

  constructor(
    readonly index: number,
    private readonly ctx: ServeContext,
    private readonly p: CompletionParams,
    prompt: CompletionParams['prompts'][number],
    private readonly onDelta: ((c: Choice, text: string, lp: LogprobsOut | null) => void) | null,
  ) {
    this.dec = ctx.tokenizer.streamDecoder();
    this.full = p.echo ? prompt.text : '';
    this.maxStop = Math.max(0, ...p.stop.map((s) => s.length));
    this.lp = p.logprobs === null ? null : { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
    if (this.lp && p.echo) {
      const scored = ctx.engine.scorePrompt(prompt.ids, p.logprobs!);
      let off = Math.max(0, prompt.text.length - ctx.tokenizer.decode(prompt.ids).length);
      prompt.ids.forEach((id, t) => {
        const piece = ctx.tokenizer.decode([id]);
        const s = scored[t];
        this.lp!.tokens.push(piece);
        this.lp!.token_logprobs.push(s ? s.logprob : null);
        this.lp!.top_logprobs.push(s ? this.topDict(s) : null);
        this.lp!.text_offset.push(off);
        off += piece.length;
      });
    }
  }

  private topDict(t: TokenOut): Record<string, number> {
    const d: Record<string, number> = {};
    for (const a of t.top) {
      const k = this.ctx.tokenizer.decode([a.id]);
      if (!(k in d)) d[k] = a.logprob;
    }
    const own = this.ctx.tokenizer.decode([t.id]);
    if (!(own in d)) d[own] = t.logprob;
    return d;
  }

  /** Text and log-probabilities not yet sent, up to `upTo`. */
  private flushDelta(upTo: number): void {
    const text = this.full.slice(this.emitted, upTo);
    this.emitted = Math.max(this.emitted, upTo);
    let lp: LogprobsOut | null = null;
    if (this.lp) {
      const end = this.lp.tokens.length;
      const s = this.lpSent;
      lp = { tokens: this.lp.tokens.slice(s, end), token_logprobs: this.lp.token_logprobs.slice(s, end), top_logprobs: this.lp.top_logprobs.slice(s, end), text_offset: this.lp.text_offset.slice(s, end) };
      this.lpSent = end;
    }
    if (this.onDelta && (text || this.finish || (lp && lp.tokens.length))) this.onDelta(this, text, lp);
  }

  /** Sends the echoed prompt at the start of a stream. */
  start(): void {
    if (this.full) this.flushDelta(this.full.length);
  }

  private findStop(from: number): number {
    let best = -1;
    for (const s of this.p.stop) {
      const k = this.full.indexOf(s, Math.max(0, from));
      if (k >= 0 && (best < 0 || k < best)) best = k;
    }
    return best;
  }

  private end(reason: Finish, stopAt: number): true {
    if (stopAt >= 0) {
      this.full = this.full.slice(0, stopAt);
      reason = 'stop';
      if (this.lp) {
        let keep = this.lp.text_offset.findIndex((o, i) => i >= this.lpSent && o >= stopAt);
        if (keep < 0) keep = this.lp.tokens.length;
        for (const a of [this.lp.tokens, this.lp.token_logprobs, this.lp.top_logprobs, this.lp.text_offset]) a.length = Math.max(keep, this.lpSent);
      }
    }
    this.finish = reason;
    this.flushDelta(this.full.length);
    return true;
  }

  /** Takes a token; true when the choice is finished. */
  push(tok: TokenOut): boolean {
    this.generated++;
    const before = this.full.length;
    if (tok.id === this.ctx.eot) {
      this.full += this.dec.flush();
      return this.end('stop', this.findStop(before - this.maxStop + 1));
    }
    if (this.lp) {
      this.lp.tokens.push(this.ctx.tokenizer.decode([tok.id]));
      this.lp.token_logprobs.push(tok.logprob);
      this.lp.top_logprobs.push(this.p.logprobs ? this.topDict(tok) : {});
      this.lp.text_offset.push(before);
    }
    this.full += this.dec.push(tok.id);
    if (this.generated >= this.p.maxTokens) this.full += this.dec.flush();
    const at = this.maxStop ? this.findStop(before - this.maxStop + 1) : -1;
    if (at >= 0 || this.generated >= this.p.maxTokens) return this.end('length', at);
    if (this.onDelta) this.flushDelta(this.full.length - this.heldBack());
    return false;
  }

  /** Length of the longest end of the text that could be the start of a stop string. */
  private heldBack(): number {
    let best = 0;
    for (const s of this.p.stop) {
      for (let k = Math.min(s.length - 1, this.full.length); k > best; k--) {
        if (this.full.endsWith(s.slice(0, k))) {
          best = k;
          break;
        }
      }
    }
    return best;
  }

  get text(): string {
    return this.full;
  }

  logprobs(): LogprobsOut | null {
    return this.lp;
  }
}

export function completionId(): string {
  return `cmpl-${randomBytes(12).toString('hex')}`;
}

/** Prompt tokens counted once per prompt (not per choice), as OpenAI does. */
function usage(p: CompletionParams, choices: Choice[]) {
  const prompt = p.prompts.reduce((a, x) => a + x.ids.length, 0);
  const completion = choices.reduce((a, c) => a + c.generated, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function croppedNote(p: CompletionParams, blockSize: number): string[] {
  return p.prompts.flatMap((x, i) => (x.dropped ? [`prompt${p.prompts.length > 1 ? ` ${i}` : ''} was ${x.ids.length + x.dropped} tokens; kept its last ${blockSize} (the block size)`] : []));
}

export async function handleCompletion(req: IncomingMessage, res: ServerResponse, body: unknown, ctx: ServeContext): Promise<void> {
  const p = parseCompletion(body, ctx);
  ctx.metrics.prompt(p.prompts.reduce((a, x) => a + x.ids.length, 0));
  const id = completionId();
  const created = Math.floor(Date.now() / 1000);
  const warnings = croppedNote(p, ctx.model.config.blockSize);
  const dropped = p.prompts.reduce((a, x) => Math.max(a, x.dropped), 0);
  const headers: Record<string, string> = dropped ? { 'X-Prompt-Cropped': `dropped ${dropped} tokens to fit the block size of ${ctx.model.config.blockSize}` } : {};
  const base = { id, object: 'text_completion', created, model: ctx.modelId };
  const sse = p.stream ? new SseWriter(res, ctx) : null;
  const onDelta = sse
    ? (c: Choice, text: string, lp: LogprobsOut | null) => {
        sse.send({ ...base, choices: [{ index: c.index, text, logprobs: lp, finish_reason: c.finish }], ...(p.includeUsage ? { usage: null } : {}) });
      }
    : null;
  const choices: Choice[] = [];
  const seqs = p.prompts.flatMap((pr, pi) =>
    Array.from({ length: p.n }, (_, j) => {
      const index = pi * p.n + j;
      const c = new Choice(index, ctx, p, pr, onDelta);
      choices.push(c);
      const seed = p.seed === null ? randomInt(2 ** 31) : (p.seed + index) >>> 0;
      return { prompt: pr.ids, settings: { ...p.settings, seed }, maxTokens: p.maxTokens, consume: (t: TokenOut) => c.push(t), ready: () => !sse || sse.ready() };
    }),
  );
  const arrived = performance.now();
  let firstToken = true;
  for (const s of seqs) {
    const consume = s.consume;
    s.consume = (t) => {
      if (firstToken) {
        firstToken = false;
        ctx.metrics.firstToken(performance.now() - arrived);
      }
      return consume(t);
    };
  }
  const finalBody = () => ({
    ...base,
    choices: choices.map((c) => ({ text: c.text, index: c.index, logprobs: c.logprobs(), finish_reason: c.finish })),
    usage: usage(p, choices),
    ...(warnings.length ? { warnings } : {}),
  });
  if (p.maxTokens === 0) {
    // echo only (scoring a prompt): nothing to generate
    for (const c of choices) c.finish = 'length';
    if (sse) {
      sse.open(headers);
      for (const c of choices) {
        c.start();
        if (!c.text) onDelta!(c, '', c.logprobs());
      }
      if (p.includeUsage) sse.send({ ...base, choices: [], usage: usage(p, choices) });
      sse.done();
    } else ctx.sendJson(res, 200, finalBody(), headers);
    return;
  }
  await new Promise<void>((resolve) => {
    const cancel = ctx.scheduler.submit({
      seqs,
      onStart: () => {
        if (sse) for (const c of choices) c.start();
      },
      onEnd: (err) => {
        resolve();
        if (sse) {
          if (err) sse.error(err);
          else {
            if (p.includeUsage) sse.send({ ...base, choices: [], usage: usage(p, choices) });
            sse.done();
          }
        } else if (err) ctx.sendError(res, err);
        else ctx.sendJson(res, 200, finalBody(), headers);
      },
    });
    // submit() threw nothing: the request is queued or running
    if (sse) sse.open(headers);
    res.on('close', () => {
      if (!res.writableFinished) {
        cancel(); // the client went away: stop its sequences at the next step
        ctx.metrics.disconnect();
        resolve();
      }
    });
  });
  void req;
}
