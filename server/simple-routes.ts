/** /health, /metrics, /v1/models, /tokenize, /detokenize. */
import type { RouteTable } from './server.js';
import { ApiError, badField } from './errors.js';
import { bool, rejectUnknown, requireObject, str } from './validate.js';
import { checkModel } from './completions.js';
import type { ServeContext } from './context.js';

function modelCard(ctx: ServeContext) {
  return { id: ctx.modelId, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'scratchlm', max_model_len: ctx.model.config.blockSize, ...ctx.modelInfo };
}

export const SIMPLE_ROUTES: RouteTable = {
  '/health': {
    GET: (_req, res, _b, ctx) => {
      const s = ctx.scheduler.stats();
      ctx.sendJson(res, 200, { status: 'ok', model: ctx.modelId, engine: ctx.engine.name, requests_running: s.running, requests_waiting: s.waiting });
    },
  },
  '/metrics': {
    GET: (_req, res, _b, ctx) => {
      const text = ctx.metrics.render(ctx.scheduler.stats(), { rssBytes: process.memoryUsage.rss(), model: ctx.modelId });
      res.writeHead(200, { ...ctx.baseHeaders, 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text);
    },
  },
  '/v1/models': {
    GET: (_req, res, _b, ctx) => ctx.sendJson(res, 200, { object: 'list', data: [modelCard(ctx)] }),
  },
  '/tokenize': {
    POST: (_req, res, body, ctx) => {
      const b = requireObject(body);
      rejectUnknown(b, ['content', 'prompt', 'with_pieces', 'model']);
      checkModel(b, ctx);
      const field = b.content !== undefined ? 'content' : 'prompt';
      const text = str(b, field);
      if (text === undefined) throw badField('content', `'content' is required: the text to tokenize`, 'missing_field');
      let tokens: number[];
      try {
        tokens = ctx.tokenizer.encode(text, { allowedSpecial: 'all' });
      } catch (e) {
        throw badField(field, `'${field}' cannot be encoded: ${(e as Error).message}`, 'unencodable_prompt');
      }
      const pieces = bool(b, 'with_pieces', false) ? { pieces: tokens.map((id) => ({ id, piece: ctx.tokenizer.decode([id]) })) } : {};
      ctx.sendJson(res, 200, { tokens, count: tokens.length, max_model_len: ctx.model.config.blockSize, ...pieces });
    },
  },
  '/detokenize': {
    POST: (_req, res, body, ctx) => {
      const b = requireObject(body);
      rejectUnknown(b, ['tokens', 'model']);
      checkModel(b, ctx);
      const t = b.tokens;
      if (!Array.isArray(t)) throw badField('tokens', `'tokens' is required: a list of token ids`, t === undefined ? 'missing_field' : 'invalid_type');
      const V = ctx.tokenizer.vocabSize;
      t.forEach((x, i) => {
        if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= V) throw badField('tokens', `'tokens[${i}]' must be a token id from 0 to ${V - 1}, got ${JSON.stringify(x)}`);
      });
      ctx.sendJson(res, 200, { content: ctx.tokenizer.decode(t as number[]) });
    },
  },
};

