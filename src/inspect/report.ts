/**
 * The learning report: one self-contained HTML file (inline SVG, no scripts, no network) that
 * shows how a run learned: loss curves, probe curves, the embedding map over time with its
 * cohesion, head scores over time, attention heatmaps and the logit lens for a prompt, a sample.
 * A pure function of the data; the run folder is read by train/run-report.ts.
 */
import type { AttentionResult } from './attention.js';
import type { EmbeddingsOverTraining } from './embeddings.js';
import { embeddingsSvg } from './embeddings.js';
import type { HeadReport } from './heads.js';
import type { LensResult } from './lens.js';
import type { NextResult } from './next.js';
import type { ProbeResult } from './probes.js';
import { attentionSvg, esc, htmlPage, lineChart, PALETTE, showToken, type Series } from './svg.js';

/** What the learning report is made from: the run's summary, metrics, snapshots and inspection results. */
export interface ReportInput {
  title: string;
  /** One line about the model and the run (shape, tokenizer, steps). */
  summary: string;
  /** metrics.jsonl records. */
  metrics: readonly Record<string, unknown>[];
  embeddings: EmbeddingsOverTraining | null;
  /** Why there are none (when embeddings is null). */
  embeddingsMissing?: string;
  headsOverTime: readonly { step: number; heads: readonly HeadReport[] }[];
  attention: AttentionResult | null;
  lens: LensResult | null;
  next: NextResult | null;
  sample: { prompt: string; text: string } | null;
}

const SCORE_KINDS = ['previous', 'first', 'self', 'induction'] as const;

function lossSection(metrics: ReportInput['metrics']): string {
  const train: [number, number][] = [], evalTrain: [number, number][] = [], val: [number, number][] = [];
  for (const r of metrics) {
    const it = r.iter as number;
    if (r.eval) {
      if (typeof r.train_loss === 'number') evalTrain.push([it, r.train_loss]);
      if (typeof r.val_loss === 'number') val.push([it, r.val_loss]);
    } else if (typeof r.train_loss === 'number') train.push([it, r.train_loss]);
  }
  if (!train.length && !val.length) return '<p class="note">metrics.jsonl has no losses yet.</p>';
  const series: Series[] = [
    { name: 'train (each logged step)', color: '#9ecae1', points: train, width: 1 },
    { name: 'train (evaluation)', color: '#1f77b4', points: evalTrain, width: 2 },
    { name: 'val (evaluation)', color: '#d62728', points: val, width: 2 },
  ];
  return lineChart(series, { title: 'loss', xLabel: 'step', yLabel: 'cross-entropy (nats)', width: 760, dots: false });
}

function probeSection(metrics: ReportInput['metrics']): string {
  const recs = metrics.filter((r) => r.eval && Array.isArray(r.probes));
  if (!recs.length) return '<p class="note">No probes in this run. Name some with the <code>probes</code> setting, e.g. <code>--probes "I drink coffee every| morning| elephant"</code>.</p>';
  const first = recs[0]!.probes as ProbeResult[];
  const parts: string[] = [];
  first.forEach((p, pi) => {
    const series: Series[] = p.candidates.map((c, ci) => ({
      name: JSON.stringify(c.text),
      color: PALETTE[ci % PALETTE.length],
      points: recs.map((r) => [r.iter as number, (r.probes as ProbeResult[])[pi]?.candidates[ci]?.logprob ?? NaN] as [number, number]),
      width: 2,
    }));
    parts.push(lineChart(series, { title: `${JSON.stringify(p.prompt)} → …`, xLabel: 'step', yLabel: 'log-probability of the continuation', width: 620, height: 280, dots: true }));
  });
  const last = recs[recs.length - 1]!;
  const rows = (last.probes as ProbeResult[]).flatMap((p) =>
    p.candidates.map((c) => `<tr><td class="l">${esc(JSON.stringify(p.prompt))}</td><td class="l">${esc(JSON.stringify(c.text))}</td><td>${c.prob.toExponential(3)}</td><td>${c.logprob.toFixed(3)}</td></tr>`),
  );
  return parts.join('\n') + `<p>At step ${last.iter as number}:</p><table><tr><th class="l">prompt</th><th class="l">continuation</th><th>probability</th><th>log-probability</th></tr>${rows.join('')}</table>`;
}

function headsOverTimeSection(hot: ReportInput['headsOverTime']): string {
  if (!hot.length) return '<p class="note">No snapshots: head scores over training come from snapshots (the <code>snapshots</code> setting, on by default).</p>';
  const heads = hot[hot.length - 1]!.heads;
  const charts = SCORE_KINDS.map((kind) => {
    const series: Series[] = heads.map((h, i) => ({
      name: `L${h.layer} H${h.head}`,
      color: PALETTE[h.layer % PALETTE.length],
      dash: i % 2 === 1,
      points: hot.map((s) => [s.step, s.heads.find((x) => x.layer === h.layer && x.head === h.head)?.scores[kind] ?? NaN] as [number, number]),
      width: 1.2,
    }));
    return lineChart(series, { title: `${kind} score of every head`, xLabel: 'step', yLabel: 'score', width: 620, height: 280, yMin: 0, yMax: 1, logX: true, dots: true, legend: heads.length <= 14 });
  });
  const last = hot[hot.length - 1]!;
  const rows = last.heads.map((h) => `<tr><td>${h.layer}</td><td>${h.head}</td>${SCORE_KINDS.map((k) => `<td>${h.scores[k].toFixed(3)}</td>`).join('')}<td>${h.entropy.toFixed(3)}</td><td class="l">${esc(h.label)}</td></tr>`);
  return charts.join('\n') + `<p>At step ${last.step}:</p><table><tr><th>layer</th><th>head</th>${SCORE_KINDS.map((k) => `<th>${k}</th>`).join('')}<th>entropy</th><th class="l">label</th></tr>${rows.join('')}</table>`;
}

function lensSection(l: LensResult): string {
  const rows = l.layers.map((x) => `<tr><td class="l">${esc(x.name)}</td><td class="l"><code>${esc(JSON.stringify(x.token))}</code></td><td>${x.prob.toFixed(4)}</td><td class="l">${x.top.slice(1).map((t) => `${esc(JSON.stringify(t.token))} ${t.prob.toFixed(3)}`).join(', ')}</td></tr>`);
  return `<p>Next token after ${esc(JSON.stringify(l.prompt))}, read from the residual stream after each layer through the model's final norm and LM head:</p><table><tr><th class="l">layer</th><th class="l">top token</th><th>probability</th><th class="l">next most likely</th></tr>${rows.join('')}</table>`;
}

function nextSection(n: NextResult): string {
  const top = n.top.map((t) => `<tr><td class="l"><code>${esc(JSON.stringify(t.token))}</code></td><td>${t.prob.toFixed(4)}</td></tr>`).join('');
  const cands = n.candidates.map((c) => `<tr><td class="l"><code>${esc(JSON.stringify(c.text))}</code></td><td>${c.prob.toExponential(3)}</td><td>${c.logprob.toFixed(3)}</td><td>${c.rank}</td></tr>`).join('');
  return `<p>After ${esc(JSON.stringify(n.prompt))}:</p><table><tr><th class="l">next token</th><th>probability</th></tr>${top}</table>` +
    (cands ? `<p>Continuations, scored token by token:</p><table><tr><th class="l">continuation</th><th>probability</th><th>log-probability</th><th>rank of first token</th></tr>${cands}</table>` : '');
}

/** The report as one HTML string. */
export function reportHtml(d: ReportInput): string {
  const b: string[] = [];
  b.push(`<h1>${esc(d.title)}</h1><p>${esc(d.summary)}</p>`);
  b.push(`<h2>Loss</h2>${lossSection(d.metrics)}`);
  b.push(`<h2>What comes next: probes during training</h2>${probeSection(d.metrics)}`);
  b.push('<h2>Token embeddings over training</h2>');
  if (d.embeddings) {
    const e = d.embeddings.result;
    b.push(`<p>Cohesion = mean cosine similarity of embeddings within groups minus between groups (${e.groups.map((g) => `${esc(g.name)}: ${g.tokens.length}`).join(', ')} tokens). Near 0: no structure; higher: alike tokens sit together.</p>`);
    b.push(lineChart([{ name: 'cohesion', points: e.snapshots.map((s) => [s.step, s.cohesion] as [number, number]), width: 2 }], { title: 'cohesion of token groups', xLabel: 'step', yLabel: 'within − between', width: 620, height: 260, logX: true, dots: true, legend: false }));
    b.push(`<table><tr><th>step</th>${e.snapshots.map((s) => `<td>${s.step}</td>`).join('')}</tr><tr><th>cohesion</th>${e.snapshots.map((s) => `<td>${s.cohesion.toFixed(3)}</td>`).join('')}</tr></table>`);
    b.push(embeddingsSvg(d.embeddings));
  } else b.push(`<p class="note">${esc(d.embeddingsMissing ?? 'No embedding snapshots.')}</p>`);
  b.push(`<h2>Attention heads over training</h2>${headsOverTimeSection(d.headsOverTime)}`);
  if (d.attention) b.push(`<h2>Attention over a prompt (final model)</h2>${attentionSvg(d.attention)}`);
  if (d.lens) b.push(`<h2>Logit lens</h2>${lensSection(d.lens)}`);
  if (d.next) b.push(`<h2>Next-token probabilities</h2>${nextSection(d.next)}`);
  if (d.sample) b.push(`<h2>A sample</h2><pre>${esc(d.sample.prompt)}<b>${esc(d.sample.text)}</b></pre>`);
  return htmlPage(d.title, b.join('\n'));
}
