/**
 * Every line of the README's shell blocks runs, in order, in one scratch folder, as a reader who
 * follows the README from the top would run them: what one line makes (data/shakespeare,
 * runs/baby, tok.json, ids.json, hf/x) is what later lines use. The scratch folder is laid out
 * like the repository's root, which the README's commands are written for: ../shared is a link
 * to the shared corpora, dist/, examples/, bench/ and native/ are links into this checkout.
 *
 * How a line is run (test/readme-shell.ts reads the blocks and starts the processes; what is run
 * and checked is here, in the open):
 *   - `npx scratchlm X`, `scratchlm X` and `node dist/cli/main.js X` run the built CLI with tiny
 *     settings set as ordinary flags (tiny() below: the README's value replaced, or the flag
 *     appended), e.g. `train` becomes 2 steps of a 1-layer, 16-wide model; `--resume` only
 *     raises --max-iters past the run's 2 steps; `--init-from` keeps the run's shape. Each must
 *     exit 0, and CHECKS asserts what its output says and the files it writes.
 *   - `serve` and `play` run (on --port 0) until they print their address; the `curl` lines that
 *     follow are sent to that address with fetch (as curl sends them: `-d` is a form-encoded POST
 *     unless `-H` says otherwise) and the responses' shapes are checked; then SIGINT, exit 0.
 *   - `torchrun` runs examples/torch_ddp_continue.py (with 2 steps) where PyTorch is installed
 *     (test/torch-python.ts), and is skipped, saying why, where it is not.
 *   - `< FILE` and `> FILE` are honoured; `[--optional ...]` groups are dropped; a command that
 *     is the same as one run before is not run twice (the reader has its result).
 *   - The files the README assumes the reader has (input.txt, corpus1.txt, ..., runs/x) are made
 *     first, as READER_HAS says.
 *   - A line that cannot run inside the suite is in NOT_RUN with its reason (the suite itself,
 *     installs, benchmarks of minutes to hours, whose numbers are in the README); the benchmark
 *     scripts are still checked to exist and to accept the README's flags. A README shell line
 *     that is neither run nor in NOT_RUN fails the test, and so does a NOT_RUN entry no line
 *     matches: a new line must be handled here.
 * test/cli-hints.test.ts checks the same lines' flags against the commands' specs; this test
 * checks that they work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CLI, REPO, SHARED } from './paths.js';
import { torchrunCommand } from './torch-python.js';
import {
  checkCompletion, curlRequest, exec, flagValue, freePort, globOne, parseShellLine, printsClaim, readmeShellLines, setFlag, startBackground, stopBackground,
  type Background, type ShellCommand,
} from './readme-shell.js';
import { parseCommand, type CommandSpec } from '../cli/args.js';
import { COMMANDS } from '../cli/registry.js';

const SHAKESPEARE = join(SHARED, 'data', 'tinyshakespeare.txt');

/** Tiny settings per command, set as flags (the README's value replaced, else appended). */
const STEPS = { 'max-iters': '2', 'eval-interval': '2', 'eval-iters': '1', 'batch-size': '2', 'sample-tokens': '8' };
const SHAPE = { 'n-layer': '1', 'n-head': '2', 'n-embd': '16', 'block-size': '16' };
function tiny(name: string, args: string[]): string[] {
  let set: Record<string, string> = {};
  if (name === 'train') set = args.includes('--resume') ? { 'max-iters': '4' } : args.includes('--init-from') ? STEPS : { ...STEPS, ...SHAPE };
  else if (name === 'sample') set = { 'max-tokens': '8' };
  else if (name === 'eval') set = { batches: '2' };
  else if (name === 'bench train') set = { iters: '2', warmup: '1' };
  // GPT-2's shape: building its 124 M random weights alone takes 10-25 s here; baby's runs the same code
  else if (name === 'bench generate') set = { tokens: '2', ...(flagValue(args, 'preset') === 'gpt2' ? { preset: 'baby' } : {}) };
  else if (name === 'serve' || name === 'play') set = { port: '0' }; // 8080 may be taken
  for (const [k, v] of Object.entries(set)) args = setFlag(args, k, v);
  return args;
}

/** What the README assumes its reader has, made before the first line runs. */
const READER_HAS: Record<string, string> = {
  'input.txt': 'the first 2,000 characters of Tiny Shakespeare ("any UTF-8 text")',
  'corpus1.txt, corpus2.txt': 'two 20 kB pieces of Tiny Shakespeare',
  'data.txt': 'its first 20 kB (every character of input.txt is in it)',
  'data/x, runs/x': "a data folder prepared from corpus1.txt and a 2-step run on it (the 'x' of `--run runs/x`)",
};

/** README lines that are not run here, and why. `check` says what is verified instead. */
interface NotRun {
  match: RegExp;
  why: string;
  check?: 'cc' | 'node-bench' | 'python-flags';
}
const NOT_RUN: NotRun[] = [
  { match: /^npm ci$/, why: 'installs the dev tools and builds dist/; the suite runs on that build' },
  { match: /^npm test$/, why: 'the whole suite, which this test is part of' },
  { match: /^npm run build$/, why: 'builds dist/, which the suite runs on' },
  { match: /^apt-get install /, why: 'installs system packages (root); the tests that need PyTorch say they skip without it' },
  { match: /^cc /, why: 'the -O3 build and the run take minutes (the numbers are in the README)', check: 'cc' },
  { match: /^\/tmp\/gemm_bench$/, why: 'times every shape, best of 7 (the README table); the compile line above is checked' },
  { match: /^node dist\/bench\/[\w-]+\.js( |$)/, why: 'a benchmark of minutes to hours (the numbers are in the README)', check: 'node-bench' },
  { match: /^\/usr\/bin\/python3 bench\/[\w-]+\.py( |$)/, why: "PyTorch's run of the recipe, minutes (the numbers are in the README)", check: 'python-flags' },
];

/** The CLI's words of a command line, or null when it is not a scratchlm command. */
function cliArgs(argv: string[]): string[] | null {
  if (argv[0] === 'npx' && argv[1] === 'scratchlm') return argv.slice(2);
  if (argv[0] === 'scratchlm') return argv.slice(1);
  if (argv[0] === 'node' && argv[1] === 'dist/cli/main.js') return argv.slice(2);
  return null;
}

let specsOnce: Promise<Map<string, CommandSpec>> | undefined;
function specs(): Promise<Map<string, CommandSpec>> {
  return (specsOnce ??= (async () => {
    const m = new Map<string, CommandSpec>();
    for (const c of Object.values(COMMANDS)) for (const s of (await c.load()).specs) m.set(s.name, s);
    return m;
  })());
}

/** 'train', 'tokenizer encode', ...: the spec's name of a CLI command line. */
async function commandName(args: string[]): Promise<string> {
  if (args[0] === undefined || args[0].startsWith('-')) return args[0] ?? '';
  const two = `${args[0]} ${args[1]}`;
  return (await specs()).has(two) ? two : args[0];
}

interface Ctx {
  dir: string;
  name: string;
  /** The command's values and positionals, read by its own parser. */
  values: Record<string, unknown>;
  positionals: string[];
  args: string[];
  /** stdout, or the file it went to. */
  stdout: string;
  stderr: string;
  encoded: Map<string, { tokenizer: string; text: string }>;
}

const json = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const isIds = (x: unknown) => Array.isArray(x) && x.length > 0 && x.every((v) => Number.isInteger(v) && v >= 0);

/** What each command's output must show. A command without an entry here fails: add one. */
const CHECKS: Record<string, (c: Ctx) => void> = {
  '--help': (c) => {
    for (const name of Object.keys(COMMANDS)) assert.match(c.stdout, new RegExp(`^  ${name} `, 'm'));
  },
  train: (c) => {
    const resumed = /^resuming (\S+) at step (\d+)/m.exec(c.stdout);
    const out = (c.values.out as string | undefined) ?? /^training into (\S+):/m.exec(c.stdout)?.[1];
    assert.ok(out, 'names its run folder');
    assert.match(c.stdout, /^done: \d+ steps in /m);
    const config = json(c.dir, join(out, 'config.json'));
    const rows = readFileSync(join(c.dir, out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const last = Math.max(...rows.map((r) => r.iter as number));
    assert.equal(last, config.maxIters, `metrics.jsonl goes to the last step (${config.maxIters})`);
    if (resumed) assert.ok(Number(resumed[2]) > 0 && Number(resumed[2]) < last, `resumed at ${resumed[2]}, trained to ${last}`);
    if (c.values['init-from']) assert.match(c.stdout, new RegExp(`^training into ${out}:`, 'm'));
    if (config.sampleTokens > 0) assert.match(c.stdout, /^sample \(npx scratchlm sample --run /m);
    if (!c.values.data && !c.values.resume) {
      // the main job: the English measure and the learning report the README describes
      assert.match(c.stdout, /^English words: \d+ % of the words/m);
      const report = /^learning report: (\S+)/m.exec(c.stdout)?.[1];
      assert.ok(report && readFileSync(join(c.dir, report), 'utf8').includes('<html'), 'the learning report is written');
    }
  },
  prepare: (c) => {
    const out = c.values.out as string;
    const meta = json(c.dir, join(out, 'meta.json'));
    assert.ok(meta.train > 0 && meta.val > 0, JSON.stringify(meta));
    for (const f of ['train.bin', 'val.bin', 'tokenizer.json']) assert.ok(statSync(join(c.dir, out, f)).size > 0, f);
    assert.match(c.stderr + c.stdout, new RegExp(`${out}: ${meta.train} train \\+ ${meta.val} val tokens`));
  },
  'tokenizer train': (c) => {
    const tok = json(c.dir, c.values.out as string);
    assert.equal(typeof tok, 'object');
    assert.match(c.stdout + c.stderr, /trained \d+ merges/);
  },
  'tokenizer encode': (c) => assert.ok(isIds(JSON.parse(c.stdout)), c.stdout.slice(0, 200)),
  'tokenizer decode': (c) => {
    assert.ok(c.stdout.length > 0);
    // ids.json came from `encode ... input.txt > ids.json`: decoding it gives input.txt back
    const from = c.encoded.get(c.positionals[0]!);
    if (from && from.tokenizer === c.values.tokenizer) assert.equal(c.stdout, from.text);
  },
  sample: (c) => {
    const prompts = (c.values.prompt as string[] | undefined) ?? [];
    const n = prompts.length * ((c.values['num-samples'] as number) ?? 1);
    if (c.values.json) {
      const rows = c.stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(rows.length, Math.max(1, n));
      for (const r of rows) {
        assert.equal(typeof r.text, 'string');
        assert.ok(r.tokens.length > 0 && r.tokens.length <= (c.values['max-tokens'] as number));
        if (c.values.logprobs) assert.equal(r.logprobs[0].top.length, c.values.logprobs);
      }
    } else if (n > 1) {
      for (const p of prompts) assert.ok(c.stdout.includes(`\n${p}`), `a sample of '${p}'`);
      assert.equal(c.stdout.match(/^--- prompt \d+, sample \d+/gm)?.length, n);
    } else if (prompts[0]) assert.ok(c.stdout.startsWith(prompts[0]) && c.stdout.trim().length > prompts[0].length, c.stdout);
  },
  eval: (c) => assert.match(c.stdout, /^train loss \d+\.\d+ {2}perplexity [\d.]+\nval {3}loss \d+\.\d+ {2}perplexity/m),
  next: (c) => {
    assert.equal(c.stdout.match(/^ {2}\d\.\d+ {2}"/gm)?.length, c.values.top);
    for (const cand of String(c.values.candidates ?? '').split('|').filter(Boolean)) assert.ok(c.stdout.includes(`"${cand}"`), `scores ${cand}`);
  },
  embeddings: (c) => assert.match(readFileSync(join(c.dir, c.values.out as string), 'utf8'), /<html[\s\S]*<svg/),
  attention: (c) => assert.match(readFileSync(join(c.dir, c.values.out as string), 'utf8'), /<html[\s\S]*<svg/),
  export: (c) => {
    const hf = c.values.hf as string;
    assert.equal(json(c.dir, join(hf, 'config.json')).model_type, 'gpt2');
    assert.ok(statSync(join(c.dir, hf, 'model.safetensors')).size > 0);
    json(c.dir, join(hf, 'tokenizer.json'));
  },
  'bench train': (c) => {
    assert.match(c.stdout, /ms/);
    if (c.values.profile) assert.match(c.stdout, /^ +matmul\w* +[\d.]+ ms/m);
  },
  'bench generate': (c) => assert.match(c.stdout, /[\d.]+ ms\/token/),
};

/** Checks of the lines in NOT_RUN that are not run. */
async function checkNotRun(kind: NotRun['check'], c: ShellCommand, dir: string): Promise<void> {
  const [cmd, ...args] = c.argv;
  if (kind === 'node-bench') {
    // the script's parseArgs refuses unknown flags; --help then exits without running anything
    const r = await exec(process.execPath, [join(dir, args[0]!), ...args.slice(1), '--help'], dir);
    assert.equal(r.code, 0, `${c.argv.join(' ')} --help: ${r.stderr}`);
    assert.match(r.stdout, /^usage: /);
  } else if (kind === 'python-flags') {
    // without starting Python (its imports take seconds, and PyTorch may be missing): the flags are the script's
    const source = readFileSync(join(dir, args[0]!), 'utf8');
    for (const f of args.filter((a) => a.startsWith('--'))) assert.ok(source.includes(`add_argument('${f}'`) || source.includes(`add_argument("${f}"`), `${args[0]} has no ${f}`);
  } else if (kind === 'cc') {
    // the sources compile (syntax and types), without the optimiser: seconds instead of a minute
    const out = args.indexOf('-o');
    const cc = out >= 0 ? [...args.slice(0, out), ...args.slice(out + 2)] : args;
    const files = cc.flatMap((a) => (a.includes('*') ? globOne(dir, a) : [a]));
    const r = await exec(cmd!, [...files, '-fsyntax-only'], dir);
    if (/^spawn \S+ ENOENT/.test(r.stderr)) return; // no C compiler here (the addon's install script allows that)
    assert.equal(r.code, 0, `${cmd} -fsyntax-only: ${r.stderr}`);
  }
}

/** The scratch folder: laid out as the repository root with ../shared beside it, and what READER_HAS lists. */
async function setUp(root: string): Promise<string> {
  symlinkSync(SHARED, join(root, 'shared'), 'dir');
  const dir = join(root, 'repo');
  mkdirSync(dir);
  for (const d of ['dist', 'examples', 'bench', 'native']) symlinkSync(join(REPO, d), join(dir, d), 'dir');
  const shk = readFileSync(SHAKESPEARE, 'utf8');
  writeFileSync(join(dir, 'input.txt'), shk.slice(0, 2000));
  writeFileSync(join(dir, 'corpus1.txt'), shk.slice(0, 20_000));
  writeFileSync(join(dir, 'corpus2.txt'), shk.slice(20_000, 40_000));
  writeFileSync(join(dir, 'data.txt'), shk.slice(0, 20_000));
  for (const args of [['prepare', 'corpus1.txt', '--out', 'data/x'], tiny('train', ['train', '--data', 'data/x', '--out', 'runs/x'])]) {
    const r = await exec(process.execPath, [CLI, ...args], dir);
    assert.equal(r.code, 0, `setting up (${args.join(' ')}): ${r.stderr}`);
  }
  return dir;
}

test('readmeShellLines and parseShellLine read the README as a shell would (joined lines, redirects, optional groups)', () => {
  const md = ['```sh', 'a --x 1 \\', '  --y "2 3"   # note', '', '```', '```js', 'scratchlm no', '```', '```sh', 'b', '```'].join('\n');
  assert.deepEqual(readmeShellLines(md), [{ line: 2, text: 'a --x 1  --y "2 3"   # note' }, { line: 10, text: 'b' }]);
  assert.deepEqual(parseShellLine('scratchlm tokenizer encode --tokenizer gpt2 input.txt > ids.json   # or read stdin'), [
    { env: {}, argv: ['scratchlm', 'tokenizer', 'encode', '--tokenizer', 'gpt2', 'input.txt'], stdout: 'ids.json' },
  ]);
  assert.deepEqual(parseShellLine("scratchlm x --t tok.json --probes 'a| b;;c' < input.txt"), [{ env: {}, argv: ['scratchlm', 'x', '--t', 'tok.json', '--probes', 'a| b;;c'], stdin: 'input.txt' }]);
  assert.deepEqual(parseShellLine(`t a.txt --out tok.json [--pattern gpt2|gpt4|REGEX] [--special '<|end]|>']... [--hf]`), [{ env: {}, argv: ['t', 'a.txt', '--out', 'tok.json'] }]);
  assert.deepEqual(parseShellLine('OMP_NUM_THREADS=1 /usr/bin/python3 b.py --seed S && npm test'), [
    { env: { OMP_NUM_THREADS: '1' }, argv: ['/usr/bin/python3', 'b.py', '--seed', 'S'] },
    { env: {}, argv: ['npm', 'test'] },
  ]);
  assert.throws(() => parseShellLine('scratchlm sample --run r | head'), /pipes/);
  assert.throws(() => parseShellLine('scratchlm sample --prompt "open'), /unclosed/);
  assert.deepEqual(setFlag(['train', '--max-iters', '3000'], 'max-iters', '4'), ['train', '--max-iters', '4']);
  assert.deepEqual(setFlag(['train'], 'max-iters', '4'), ['train', '--max-iters', '4']);
  const form = curlRequest(['curl', '-N', 'http://h:1/v1/completions', '-d', '{"a": 1}']);
  assert.deepEqual([form.url, form.init.method, form.init.headers['Content-Type']], ['http://h:1/v1/completions', 'POST', 'application/x-www-form-urlencoded']);
  assert.equal(curlRequest(['curl', 'http://h/', '-H', 'Content-Type: application/json', '-d', '{}']).init.headers['Content-Type'], 'application/json');
  assert.throws(() => curlRequest(['curl', '-X', 'PUT', 'http://h/']), /-X is not understood/);
  assert.match('serving brown (best checkpoint, step 0) at http://127.0.0.1:41234', printsClaim('serve   # prints: serving brown (...) at http://127.0.0.1:8080')!);
});

test("every line of the README's shell blocks runs, in order, with tiny settings, or NOT_RUN says why", { timeout: 400_000 }, async (t) => {
  assert.ok(existsSync(SHAKESPEARE), `the README's commands read ${SHAKESPEARE}`);
  const root = mkdtempSync(join(tmpdir(), 'scratchlm-readme-sh-'));
  const started = Date.now();
  let bg: Background | null = null;
  t.after(() => {
    bg?.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });
  const dir = await setUp(root);
  const lines = readmeShellLines(readFileSync(join(REPO, 'README.md'), 'utf8'));
  const problems: string[] = [];
  const done = new Map<string, string>(); // a command already run → where
  const encoded = new Map<string, { tokenizer: string; text: string }>(); // `encode ... > FILE`: FILE → its tokenizer and text
  const notMade = new Map<string, string>(); // what a skipped line would have written → why
  const used = new Set<NotRun>();
  const checks: Promise<void>[] = [];
  let ran = 0;

  const runCommand = async (where: string, line: string, c: ShellCommand): Promise<string> => {
    const text = c.argv.join(' ');
    const cliWords = cliArgs(c.argv);
    if (cliWords) {
      const key = JSON.stringify([cliWords, c.stdin, c.stdout]);
      if (done.has(key)) return `same as ${done.get(key)}, not run again`;
      const missing = cliWords.find((w) => notMade.has(w));
      if (missing) return `skipped: needs ${missing}, ${notMade.get(missing)}`;
      const name = await commandName(cliWords);
      const args = tiny(name, cliWords);
      const claim = printsClaim(line);
      done.set(key, where);
      ran++;
      if (name === 'serve' || name === 'play') {
        bg = await startBackground(where, name, args, dir);
        if (claim) assert.match(bg.output(), claim, `the README says it prints ${claim}`);
        if (name === 'serve') bg.model = basename(flagValue(args, 'run')!);
        else {
          assert.match(bg.url, /\/$/);
          // the playground's page, with the cross-origin isolation headers its threads need (README)
          const r = await fetch(bg.url);
          assert.equal(r.status, 200);
          assert.match(await r.text(), /<html/i);
          assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin');
          assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp');
        }
        return `started: scratchlm ${args.join(' ')} at ${bg.url}`;
      }
      const check = CHECKS[name];
      if (!check) throw new Error(`no check for 'scratchlm ${name}': add one to CHECKS`);
      const r = await exec(process.execPath, [CLI, ...args], dir, { env: c.env, stdin: c.stdin });
      assert.equal(r.code, 0, `scratchlm ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      if (c.stdout) writeFileSync(join(dir, c.stdout), r.stdout);
      if (claim) assert.match(r.stdout + r.stderr, claim, `the README says it prints ${claim}`);
      const spec = (await specs()).get(name);
      const parsed = spec ? parseCommand(spec, args.slice(name.split(' ').length), () => {}) : null;
      const values = (parsed?.values ?? {}) as Record<string, unknown>;
      const positionals = parsed?.positionals ?? [];
      check({ dir, name, values, positionals, args, stdout: r.stdout, stderr: r.stderr, encoded });
      if (name === 'tokenizer encode' && c.stdout) encoded.set(c.stdout, { tokenizer: values.tokenizer as string, text: readFileSync(join(dir, positionals[0] ?? c.stdin!), 'utf8') });
      return `ran: scratchlm ${args.join(' ')}`;
    }
    if (c.argv[0] === 'curl') {
      if (!bg) throw new Error('a curl line with no server started before it');
      const { url, init } = curlRequest(c.argv);
      const u = new URL(url);
      u.host = new URL(bg.url).host; // the README's 8080 is the port serve picked
      const res = await fetch(u, init);
      const body = await res.text();
      assert.equal(res.status, 200, body);
      checkCompletion(body, JSON.parse(String(init.body ?? '{}')), bg.model);
      ran++;
      return `ran against ${u.host}`;
    }
    if (c.argv[0] === 'torchrun') {
      const out = flagValue(c.argv, 'out');
      const torchrun = torchrunCommand();
      if (typeof torchrun === 'string') {
        if (out) notMade.set(out, `which the skipped torchrun line writes`);
        return `skipped: ${torchrun}`;
      }
      const script = c.argv.findIndex((a) => a.endsWith('.py'));
      const port = String(await freePort());
      // --master_port: a free port of our own; --monitor_interval 1: the launcher sees the workers exit within a second
      const args = [...torchrun.slice(1), '--master_port', port, '--monitor_interval', '1', ...c.argv.slice(1, script + 1), ...setFlag(c.argv.slice(script + 1), 'steps', '2')];
      const r = await exec(torchrun[0]!, args, dir, { env: { OMP_NUM_THREADS: '1', ...c.env }, timeout: 240_000 });
      assert.equal(r.code, 0, `torchrun: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      const rows = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      assert.ok(rows.some((x) => 'handover_loss' in x) && rows.some((x) => 'final_loss' in x), r.stdout);
      assert.ok(statSync(join(dir, out!, 'model.safetensors')).size > 0);
      ran++;
      return `ran: torchrun ${args.join(' ')}`;
    }
    const entry = NOT_RUN.find((e) => e.match.test(text));
    if (!entry) throw new Error('neither run by this test nor listed in NOT_RUN with a reason: handle it in test/readme-shell.test.ts');
    used.add(entry);
    if (!entry.check) return `not run: ${entry.why}`;
    // these checks read only the checkout: they run beside the lines that follow
    checks.push(checkNotRun(entry.check, c, dir).catch((e) => void problems.push(`${where}: ${text}\n    ${(e as Error).message}`)));
    return `not run, ${entry.check === 'cc' ? 'compiled with -fsyntax-only' : 'its flags checked'}: ${entry.why}`;
  };

  for (const l of lines) {
    const where = `README.md:${l.line}`;
    let commands: ShellCommand[];
    try {
      commands = parseShellLine(l.text);
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
      continue;
    }
    for (const c of commands) {
      const t0 = Date.now();
      try {
        if (bg && c.argv[0] !== 'curl') {
          problems.push(...(await stopBackground(bg)));
          bg = null;
        }
        const what = await runCommand(where, l.text, c);
        t.diagnostic(`${where} (${Date.now() - t0} ms) ${what}`);
      } catch (e) {
        t.diagnostic(`${where} (${Date.now() - t0} ms) FAILED`);
        problems.push(`${where}: ${c.argv.join(' ')}\n    ${(e as Error).message.split('\n').join('\n    ')}`);
      }
    }
  }
  if (bg) problems.push(...(await stopBackground(bg)));
  bg = null;
  await Promise.all(checks);
  for (const e of NOT_RUN) if (!used.has(e)) problems.push(`NOT_RUN entry ${e.match} matches no README line: remove it`);
  t.diagnostic(`${ran} commands ran in ${((Date.now() - started) / 1000).toFixed(1)} s; set up: ${Object.entries(READER_HAS).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
  assert.deepEqual(problems, []);
  assert.ok(ran >= 25, `only ${ran} README commands ran`);
});
