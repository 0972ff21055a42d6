/**
 * The inspection views as JSON, the same objects the CLI prints with --json: POST /v1/next,
 * /v1/attention, /v1/neighbors, /v1/lens. They run between decode steps (the event loop is one
 * thread), so they never overlap a step.
 */
import { attentionMaps, logitLens, nearestTokens, nextTokens, ScratchError } from '../src/index.js';
import type { RouteTable, Handler } from './server.js';
import { badField } from './errors.js';
import { checkModel } from './completions.js';
import type { ServeContext } from './context.js';
import { given, num, rejectUnknown, requireObject, str, type Body } from './validate.js';

function body(raw: unknown, fields: string[], ctx: ServeContext): Body {
  const b = requireObject(raw);
  rejectUnknown(b, [...fields, 'model']);
  checkModel(b, ctx);
  return b;
}

function required(b: Body, k: string, what: string): string {
  const v = str(b, k);
  if (v === undefined) throw badField(k, `'${k}' is required: ${what}`, 'missing_field');
  return v;
}

/** The library's one-line errors (unknown token, unencodable text) are the client's to fix: 400. */
function view(param: string, run: (b: Body, ctx: ServeContext) => unknown, fields: string[]): Handler {
  return (_req, res, raw, ctx) => {
    const b = body(raw, fields, ctx);
    let out: unknown;
    try {
      out = run(b, ctx);
    } catch (e) {
      if (e instanceof ScratchError) throw badField(param, e.message.replace(/--top\b/g, "'top'"));
      throw e;
    }
    ctx.sendJson(res, 200, out);
  };
}

function candidates(b: Body): string[] | undefined {
  if (!given(b, 'candidates')) return undefined;
  const c = b.candidates;
  if (typeof c === 'string') return c.split('|').filter((x) => x !== '');
  if (Array.isArray(c) && c.every((x) => typeof x === 'string' && x !== '')) return c as string[];
  throw badField('candidates', `'candidates' must be a list of non-empty strings (or one string with | between them)`, 'invalid_type');
}

export const ROUTES: RouteTable = {
  '/v1/next': {
    POST: view('prompt', (b, ctx) => nextTokens(ctx.model, ctx.tokenizer, required(b, 'prompt', 'the text whose next token to show'), { top: num(b, 'top', { int: true, min: 1, def: 10 }), candidates: candidates(b) }), ['prompt', 'top', 'candidates']),
  },
  '/v1/attention': {
    POST: view('prompt', (b, ctx) => attentionMaps(ctx.model, ctx.tokenizer, required(b, 'prompt', 'the text to show attention over'), { seed: num(b, 'seed', { int: true, min: 0, def: 0 }) }), ['prompt', 'seed']),
  },
  '/v1/neighbors': {
    POST: view('token', (b, ctx) => nearestTokens(ctx.model, ctx.tokenizer, required(b, 'token', 'a token of the vocabulary'), { top: num(b, 'top', { int: true, min: 1, def: 10 }) }), ['token', 'top']),
  },
  '/v1/lens': {
    POST: view('prompt', (b, ctx) => logitLens(ctx.model, ctx.tokenizer, required(b, 'prompt', 'the text to read the residual stream on'), { top: num(b, 'top', { int: true, min: 1, def: 5 }) }), ['prompt', 'top']),
  },
};
