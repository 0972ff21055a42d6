#!/usr/bin/env node
/**
 * The scratchlm command line: a thin shell over the public API in src/index.ts. Each command lives
 * in cli/commands/<name>.ts and exports `run(args)`; errors the user can fix are printed as one
 * line, without a stack trace.
 */
import { ScratchError } from '../src/index.js';
import { UsageError, usageLine } from './args.js';
import { watchStdout } from './output.js';
import { COMMANDS } from './registry.js';

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: npx scratchlm <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'npx scratchlm <command> --help' for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`scratchlm: unknown command '${name}'; run 'npx scratchlm --help' for the list`);
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
  if (err instanceof UsageError) {
    // one line: what is wrong, then how to call it (unless the message already points to --help)
    const how = err.message.includes('--help') ? '' : `; ${usageLine(err.spec)} (npx scratchlm ${err.spec.name} --help lists every option)`;
    console.error(`scratchlm: ${err.message}${how}`);
    return 1;
  }
  if (err instanceof ScratchError || parse) {
    let msg = (err as Error).message.replace(/\s*\n\s*/g, ' ').replace(/\.$/, '');
    if (parse) msg += `; run 'npx scratchlm ${command ? `${command} ` : ''}--help' for the options`;
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
