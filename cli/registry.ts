/**
 * The commands of `scratchlm`, by name. Each module in cli/commands/ exports `run(args)` and
 * `specs` (its CommandSpec or, for a command with subcommands, one per subcommand: see args.ts);
 * the loader is lazy so that `scratchlm --help` stays fast. Add a command here.
 */
import type { CommandSpec } from './args.js';

export interface CommandModule {
  run(args: string[]): Promise<number | void>;
  readonly specs: readonly CommandSpec[];
}

export interface Command {
  summary: string;
  load: () => Promise<CommandModule>;
}

export const COMMANDS: Record<string, Command> = {
  bench: { summary: 'time training steps (bench train) or generation (bench generate)', load: () => import('./commands/bench.js') },
  check: { summary: 'compare the model with a PyTorch fixture folder', load: () => import('./commands/check.js') },
  prepare: { summary: 'tokenize text files into a data folder (train.bin, val.bin)', load: () => import('./commands/prepare.js') },
  train: { summary: 'train a model (no arguments: the built-in Brown corpus run)', load: () => import('./commands/train.js') },
  serve: { summary: 'serve a run over HTTP: OpenAI-compatible completions, streaming, inspection views', load: () => import('./commands/serve.js') },
  sample: { summary: 'stream text from a trained run or a Hugging Face GPT-2 folder', load: () => import('./commands/sample.js') },
  eval: { summary: 'loss and perplexity of a run (or GPT-2 folder) on a data folder', load: () => import('./commands/eval.js') },
  next: { summary: 'the most likely next tokens after a prompt; candidate continuations scored', load: () => import('./commands/next.js') },
  neighbors: { summary: 'nearest tokens by cosine similarity of their embeddings', load: () => import('./commands/neighbors.js') },
  attention: { summary: 'attention heatmaps of every layer and head, and what each head does', load: () => import('./commands/attention.js') },
  lens: { summary: 'logit lens: the next token read after every layer', load: () => import('./commands/lens.js') },
  embeddings: { summary: 'token embedding maps over training, with a cohesion score', load: () => import('./commands/embeddings.js') },
  report: { summary: 'RUN/report.html: how a run learned, in one self-contained page', load: () => import('./commands/report.js') },
  export: { summary: 'write a run as a Hugging Face GPT-2 folder (for PyTorch, transformers)', load: () => import('./commands/export.js') },
  play: { summary: 'serve the browser playground (train and look inside a GPT in a web page)', load: () => import('./commands/play.js') },
  tokenizer: { summary: 'train a BPE tokenizer; encode and decode text (gpt2, char or a file)', load: () => import('./commands/tokenizer.js') },
};

/**
 * A command with subcommands (`bench train`, `tokenizer encode`): dispatches on the first word;
 * a missing or unknown one says what is wrong, then the usage of each subcommand.
 */
export function subcommands(name: string, subs: Record<string, { spec: CommandSpec; run(args: string[]): Promise<number | void> | number | void }>) {
  return async (args: string[]): Promise<number> => {
    const [sub, ...rest] = args;
    const list = Object.keys(subs);
    const usage = () => Object.values(subs).map((s) => `  npx scratchlm ${s.spec.name}${s.spec.args ? ` ${s.spec.args}` : ''} [options]   ${s.spec.summary}`).join('\n');
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      console.log(`usage:\n${usage()}\n\nRun 'npx scratchlm ${name} <${list.join('|')}> --help' for the options of each.`);
      return 0;
    }
    const s = sub === undefined ? undefined : subs[sub];
    if (!s) {
      // one line: what is wrong first, then where the usage is
      const what = sub === undefined ? `needs a subcommand` : `has no subcommand '${sub}'`;
      const expected = list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list.at(-1)}` : list[0];
      console.error(`scratchlm: ${name} ${what} (expected ${expected}); usage: ${Object.values(subs).map((x) => `npx scratchlm ${x.spec.name} [options]`).join(' | ')}; run 'npx scratchlm ${name} --help' for more`);
      return 1;
    }
    return (await s.run(rest)) ?? 0;
  };
}
