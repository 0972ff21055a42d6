/**
 * Do alike tokens sit together? Cohesion = mean cosine similarity of token embeddings within
 * groups minus the mean between groups (pairs of distinct tokens). Near 0 for random vectors;
 * up to 2 for groups that point in opposite directions. Default groups, for a character
 * vocabulary: lowercase, uppercase, digits, punctuation, whitespace; for a BPE vocabulary the
 * same classes by the token's letters, with " word" (a leading space) apart from "word".
 */
import { ScratchError } from '../core/errors.js';
import { rowCosine } from './neighbors.js';

/** A named group of tokens (rows of an embedding matrix), e.g. the digits or the vowels. */
export interface TokenGroup {
  name: string;
  /** Row indices into the embedding matrix given to `cohesion`. */
  rows: number[];
}

/**
 * How much closer a group's embeddings are to each other than to the rest: mean cosine within and
 * between, and their difference.
 */
export interface CohesionResult {
  score: number;
  within: number;
  between: number;
}

/** Cohesion of `groups` over the rows of a (rows, C) matrix. Groups with under 2 rows add only between pairs. */
export function cohesion(m: ArrayLike<number>, C: number, groups: readonly TokenGroup[]): CohesionResult {
  // unit rows first: every cosine is then one dot product
  const rowsUsed = [...new Set(groups.flatMap((g) => g.rows))];
  const unit = new Map<number, Float64Array>();
  for (const r of rowsUsed) {
    const u = new Float64Array(C);
    let n = 0;
    for (let i = 0; i < C; i++) n += (u[i] = m[r * C + i]!) ** 2;
    n = Math.sqrt(n);
    if (n > 0) for (let i = 0; i < C; i++) u[i]! /= n;
    unit.set(r, u);
  }
  const dot = (a: number, b: number) => {
    const x = unit.get(a)!, y = unit.get(b)!;
    let s = 0;
    for (let i = 0; i < C; i++) s += x[i]! * y[i]!;
    return s;
  };
  let wSum = 0, wN = 0, bSum = 0, bN = 0;
  for (let g = 0; g < groups.length; g++) {
    const a = groups[g]!.rows;
    for (let i = 0; i < a.length; i++) for (let j = i + 1; j < a.length; j++) (wSum += dot(a[i]!, a[j]!)), wN++;
    for (let h = g + 1; h < groups.length; h++) for (const x of a) for (const y of groups[h]!.rows) (bSum += dot(x, y)), bN++;
  }
  if (wN === 0 || bN === 0) throw new ScratchError('cohesion needs at least one group of 2 or more tokens and two groups');
  const within = wSum / wN, between = bSum / bN;
  return { score: within - between, within, between };
}


/** The class of a token's text for the default groups, or null for none (mixed, special, bytes). */
export function tokenClass(text: string, kind: string): string | null {
  if (text === '' || text.includes('\uFFFD')) return null;
  let body = text;
  let space = false;
  if (kind !== 'char' && text.length > 1 && text[0] === ' ' && text.trim() !== '') {
    body = text.slice(1);
    space = true;
  }
  let cls: string | null;
  if (/^\s+$/u.test(body)) cls = 'whitespace';
  else if (/^\p{Ll}+$/u.test(body)) cls = 'lowercase';
  else if (/^\p{Lu}+$/u.test(body)) cls = 'uppercase';
  else if (/^\p{Lu}\p{Ll}+$/u.test(body) && kind !== 'char') cls = 'capitalized';
  else if (/^\p{Nd}+$/u.test(body)) cls = 'digits';
  else if (/^[\p{P}\p{S}]+$/u.test(body)) cls = 'punctuation';
  else cls = null;
  return cls && space ? `space+${cls}` : cls;
}

const ORDER = ['lowercase', 'uppercase', 'capitalized', 'digits', 'punctuation', 'whitespace'];

/** Default groups over token texts (row i = texts[i]); groups of under 2 tokens are dropped. */
export function defaultGroups(texts: readonly string[], kind: string): TokenGroup[] {
  const by = new Map<string, number[]>();
  texts.forEach((t, i) => {
    const c = tokenClass(t, kind);
    if (c) by.set(c, [...(by.get(c) ?? []), i]);
  });
  const rank = (n: string) => {
    const base = ORDER.indexOf(n.replace(/^space\+/, ''));
    return (n.startsWith('space+') ? ORDER.length : 0) + base;
  };
  return [...by.entries()].filter(([, r]) => r.length >= 2).sort((a, b) => rank(a[0]) - rank(b[0])).map(([name, rows]) => ({ name, rows }));
}

/**
 * User groups: "name=a,b,c;other=x,y" or, for a character vocabulary, "aeiou|bcdfg" (each group
 * a string of characters). Tokens not among `texts` fail with the ones that are missing.
 */
export function parseGroups(spec: string, texts: readonly string[], kind: string): TokenGroup[] {
  const index = new Map<string, number>();
  texts.forEach((t, i) => index.has(t) || index.set(t, i));
  const groups: TokenGroup[] = [];
  const parts = spec.includes(';') || spec.includes('=') ? spec.split(';') : spec.split('|');
  parts.forEach((part, gi) => {
    if (part === '') return;
    const eq = part.indexOf('=');
    const name = eq > 0 ? part.slice(0, eq) : `group ${gi + 1}`;
    const body = eq > 0 ? part.slice(eq + 1) : part;
    const toks = kind === 'char' && !body.includes(',') ? [...body] : body.split(',');
    const rows: number[] = [];
    const missing: string[] = [];
    for (const t of toks) {
      const r = index.get(t);
      if (r === undefined) missing.push(t);
      else rows.push(r);
    }
    if (missing.length) throw new ScratchError(`group '${name}': ${missing.map((t) => JSON.stringify(t)).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not among the tokens in the snapshots`);
    groups.push({ name, rows });
  });
  if (groups.length < 2) throw new ScratchError(`--groups needs two groups or more, e.g. "vowels=a,e,i,o,u;digits=0,1,2" (got ${JSON.stringify(spec)})`);
  return groups;
}
