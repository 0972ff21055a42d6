/**
 * metrics.jsonl as text (browser-safe): a run folder's log of logged steps and evaluations, and
 * the learning curves in it (train loss per logged step, train/val loss per evaluation, each
 * probe's candidate probabilities per evaluation). The CLI writes it (src/io/run-files.ts); the
 * playground reads it to show a CLI run's own curves.
 */
import { isObject, parseJsonLines } from './jsonl.js';

/** One line of metrics.jsonl: a logged step, or an evaluation (`eval: true`). */
export interface MetricsRecord {
  iter: number;
  [key: string]: number | boolean | string | readonly object[];
}

/** The records of a metrics.jsonl text; lines that do not parse (cut by a crash, an edit) are skipped. */
export function parseMetrics(text: string): MetricsRecord[] {
  // a record is an object with a step number; anything else is skipped
  return parseJsonLines(text, (v): v is MetricsRecord => isObject(v) && Number.isFinite(v.iter));
}

/** A run's learning curves, as `learningCurves` reads them from its metrics records. */
export interface LearningCurves {
  /** [step, train loss] of every logged step, in step order. */
  train: [number, number][];
  /** Every evaluation: step, train and val loss (estimates over eval batches). */
  evals: { iter: number; train: number; val: number }[];
  /** The probes recorded at evaluations: each prompt and its candidates, from the first record that has them. */
  probes: { prompt: string; candidates: string[] }[];
  /** Per evaluation with probes: its step and [probe][candidate] probability (NaN where missing). */
  probePoints: { step: number; values: number[][] }[];
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);

/** The learning curves in metrics records (a resumed run's file holds each step once: the CLI truncates it on resume). */
export function learningCurves(records: readonly MetricsRecord[]): LearningCurves {
  const sorted = [...records].sort((a, b) => a.iter - b.iter || (a.eval ? -1 : 0) - (b.eval ? -1 : 0));
  const out: LearningCurves = { train: [], evals: [], probes: [], probePoints: [] };
  for (const r of sorted) {
    if (r.eval === true) {
      out.evals.push({ iter: r.iter, train: num(r.train_loss), val: num(r.val_loss) });
      const probes = Array.isArray(r.probes) ? (r.probes as { prompt?: unknown; candidates?: { text?: unknown; prob?: unknown }[] }[]) : null;
      if (!probes) continue;
      if (out.probes.length === 0) {
        out.probes = probes.map((p) => ({ prompt: String(p.prompt ?? ''), candidates: (Array.isArray(p.candidates) ? p.candidates : []).map((c) => String(c.text ?? '')) }));
      }
      // values follow the first record's probes by prompt and candidate text (a resumed run may have changed them)
      const values = out.probes.map((p) => {
        const got = probes.find((q) => q.prompt === p.prompt);
        return p.candidates.map((c) => num((Array.isArray(got?.candidates) ? got.candidates : []).find((x) => x.text === c)?.prob));
      });
      out.probePoints.push({ step: r.iter, values });
    } else if (typeof r.train_loss === 'number') {
      out.train.push([r.iter, r.train_loss]);
    }
  }
  return out;
}
