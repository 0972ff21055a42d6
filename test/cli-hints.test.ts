/**
 * Every hint the tool prints can be pasted: a string in src/, cli/, server/ or web/ that names a
 * command (`npx scratchlm sample --run X`) says `npx` and uses a command, subcommand and flags
 * that exist, and when it is concrete (no placeholder like DIR, <file> or [--x]) it parses with
 * that command's own parser. The README's shell blocks and `code spans` are held to the same
 * flags (the README explains that `scratchlm` alone works once `npm link` put it on the PATH).
 * The commands' specs come from cli/registry.ts, so a new command is covered without edits here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { REPO } from './paths.js';
import { helpText, parseCommand, usageLine, type CommandSpec } from '../cli/args.js';
import { COMMANDS } from '../cli/registry.js';
import { readmeShellLines } from './readme-shell.js';

/** A stand-in for a template's `${...}`: a value the hint cannot know statically. */
const HOLE = '\u27e8x\u27e9';

/**
 * Words of a command line, shell-style: quotes group, `#` starts a comment; in a shell (`shell`)
 * `| > < ; &&` also end the command, elsewhere they are part of placeholders (`<file>`, `a|b`).
 */
export function shellWords(line: string, shell = true): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"' || c === "'") {
      const j = line.indexOf(c, i + 1);
      const end = j < 0 ? line.length : j;
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\' && i + 1 < line.length) {
      cur = (cur ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (cur !== null) out.push(cur);
      cur = null;
    } else if ((c === '#' && cur === null) || (shell && (c === '|' || c === '>' || c === '<' || c === ';' || (c === '&' && line[i + 1] === '&')))) {
      break;
    } else cur = (cur ?? '') + c;
  }
  if (cur !== null) out.push(cur);
  return out;
}

export interface Hint {
  where: string;
  text: string;
  npx: boolean;
  /** Read as a shell line (README shell blocks) rather than a hint in prose. */
  shell?: boolean;
}

/**
 * `npx scratchlm ...` / `scratchlm ...` occurrences in a piece of text, each up to where the
 * command ends: the quote that opened it ('npx scratchlm train'), else a closing bracket or
 * sentence punctuation. `scratchlm serve: ...` is a log prefix, not a hint.
 */
export function findHints(text: string, where: string): Hint[] {
  const out: Hint[] = [];
  for (const m of text.matchAll(/(npx\s+)?\bscratchlm\s+(?=[a-z<$\u27e8\u2026])/g)) {
    const before = text.slice(0, m.index);
    if (!m[1] && /[\w/@.-]$/.test(before)) continue; // part of a word or path (@scratchlm, dist/scratchlm)
    let rest = text.slice(m.index + m[0].length);
    if (/^[a-z-]+:/.test(rest)) continue;
    const opener = /['"`]$/.exec(before)?.[0];
    const end = opener ? rest.indexOf(opener) : rest.search(/\)|;|\n|, |\. |\.$|: /);
    if (end >= 0) rest = rest.slice(0, end);
    out.push({ where, text: rest.trim(), npx: Boolean(m[1]) });
  }
  return out;
}

interface CommandInfo {
  /** Specs by subcommand ('' for a command without subcommands). */
  subs: Map<string, CommandSpec>;
}

let tableOnce: Promise<Map<string, CommandInfo>> | undefined;
const commandTable = () => (tableOnce ??= loadCommandTable());

async function loadCommandTable(): Promise<Map<string, CommandInfo>> {
  const table = new Map<string, CommandInfo>();
  for (const [name, cmd] of Object.entries(COMMANDS)) {
    const mod = await cmd.load();
    const subs = new Map<string, CommandSpec>();
    for (const spec of mod.specs) {
      const [top, sub = ''] = spec.name.split(' ');
      assert.equal(top, name, `cli/commands: spec '${spec.name}' is listed under command '${name}'`);
      subs.set(sub, spec);
    }
    table.set(name, { subs });
  }
  return table;
}

const isPlaceholder = (w: string) => w.includes(HOLE) || /[<>[\]{}|\u2026]|\.\.\./.test(w) || /^[A-Z][A-Z0-9_]*$/.test(w);

/**
 * What is wrong with a hint, or null when it pastes. `prose` hints (no `npx`) are only checked when
 * their first word is a command: "a scratchlm tokenizer file" is prose, "scratchlm train" is not.
 */
export function checkHint(h: Hint, table: Map<string, CommandInfo>, needNpx: boolean): string | null {
  const words = shellWords(h.text, h.shell === true);
  const [cmd, ...rest] = words;
  if (cmd === undefined) return h.npx ? 'names no command' : null;
  if (isPlaceholder(cmd) || cmd === '--help' || cmd === '-h') return null; // built from the spec at run time, or the general help
  const info = table.get(cmd);
  if (!info) return h.npx ? `no command '${cmd}' (commands: ${[...table.keys()].join(', ')})` : null;
  let specs: CommandSpec[];
  let args = rest;
  if (info.subs.has('')) specs = [info.subs.get('')!];
  else {
    const sub = rest[0];
    if (sub === undefined || sub === '--help' || sub.includes(HOLE) || sub.startsWith('<')) specs = [...info.subs.values()];
    else {
      const names = sub.split('|');
      if (!names.every((n) => info.subs.has(n))) {
        if (!h.npx) return null; // prose: "a scratchlm tokenizer file"
        return `'${cmd}' has no subcommand '${sub}' (subcommands: ${[...info.subs.keys()].join(', ')})`;
      }
      specs = names.map((n) => info.subs.get(n)!);
      args = rest.slice(1);
    }
  }
  if (needNpx && !h.npx) return 'says scratchlm without npx (a user pastes it into a shell where only npx finds it)';
  for (const w of args) {
    for (const m of w.matchAll(/(?:^|\[)--([a-z][a-z0-9-]*)/g)) {
      const name = m[1]!;
      const known = (s: CommandSpec) => name === 'help' || name in s.flags || (name.startsWith('no-') && s.flags[name.slice(3)]?.type === 'boolean');
      if (!specs.every(known)) return `--${name} is not an option of ${specs.map((s) => `'scratchlm ${s.name}'`).join(' / ')}`;
    }
  }
  if (specs.length === 1 && args.length > 0 && !args.some(isPlaceholder)) {
    try {
      parseCommand(specs[0]!, args, () => {});
    } catch (e) {
      return `does not parse: ${(e as Error).message}`;
    }
  }
  return null;
}

/** String literals and template strings (holes as HOLE) of a TypeScript file; comments are not hints. */
export function stringsOf(file: string, source: string): { line: number; text: string }[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const out: { line: number; text: string }[] = [];
  const visit = (n: ts.Node) => {
    let text: string | null = null;
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) text = n.text;
    else if (ts.isTemplateExpression(n)) text = n.head.text + n.templateSpans.map((s) => HOLE + s.literal.text).join('');
    if (text !== null) out.push({ line: sf.getLineAndCharacterOfPosition(n.getStart()).line + 1, text });
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (e.endsWith('.ts') && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Hints in the README: command lines in shell blocks (continuations joined) and `code spans`. */
export function readmeHints(md: string): Hint[] {
  const out: Hint[] = [];
  for (const { line, text } of readmeShellLines(md)) {
    const m = /^(?:\$\s+)?(npx\s+)?scratchlm\s+(.*)$/.exec(text);
    if (m) out.push({ where: `README.md:${line}`, text: m[2]!, npx: Boolean(m[1]), shell: true });
  }
  // code spans, outside fenced blocks
  let fence = false;
  md.split('\n').forEach((l, i) => {
    if (l.startsWith('```')) fence = !fence;
    else if (!fence) {
      for (const span of l.matchAll(/`([^`]+)`/g)) {
        const m = /^(npx\s+)?scratchlm\s+(.*)$/.exec(span[1]!.replace(/\\\|/g, '|'));
        if (m) out.push({ where: `README.md:${i + 1}`, text: m[2]!, npx: Boolean(m[1]) });
      }
    }
  });
  return out;
}

test('shellWords and findHints read command lines as a shell and a reader would', () => {
  assert.deepEqual(shellWords(`sample --run runs/b --prompt "The jury" --stop "." # a comment`), ['sample', '--run', 'runs/b', '--prompt', 'The jury', '--stop', '.']);
  assert.deepEqual(shellWords('tokenizer encode --tokenizer gpt2 input.txt > ids.json'), ['tokenizer', 'encode', '--tokenizer', 'gpt2', 'input.txt']);
  assert.deepEqual(shellWords('prepare <text files> --tokenizer char|gpt2', false), ['prepare', '<text', 'files>', '--tokenizer', 'char|gpt2']);
  assert.deepEqual(findHints("no checkpoint; start one with 'npx scratchlm train --out runs/x' and retry", 'x').map((h) => [h.text, h.npx]), [['train --out runs/x', true]]);
  assert.deepEqual(findHints('run npx scratchlm sample --run r). Then', 'x').map((h) => h.text), ['sample --run r']);
  assert.deepEqual(findHints('from @scratchlm train or a scratchlm data folder', 'x').map((h) => h.text), ['data folder']);
  assert.deepEqual(findHints("scratchlm serve: failed; see 'npx scratchlm sample --prompt \"a, b\" --run r'", 'x').map((h) => h.text), ['sample --prompt "a, b" --run r']);
});

test('checkHint: catches a missing npx, unknown commands, subcommands and flags, and values that do not parse', async () => {
  const table = await commandTable();
  const check = (text: string, npx = true, needNpx = true) => checkHint({ where: 't', text, npx }, table, needNpx);
  assert.equal(check('sample --run runs/x --max-tokens 20 --json'), null);
  assert.equal(check(`train --out ${HOLE} --resume`), null);
  assert.equal(check('prepare <text files> --tokenizer char --out DIR'), null);
  assert.match(check('sample --run runs/x', false)!, /without npx/);
  assert.equal(check('sample --run runs/x', false, false), null);
  assert.match(check('smaple --run x')!, /no command 'smaple'/);
  assert.match(check('tokenizer frobnicate')!, /no subcommand 'frobnicate'/);
  assert.equal(check('tokenizer file (expected', false), null); // prose
  assert.match(check('sample --run r --max-token 5')!, /--max-token is not an option/);
  assert.match(check('sample --run r [--temprature T]')!, /--temprature is not an option/);
  assert.match(check('sample --run r --max-tokens abc')!, /does not parse: --max-tokens must be a whole number/);
  assert.match(check('eval --run r --data d extra')!, /does not parse: unexpected argument 'extra'/);
  assert.equal(check('bench train|generate --help'), null);
  assert.match(check('bench train|generate --tokens 5')!, /--tokens is not an option of 'scratchlm bench train'/);
});

test('every hint in src/, cli/, server/ and web/ says npx and names a command and flags that exist', async () => {
  const table = await commandTable();
  const problems: string[] = [];
  let n = 0;
  for (const dir of ['src', 'cli', 'server', 'web']) {
    for (const file of tsFiles(join(REPO, dir))) {
      const rel = relative(REPO, file);
      for (const s of stringsOf(rel, readFileSync(file, 'utf8'))) {
        for (const h of findHints(s.text, `${rel}:${s.line}`)) {
          const bad = checkHint(h, table, true);
          if (h.npx) n++;
          if (bad) problems.push(`${h.where}: '${h.npx ? 'npx ' : ''}scratchlm ${h.text}' ${bad}`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(n >= 30, `only ${n} hints found: is the scan still reading the sources?`);
});

test("every command line in the README's shell blocks and code spans names a command and flags that exist, and parses", async () => {
  const table = await commandTable();
  const hints = readmeHints(readFileSync(join(REPO, 'README.md'), 'utf8'));
  const problems = hints.map((h) => [h, checkHint(h, table, false)] as const).filter(([, bad]) => bad).map(([h, bad]) => `${h.where}: 'scratchlm ${h.text}' ${bad}`);
  assert.deepEqual(problems, []);
  assert.ok(hints.length >= 30, `only ${hints.length} command lines found in the README`);
});

test('every spec: its usage line and --help text hold only hints that parse', async () => {
  const table = await commandTable();
  const problems: string[] = [];
  let n = 0;
  for (const info of table.values()) {
    for (const spec of info.subs.values()) {
      for (const h of [...findHints(usageLine(spec), `${spec.name} usage`), ...findHints(helpText(spec), `${spec.name} --help`)]) {
        n++;
        const bad = checkHint(h, table, true);
        if (bad) problems.push(`${h.where}: 'scratchlm ${h.text}' ${bad}`);
      }
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(n >= 2 * table.size, `${n} hints in ${table.size} commands' help`);
});

test('every spec: its examples are commands that parse', async () => {
  const table = await commandTable();
  const problems: string[] = [];
  for (const info of table.values()) {
    for (const spec of info.subs.values()) {
      for (const ex of spec.examples ?? []) {
        const m = /^npx scratchlm (.*)$/.exec(ex);
        if (!m) {
          problems.push(`${spec.name}: example '${ex}' does not start with 'npx scratchlm'`);
          continue;
        }
        const bad = checkHint({ where: spec.name, text: m[1]!, npx: true }, table, true);
        if (bad) problems.push(`${spec.name}: example '${ex}' ${bad}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
