/**
 * One flag parser and help writer for every command. A command describes itself once (a
 * CommandSpec: its flags with type, placeholder and doc, its positionals); parsing, the errors
 * (named as the user typed them: `--max-iters`, never `maxIters`), and `--help` (which therefore
 * lists every flag) all come from that description. The CLI's hint test reads the same specs.
 *
 *   export const spec = defineCommand({ name: 'sample', summary: '...', flags: { run: { type: 'string', value: 'DIR', doc: '...' } } });
 *   export async function run(args: string[]) {
 *     const p = parseCommand(spec, args);
 *     if (!p) return 0;               // --help was printed
 *     p.values.run                    // string | undefined, typed from the spec
 *   }
 */
import { ScratchError } from '../src/index.js';

export type FlagType = 'string' | 'boolean' | 'number' | 'int';

export interface Flag {
  /** string: as typed; number / int: checked decimal; boolean: bare `--x` or `--no-x` (also `--x=false`). */
  readonly type: FlagType;
  /** The placeholder shown in help and hints: N, DIR, FILE, TEXT (value flags). */
  readonly value?: string;
  readonly doc: string;
  /** Shown in help as "(default: ...)"; the parser fills it in when the flag is absent. */
  readonly default?: string | number | boolean;
  /** Accepted values (string flags); anything else fails with the list. */
  readonly choices?: readonly string[];
  /** Inclusive bounds (number / int flags). */
  readonly min?: number;
  readonly max?: number;
  /** The bounds themselves are excluded (min < x, x < max). */
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
  /** May be given more than once (string flags): the values collect into an array. */
  readonly multiple?: boolean;
  /** Help mentions --no-NAME (booleans whose default may be on; every boolean accepts it). */
  readonly negatable?: boolean;
  /** One-letter alias (only -h is used today). */
  readonly short?: string;
}

export interface CommandSpec {
  /** As typed after `scratchlm`: 'sample', or 'tokenizer train' for a subcommand. */
  readonly name: string;
  /** One line, for `scratchlm --help`. */
  readonly summary: string;
  /** Positional part of the usage line: '<text files...>'. */
  readonly args?: string;
  /** How many positionals (default: none). */
  readonly positionals?: { readonly min?: number; readonly max?: number; readonly what: string };
  readonly flags: Readonly<Record<string, Flag>>;
  /** Paragraphs after the flag list. */
  readonly description?: string;
  /** Commands to copy (checked by the hint test): 'npx scratchlm sample --run runs/x'. */
  readonly examples?: readonly string[];
}

type FlagValue<F extends Flag> = F['type'] extends 'boolean' ? boolean : F['type'] extends 'number' | 'int' ? number : F['multiple'] extends true ? string[] : string;

/** Parsed values, keyed by flag name as typed ('max-tokens'); undefined when absent and no default. */
export type Values<S extends CommandSpec> = { -readonly [K in keyof S['flags']]?: FlagValue<S['flags'][K]> };

export interface Parsed<S extends CommandSpec> {
  values: Values<S>;
  positionals: string[];
  /** Flags the user gave (not filled from defaults). */
  given: Set<string>;
}

/** Keeps a spec's literal types (so parseCommand's values are typed). */
export function defineCommand<const S extends CommandSpec>(spec: S): S {
  return spec;
}

/** A command's --help and -h, added to every spec by the parser. */
const HELP_FLAG: Flag = { type: 'boolean', short: 'h', doc: 'print this help' };

/** Thrown for a wrong command line; the CLI prints the message, then the usage line. */
export class UsageError extends ScratchError {
  constructor(
    message: string,
    readonly spec: CommandSpec,
  ) {
    super(message);
  }
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length]!;
}

function suggest(name: string, spec: CommandSpec): string {
  const names = Object.keys(spec.flags);
  const best = names.map((n) => [n, distance(name, n)] as const).sort((a, b) => a[1] - b[1])[0];
  const near = best && (best[1] <= 2 || best[0].startsWith(name) || name.startsWith(best[0])) ? `did you mean '--${best[0]}'? ` : '';
  return `${near}run 'npx scratchlm ${spec.name} --help' for its options`;
}

/** `--name` → the value a flag's text converts to, or a ScratchError naming the flag as typed. */
export function convertFlag(name: string, flag: Flag, text: string): string | number | boolean {
  const bad = (expect: string) => new ScratchError(`--${name} must be ${expect}, got '${text}'`);
  switch (flag.type) {
    case 'boolean':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw new ScratchError(`--${name} is a switch: write --${name} or --no-${name}, got '--${name}=${text}'`);
    case 'number':
    case 'int': {
      const lo = flag.min === undefined ? '' : flag.minExclusive ? `> ${flag.min}` : `≥ ${flag.min}`;
      const hi = flag.max === undefined ? '' : flag.maxExclusive ? `< ${flag.max}` : `≤ ${flag.max}`;
      const range = lo && hi && !flag.minExclusive && !flag.maxExclusive ? `from ${flag.min} to ${flag.max}` : [lo, hi].filter(Boolean).join(' and ');
      const expect = `${flag.type === 'int' ? 'a whole number' : 'a number'}${range ? ` ${range}` : ''}`;
      const n = DECIMAL.test(text.trim()) ? Number(text) : NaN;
      if (!Number.isFinite(n) || (flag.type === 'int' && !Number.isInteger(n))) throw bad(expect);
      const low = flag.min !== undefined && (flag.minExclusive ? n <= flag.min : n < flag.min);
      const high = flag.max !== undefined && (flag.maxExclusive ? n >= flag.max : n > flag.max);
      if (low || high) throw bad(expect);
      return n;
    }
    case 'string':
      if (flag.choices && !flag.choices.includes(text)) throw bad(flag.choices.length === 2 ? `${flag.choices[0]} or ${flag.choices[1]}` : `one of ${flag.choices.join(', ')}`);
      return text;
  }
}

/**
 * Parses `args` for `spec`. Returns null when --help (or -h) was asked for, after printing the
 * help. `--x value` and `--x=value` both work, a value may start with '-' (`--lr -1`), `--` ends
 * the options, and booleans are bare (`--bias`, `--no-bias`).
 */
export function parseCommand<S extends CommandSpec>(spec: S, args: readonly string[], print: (s: string) => void = console.log): Parsed<S> | null {
  const flags: Record<string, Flag> = { ...spec.flags, help: HELP_FLAG };
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    let name: string;
    let inline: string | undefined;
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
    } else if (/^-[a-zA-Z]$/.test(a)) {
      const hit = Object.entries(flags).find(([, f]) => f.short === a[1]);
      if (!hit) throw new UsageError(`unknown option '${a}'; ${suggest(a.slice(1), spec)}`, spec);
      name = hit[0];
    } else {
      positionals.push(a);
      continue;
    }
    let flag = flags[name];
    let negated = false;
    if (!flag && name.startsWith('no-') && flags[name.slice(3)]?.type === 'boolean') {
      name = name.slice(3);
      flag = flags[name]!;
      negated = true;
    }
    if (!flag) throw new UsageError(`unknown option '--${name}'; ${suggest(name, spec)}`, spec);
    let value: unknown;
    if (flag.type === 'boolean') {
      if (negated && inline !== undefined) throw new ScratchError(`--no-${name} takes no value`);
      value = negated ? false : inline === undefined ? true : convertFlag(name, flag, inline);
    } else {
      let text = inline;
      if (text === undefined) {
        const next = args[i + 1];
        const nextIsFlag = next !== undefined && next.startsWith('--') && next.length > 2 && (next.slice(2).split('=')[0]! in flags || next === '--help');
        if (next === undefined || nextIsFlag) throw new ScratchError(`--${name} needs a value (--${name} ${flag.value ?? 'VALUE'})`);
        text = next;
        i++;
      }
      value = convertFlag(name, flag, text);
    }
    given.add(name);
    if (flag.multiple) ((values[name] ??= []) as unknown[]).push(value);
    else values[name] = value;
  }
  if (values.help) {
    print(helpText(spec));
    return null;
  }
  for (const [name, f] of Object.entries(spec.flags)) if (values[name] === undefined && f.default !== undefined) values[name] = f.default;
  const pos = spec.positionals;
  const min = pos?.min ?? 0;
  const max = pos?.max ?? (pos ? Infinity : 0);
  if (positionals.length > max) {
    const extra = positionals[max]!;
    const after = args[args.indexOf(extra) - 1];
    const bool = after?.startsWith('--') && flags[after.slice(2)]?.type === 'boolean' ? `; ${after} is a switch and takes no value (${after} or --no-${after.slice(2)})` : '';
    throw new UsageError(max === 0 ? `unexpected argument '${extra}'${bool}` : `too many arguments: '${extra}' (expected at most ${max} ${pos!.what})${bool}`, spec);
  }
  if (positionals.length < min) throw new UsageError(`expected ${pos!.what}`, spec);
  return { values: values as Values<S>, positionals, given };
}

function flagLabel(name: string, f: Flag): string {
  if (f.type === 'boolean') return `--${name}`;
  const v = f.value ?? (f.choices ? f.choices.join('|') : f.type === 'string' ? 'VALUE' : 'N');
  return `--${name} ${v}`;
}

/** The usage line: `npx scratchlm sample --run DIR [options]`. */
export function usageLine(spec: CommandSpec): string {
  return `usage: npx scratchlm ${spec.name}${spec.args ? ` ${spec.args}` : ''}${Object.keys(spec.flags).length ? ' [options]' : ''}`;
}

/** A command's --help: usage, summary, every flag with its placeholder, doc and default, then notes. */
export function helpText(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.flags, help: HELP_FLAG }).map(([n, f]) => [flagLabel(n, f) + (f.short ? `, -${f.short}` : ''), f.doc + (f.default !== undefined && f.type !== 'boolean' ? ` (default: ${f.default})` : '') + (f.type === 'boolean' && f.negatable ? ` (--no-${n}: off)` : '')]);
  const w = Math.min(30, Math.max(...rows.map((r) => r[0]!.length)) + 2);
  const lines = rows.map(([l, d]) => (l!.length + 2 > w ? `  ${l}\n  ${' '.repeat(w)}${d}` : `  ${l!.padEnd(w)}${d}`));
  const ex = spec.examples?.length ? `\n\nexamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}` : '';
  return `${usageLine(spec)}\n\n${spec.summary}\n\noptions:\n${lines.join('\n')}${spec.description ? `\n\n${spec.description}` : ''}${ex}`;
}
