/**
 * Typed, frozen configs validated on entry. A schema lists each key's kind, bounds and default;
 * unknown keys, wrong types and out-of-range values fail with one line naming the key.
 */
import { ScratchError } from './errors.js';

/**
 * One setting of a Schema: its kind (int, number, boolean, string or enum), bounds, default and a one-
 * line doc.
 */
export type FieldSpec =
  | { kind: 'int'; min?: number; max?: number; default?: number; doc: string }
  | { kind: 'number'; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean; default?: number; doc: string }
  | { kind: 'boolean'; default?: boolean; doc: string }
  | { kind: 'string'; default?: string; doc: string }
  | { kind: 'enum'; values: readonly string[]; default?: string; doc: string }
  | { kind: 'numbers'; length: number; default?: readonly number[]; doc: string };

/** A config schema: each key's kind, bounds, default and documentation. */
export type Schema = Record<string, FieldSpec>;

/** Validates `raw` against `schema` (filling defaults) and returns a frozen copy. */
export function validateConfig<T>(schema: Schema, raw: unknown, what: string): Readonly<T> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ScratchError(`${what} must be an object of settings`);
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!(key in schema)) {
      const known = Object.keys(schema).join(', ');
      throw new ScratchError(`unknown ${what} key '${key}'; known keys: ${known}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    let v = obj[key];
    if (v === undefined) {
      if (spec.default === undefined) throw new ScratchError(`${what} needs '${key}' (${spec.doc})`);
      v = spec.default;
    }
    out[key] = checkField(key, spec, v, what);
  }
  return Object.freeze(out) as Readonly<T>;
}

function checkField(key: string, spec: FieldSpec, v: unknown, what: string): unknown {
  // String(), not JSON: a number past float range reads as Infinity, which JSON would print as null
  const shown = typeof v === 'number' ? String(v) : JSON.stringify(v);
  const bad = (expect: string) => new ScratchError(`${what} '${key}' must be ${expect}, got ${shown}`);
  switch (spec.kind) {
    case 'int':
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(spec.kind === 'int' ? 'an integer' : 'a finite number');
      if (spec.kind === 'int' && !Number.isInteger(v)) throw bad('an integer');
      const ex = spec.kind === 'number' ? spec : { minExclusive: false, maxExclusive: false };
      if (spec.min !== undefined && (ex.minExclusive ? v <= spec.min : v < spec.min)) throw bad(`${ex.minExclusive ? '>' : '≥'} ${spec.min}`);
      if (spec.max !== undefined && (ex.maxExclusive ? v >= spec.max : v > spec.max)) throw bad(`${ex.maxExclusive ? '<' : '≤'} ${spec.max}`);
      return v;
    }
    case 'boolean':
      if (typeof v !== 'boolean') throw bad('true or false');
      return v;
    case 'string':
      if (typeof v !== 'string') throw bad('a string');
      return v;
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) throw bad(`one of ${spec.values.join(', ')}`);
      return v;
    case 'numbers':
      if (!Array.isArray(v) || v.length !== spec.length || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
        throw bad(`a list of ${spec.length} numbers`);
      }
      return Object.freeze([...v]);
  }
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Parses a command-line value for a schema key ("--lr 3e-4"): numbers, booleans and lists
 * ("0.9,0.99") are converted by the key's kind, so a typo fails like a wrong JSON type.
 */
export function parseFieldValue(schema: Schema, key: string, text: string, what: string): unknown {
  const spec = schema[key];
  if (!spec) throw new ScratchError(`unknown ${what} key '${key}'; known keys: ${Object.keys(schema).join(', ')}`);
  switch (spec.kind) {
    case 'int':
    case 'number': {
      // decimal only: Number() would also take '0x10' (16) and '0b1'
      const n = DECIMAL.test(text.trim()) ? Number(text) : NaN;
      if (!Number.isFinite(n)) throw new ScratchError(`${what} '${key}' must be a number, got '${text}'`);
      return n;
    }
    case 'boolean':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw new ScratchError(`${what} '${key}' must be true or false, got '${text}'`);
    case 'numbers':
      return text.split(',').map((s) => (DECIMAL.test(s.trim()) ? Number(s) : NaN));
    default:
      return text;
  }
}
