/**
 * Checks a request body field by field: each problem is a 400 that names the field (`param`) and
 * says what was expected. Unknown fields are refused too, so a typo never passes silently.
 */
import { ApiError, badField } from './errors.js';

export type Body = Record<string, unknown>;

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v === 'string' ? 'a string' : `${typeof v} ${JSON.stringify(v)}`);

export function requireObject(body: unknown, what = 'the request body', param: string | null = null): Body {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, `${what} must be a JSON object, got ${kind(body)}`, 'invalid_request_error', param, 'invalid_type');
  return body as Body;
}

export function rejectUnknown(body: Body, known: readonly string[], prefix = ''): void {
  for (const k of Object.keys(body)) {
    if (!known.includes(k)) throw badField(prefix + k, `unknown field '${prefix + k}'; known fields: ${known.join(', ')}`, 'unknown_field');
  }
}

/** Absent and null both mean "use the default". */
export const given = (b: Body, k: string) => b[k] !== undefined && b[k] !== null;

export function num(b: Body, k: string, opts: { min?: number; max?: number; minExclusive?: boolean; int?: boolean; def: number }): number {
  if (!given(b, k)) return opts.def;
  const v = b[k];
  const what = opts.int ? 'an integer' : 'a number';
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badField(k, `'${k}' must be ${what}, got ${kind(v)}`, 'invalid_type');
  if (opts.int && !Number.isSafeInteger(v)) throw badField(k, `'${k}' must be ${what}, got ${v}`, 'invalid_type');
  const lo = opts.min;
  const hi = opts.max;
  const range = `${lo !== undefined ? (opts.minExclusive ? `> ${lo}` : `≥ ${lo}`) : ''}${lo !== undefined && hi !== undefined ? ' and ' : ''}${hi !== undefined ? `≤ ${hi}` : ''}`;
  if ((lo !== undefined && (opts.minExclusive ? v <= lo : v < lo)) || (hi !== undefined && v > hi)) throw badField(k, `'${k}' must be ${range}, got ${v}`);
  return v;
}

export function bool(b: Body, k: string, def: boolean): boolean {
  if (!given(b, k)) return def;
  if (typeof b[k] !== 'boolean') throw badField(k, `'${k}' must be true or false, got ${kind(b[k])}`, 'invalid_type');
  return b[k] as boolean;
}

export function str(b: Body, k: string): string | undefined {
  if (!given(b, k)) return undefined;
  if (typeof b[k] !== 'string') throw badField(k, `'${k}' must be a string, got ${kind(b[k])}`, 'invalid_type');
  return b[k] as string;
}

/** A string, a list of strings, a list of token ids or a list of lists of token ids. */
export type PromptInput = { kind: 'text'; text: string } | { kind: 'ids'; ids: number[] };

export function prompts(b: Body, k: string, vocabSize: number): PromptInput[] {
  const v = b[k];
  const idList = (a: unknown[], where: string): number[] =>
    a.map((x, i) => {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= vocabSize) throw badField(k, `'${where}[${i}]' must be a token id from 0 to ${vocabSize - 1}, got ${kind(x)}`);
      return x;
    });
  if (v === undefined || v === null) throw badField(k, `'${k}' is required: a string, a list of strings, or token ids`, 'missing_field');
  if (typeof v === 'string') return [{ kind: 'text', text: v }];
  if (!Array.isArray(v)) throw badField(k, `'${k}' must be a string or a list of strings, got ${kind(v)}`, 'invalid_type');
  if (v.length === 0) throw badField(k, `'${k}' must not be an empty list`);
  if (v.every((x) => typeof x === 'number')) return [{ kind: 'ids', ids: idList(v, k) }];
  return v.map((x, i): PromptInput => {
    if (typeof x === 'string') return { kind: 'text', text: x };
    if (Array.isArray(x)) {
      if (x.length === 0) throw badField(k, `'${k}[${i}]' must not be an empty list`);
      return { kind: 'ids', ids: idList(x, `${k}[${i}]`) };
    }
    throw badField(k, `'${k}[${i}]' must be a string (or a list of token ids), got ${kind(x)}`, 'invalid_type');
  });
}

export function stops(b: Body, k: string): string[] {
  if (!given(b, k)) return [];
  const v = b[k];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw badField(k, `'${k}' must be a string or a list of up to 4 strings, got ${kind(v)}`, 'invalid_type');
  if (list.length > 4) throw badField(k, `'${k}' takes at most 4 strings, got ${list.length}`);
  if (list.some((s) => s === '')) throw badField(k, `'${k}' strings must not be empty`);
  return list as string[];
}
