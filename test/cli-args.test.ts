/** The shared flag parser (cli/args.ts) and every command's --help, in process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineCommand, helpText, parseCommand, UsageError } from '../cli/args.js';
import { COMMANDS } from '../cli/registry.js';
import { ScratchError } from '../src/index.js';

const spec = defineCommand({
  name: 'demo',
  summary: 'a demo',
  positionals: { max: 2, what: 'files' },
  flags: {
    bias: { type: 'boolean', doc: 'biases' },
    'max-iters': { type: 'int', min: 0, value: 'N', doc: 'steps' },
    lr: { type: 'number', min: 0, value: 'X', doc: 'rate' },
    beta: { type: 'number', min: 0, max: 1, maxExclusive: true, value: 'X', doc: 'beta' },
    kind: { type: 'string', choices: ['a', 'b', 'c'], default: 'a', doc: 'kind' },
    out: { type: 'string', value: 'DIR', doc: 'out' },
    tag: { type: 'string', multiple: true, value: 'T', doc: 'tags' },
  },
});
const parse = (...a: string[]) => parseCommand(spec, a, () => {})!;
const fails = (re: RegExp, ...a: string[]) => assert.throws(() => parse(...a), (e: Error) => e instanceof ScratchError && re.test(e.message), a.join(' '));

test('args: bare booleans, --no-x, values after a space or =, negatives, --, defaults, repeats', () => {
  assert.equal(parse('--bias').values.bias, true);
  assert.equal(parse('--no-bias').values.bias, false);
  assert.equal(parse('--bias=false').values.bias, false);
  const p = parse('--max-iters', '20', '--lr=-0', 'f1', '--out', '-odd-dir', '--tag', 'x', '--tag', 'y', '--', '--f2');
  assert.deepEqual(p.values, { 'max-iters': 20, lr: -0, out: '-odd-dir', tag: ['x', 'y'], kind: 'a' });
  assert.deepEqual(p.positionals, ['f1', '--f2']);
  assert.deepEqual([...p.given].sort(), ['lr', 'max-iters', 'out', 'tag']);
  assert.equal(parseCommand(spec, ['--help'], () => {}), null);
});

test('args: errors name the flag as typed and quote the value', () => {
  fails(/^--max-iters must be a whole number ≥ 0, got 'abc'$/, '--max-iters', 'abc');
  fails(/^--max-iters must be a whole number ≥ 0, got '2\.5'$/, '--max-iters', '2.5');
  fails(/^--max-iters must be a whole number ≥ 0, got '-3'$/, '--max-iters', '-3');
  fails(/^--lr must be a number ≥ 0, got 'NaN'$/, '--lr', 'NaN');
  fails(/^--lr must be a number ≥ 0, got '0x10'$/, '--lr', '0x10');
  fails(/^--beta must be a number ≥ 0 and < 1, got '1'$/, '--beta', '1');
  fails(/^--kind must be one of a, b, c, got 'd'$/, '--kind', 'd');
  fails(/^--out needs a value \(--out DIR\)$/, '--out');
  fails(/^--out needs a value \(--out DIR\)$/, '--out', '--bias');
  fails(/^--bias is a switch: write --bias or --no-bias, got '--bias=maybe'$/, '--bias=maybe');
  fails(/^unknown option '--max-iter'; did you mean '--max-iters'\? run 'npx scratchlm demo --help'/, '--max-iter', '3');
  fails(/^too many arguments: 'c' \(expected at most 2 files\)/, 'a', 'b', 'c');
  assert.throws(() => parse('a', '--bias', 'false', 'b'), (e: Error) => e instanceof UsageError && /'b'/.test(e.message));
});

test('every command and subcommand: --help lists each of its flags, with npx in the usage line', async () => {
  let n = 0;
  for (const [name, c] of Object.entries(COMMANDS)) {
    const mod = await c.load();
    assert.ok(mod.specs.length > 0, `${name} exports no specs`);
    for (const s of mod.specs) {
      assert.ok(s.name === name || s.name.startsWith(`${name} `), `${s.name} under ${name}`);
      const h = helpText(s);
      assert.match(h, new RegExp(`^usage: npx scratchlm ${s.name}`));
      for (const f of Object.keys(s.flags)) assert.match(h, new RegExp(`\\n  --${f}\\b`), `${s.name} --help lacks --${f}`);
      n++;
    }
  }
  assert.ok(n >= 9, `${n} specs`);
  const sample = (await COMMANDS.sample!.load()).specs[0]!;
  for (const f of ['threads', 'kernels', 'num-samples', 'prompt-file']) assert.ok(f in sample.flags, f);
});
