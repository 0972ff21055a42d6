/** What the inspection commands share: --run / --checkpoint / --kernels / --json flags, notes on stderr. */
import { loadRun, ScratchError, type LoadedRun } from '../src/index.js';
import { parseCommand, type CommandSpec, type Flag, type Values } from './args.js';
import { backendFromFlags, BACKEND_FLAGS } from './backend-flags.js';

/** Flags of every inspection command (cli/args.ts specs). */
export const RUN_FLAGS = {
  run: { type: 'string', value: 'DIR', doc: "a run folder written by 'npx scratchlm train' (or a Hugging Face GPT-2 folder)" },
  checkpoint: { type: 'string', choices: ['best', 'latest'], value: 'best|latest', doc: 'which checkpoint of the run (default: best when there is one)' },
  json: { type: 'boolean', doc: 'print one JSON value (notes go to stderr)' },
  // these models are small next to a training batch: the reference kernels start at once
  kernels: { ...BACKEND_FLAGS.kernels, default: 'ref' },
  threads: BACKEND_FLAGS.threads,
} as const satisfies Record<string, Flag>;

export async function openRun(values: { run?: string; checkpoint?: string; kernels?: string; threads?: number }, command: string): Promise<LoadedRun> {
  if (!values.run) throw new ScratchError(`${command} needs --run <run folder> (a folder written by 'npx scratchlm train'), e.g. npx scratchlm ${command} --run runs/brown`);
  const backend = await backendFromFlags({ kernels: values.kernels ?? 'ref', threads: values.threads });
  const run = loadRun(values.run, { backend, checkpoint: values.checkpoint as 'best' | 'latest' | undefined });
  if (run.notice) printNotes([run.notice]);
  return run;
}

/**
 * An inspection command's start: its flags parsed (null when --help was printed), the flag it
 * cannot do without (`need`: its text), and its run opened.
 */
export async function openCommand<S extends CommandSpec>(spec: S, args: string[], need?: string): Promise<{ v: Values<S>; r: LoadedRun; text: string } | null> {
  const p = parseCommand(spec, args);
  if (!p) return null;
  const v = p.values;
  const text = need ? required((v as Record<string, unknown>)[need] as string | undefined, `${need} ${spec.flags[need]?.value ?? ''}`, spec.examples?.[0] ?? '') : '';
  return { v, r: await openRun(v as Parameters<typeof openRun>[0], spec.name), text };
}

/** A flag the command cannot do without: a one-line error with an example. */
export function required<T>(v: T | undefined, flag: string, example: string): T {
  if (v === undefined) throw new ScratchError(`expected --${flag}; e.g. ${example}`);
  return v;
}

/** Notes (prompt cut, --top clamped, ...) go to stderr, so --json output stays one JSON value. */
export function printNotes(notes: readonly string[]): void {
  for (const n of notes) console.error(`scratchlm: note: ${n}`);
}

export function json(x: unknown): void {
  console.log(JSON.stringify(x, null, 2));
}

/** "token" shown for a table: quoted, escapes visible. */
export function q(s: string): string {
  return JSON.stringify(s);
}

/** --out's kind from its name: .svg or .html. */
export function checkOut(out: string | undefined): 'svg' | 'html' | null {
  if (out === undefined) return null;
  if (out.endsWith('.svg')) return 'svg';
  if (out.endsWith('.html') || out.endsWith('.htm')) return 'html';
  throw new ScratchError(`--out must name an .svg or .html file, got '${out}'`);
}
