#!/usr/bin/env node
/**
 * The scratchlm command line: a thin shell over the public API in src/index.ts. Each command lives
 * in cli/commands/<name>.ts and exports `run(args)`; errors the user can fix are printed as one
 * line, without a stack trace.
 */
import { ScratchError } from '../src/index.js';

type Command = { summary: string; load: () => Promise<{ run(args: string[]): Promise<number | void> }> };

const COMMANDS: Record<string, Command> = {
  bench: { summary: 'time training steps (bench train)', load: () => import('./commands/bench.js') },
  check: { summary: 'compare the model with a PyTorch fixture folder', load: () => import('./commands/check.js') },
  prepare: { summary: 'tokenize text files into a data folder (train.bin, val.bin)', load: () => import('./commands/prepare.js') },
  train: { summary: 'train a model (no arguments: the built-in Brown corpus run)', load: () => import('./commands/train.js') },
  sample: { summary: 'stream text from a trained run', load: () => import('./commands/sample.js') },
  eval: { summary: 'loss and perplexity of a run on a data folder', load: () => import('./commands/eval.js') },
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
  const mod = await cmd.load();
  return (await mod.run(rest)) ?? 0;
}

/** Errors a user can act on print as one line; anything else is a bug and keeps its stack. */
export function reportError(err: unknown): number {
  if (err instanceof ScratchError || (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
    console.error(`scratchlm: ${(err as Error).message}`);
    return 1;
  }
  console.error(err);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.exitCode = reportError(err);
  },
);
