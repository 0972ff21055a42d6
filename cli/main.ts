#!/usr/bin/env node
/**
 * The scratchlm command line: a thin shell over the public API in src/index.ts. Each command lives
 * in cli/commands/<name>.ts and exports `run(args)`; errors the user can fix are printed as one
 * line, without a stack trace.
 */
import { ScratchError } from '../src/index.js';
import { watchStdout } from './output.js';

type Command = { summary: string; load: () => Promise<{ run(args: string[]): Promise<number | void> }> };

const COMMANDS: Record<string, Command> = {
  bench: { summary: 'time training steps (bench train)', load: () => import('./commands/bench.js') },
  check: { summary: 'compare the model with a PyTorch fixture folder', load: () => import('./commands/check.js') },
  prepare: { summary: 'tokenize text files into a data folder (train.bin, val.bin)', load: () => import('./commands/prepare.js') },
  train: { summary: 'train a model (no arguments: the built-in Brown corpus run)', load: () => import('./commands/train.js') },
  serve: { summary: 'serve a run over HTTP: OpenAI-compatible completions, streaming, inspection views', load: () => import('./commands/serve.js') },
  sample: { summary: 'stream text from a trained run', load: () => import('./commands/sample.js') },
  eval: { summary: 'loss and perplexity of a run on a data folder', load: () => import('./commands/eval.js') },
  export: { summary: 'write a run as a Hugging Face GPT-2 folder (for PyTorch, transformers)', load: () => import('./commands/export.js') },
  play: { summary: 'serve the browser playground (train and look inside a GPT in a web page)', load: () => import('./commands/play.js') },
  tokenizer: { summary: 'train a BPE tokenizer; encode and decode text (gpt2, char or a file)', load: () => import('./commands/tokenizer.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: scratchlm <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'scratchlm <command> --help' for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`scratchlm: unknown command '${name}'; run 'scratchlm --help' for the list`);
    return 1;
  }
  command = name;
  const mod = await cmd.load();
  return (await mod.run(joinNegativeValues(rest))) ?? 0;
}

let command = '';

/**
 * `--lr -1` reaches the commands as `--lr=-1`: Node's parseArgs would otherwise take -1 for an
 * option and answer with a three-line 'ambiguous' message instead of the setting's own check.
 */
export function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return [...out, ...args.slice(i)]; // the end of options: the rest as given
    const next = args[i + 1];
    if (a.startsWith('--') && a.length > 2 && !a.includes('=') && next !== undefined && /^-(\d|\.\d|Infinity|NaN)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Errors a user can act on print as one line; anything else is a bug and keeps its stack. */
export function reportError(err: unknown): number {
  const parse = err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  if (err instanceof ScratchError || parse) {
    let msg = (err as Error).message.replace(/\s*\n\s*/g, ' ').replace(/\.$/, '');
    if (parse) msg += `; run 'scratchlm ${command ? `${command} ` : ''}--help' for the options`;
    console.error(`scratchlm: ${msg}`);
    return 1;
  }
  console.error(err);
  return 2;
}

watchStdout();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.exitCode = reportError(err);
  },
);
