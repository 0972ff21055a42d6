/**
 * `scratchlm report`: reads a run folder (checkpoint, metrics.jsonl, snapshots/) and writes
 * RUN/report.html, one self-contained file (see inspect/report.ts for what it shows).
 */
import { ScratchError } from '../core/errors.js';
import type { Backend } from '../kernels/types.js';
import { generateText } from '../generate/text.js';
import { attentionMaps } from '../inspect/attention.js';
import { embeddingsOverTraining, type EmbeddingsOverTraining } from '../inspect/embeddings.js';
import type { HeadReport } from '../inspect/heads.js';
import { logitLens } from '../inspect/lens.js';
import { nextTokens } from '../inspect/next.js';
import { parseProbes } from '../inspect/probes.js';
import { reportHtml } from '../inspect/report.js';
import { unencodable } from '../inspect/vocab.js';
import { readMetrics, writeRunFile } from '../io/run-files.js';
import { readEmbeddingSnapshot, readSnapshotIndex } from '../io/snapshot-files.js';
import { loadRun, type LoadedRun } from './run-load.js';

/** Options of the run report (`npx scratchlm report`). */
export interface RunReportOptions {
  backend: Backend;
  checkpoint?: 'best' | 'latest';
  /** The prompt of the heatmaps, logit lens and next-token table (default: the first probe's, else the sample's start). */
  prompt?: string;
  /** Groups for the cohesion score (parseGroups's syntax); default groups otherwise. */
  groups?: string;
  sampleTokens?: number;
  seed?: number;
}

/** How to get snapshots, for a run that has none. */
export const NO_SNAPSHOTS = 'this run has no embedding snapshots (snapshots/index.jsonl): they are taken while training, on by default since the snapshots setting came in; train again (e.g. with --snapshots 10) to get them';

/** The embeddings over training of a run folder, or null when it has no snapshots. */
export function runEmbeddings(run: LoadedRun, groups?: string): EmbeddingsOverTraining | null {
  const index = readSnapshotIndex(run.dir);
  if (!index.length) return null;
  return embeddingsOverTraining(index.map((e) => readEmbeddingSnapshot(run.dir, e)), run.tokenizer, groups);
}

/** Head scores at every snapshot of a run folder. */
export function runHeadsOverTime(dir: string): { step: number; heads: HeadReport[] }[] {
  return readSnapshotIndex(dir).filter((e) => e.heads.length).map((e) => ({ step: e.step, heads: e.heads as HeadReport[] }));
}

/** Writes RUN/report.html; returns its path. */
export function writeRunReport(dir: string, opts: RunReportOptions): string {
  const run = loadRun(dir, { backend: opts.backend, checkpoint: opts.checkpoint });
  const meta = run.meta;
  if (!meta) throw new ScratchError(`${dir} is a Hugging Face GPT-2 folder, not a run folder: a learning report reads a run's metrics.jsonl and snapshots/ (train one with npx scratchlm train --out DIR)`);
  const { model, tokenizer: tok, config } = run;
  const m = config.model;
  const probes = parseProbes(config.train.probes);
  const sampleGen = generateText(model, tok, { maxTokens: opts.sampleTokens ?? 300, seed: opts.seed ?? config.train.seed });
  const sampleText = [...sampleGen].join('');
  let prompt = opts.prompt ?? probes[0]?.prompt;
  if (prompt === undefined) {
    prompt = [...sampleText].slice(0, 48).join('');
    if (prompt.trim() === '' || unencodable(tok, prompt).length) prompt = '';
  }
  if (opts.prompt !== undefined && opts.prompt === '') throw new ScratchError('--prompt is empty; give the text whose attention and next tokens the report shows');
  let embeddings: EmbeddingsOverTraining | null = null;
  let missing: string | undefined;
  embeddings = runEmbeddings(run, opts.groups);
  if (!embeddings) missing = NO_SNAPSHOTS;
  const html = reportHtml({
    title: `scratchlm learning report: ${dir}`,
    summary: `${m.nLayer} layers, ${m.nHead} heads, ${m.nEmbd} wide, context ${m.blockSize}; ${tok.kind} tokenizer (${m.vocabSize} ids); checkpoint '${run.checkpoint}' at step ${meta.step}` +
      `${meta.valLoss !== null ? `, val loss ${meta.valLoss.toFixed(4)}` : ''}.`,
    metrics: readMetrics(dir),
    embeddings,
    embeddingsMissing: missing,
    headsOverTime: runHeadsOverTime(dir),
    attention: prompt ? attentionMaps(model, tok, prompt) : null,
    lens: prompt ? logitLens(model, tok, prompt) : null,
    next: prompt ? nextTokens(model, tok, prompt, { top: 10, candidates: probes.find((p) => p.prompt === prompt)?.candidates }) : null,
    sample: { prompt: '', text: sampleText },
  });
  writeRunFile(dir, 'report.html', html);
  return `${dir.replace(/\/+$/, '')}/report.html`;
}
