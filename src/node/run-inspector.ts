/**
 * What a training run keeps for inspection, hung off the trainer's step and evaluation callbacks:
 * embedding and head-score snapshots on a log schedule (RUN/snapshots/), and the probes' scores
 * at every evaluation (returned for metrics.jsonl). Inspection runs without dropout and draws
 * from no generator, so a run's losses are the same with it or without.
 */
import type { Rng } from '../core/rng.js';
import type { GPT } from '../model/gpt.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { headScores } from '../inspect/heads.js';
import { checkProbes, parseProbes, runProbes, type Probe, type ProbeResult } from '../inspect/probes.js';
import { pickRows, snapshotIds, snapshotRowLimit, snapshotSchedule } from '../inspect/snapshot.js';
import { readSnapshotIndex, truncateSnapshots, writeSnapshot } from '../io/snapshot-files.js';
import type { TokenSource } from '../train/batches.js';
import type { RunConfig } from '../train/config.js';

/** Token counts over up to `budget` tokens of a source, read as 64 evenly spaced pieces. */
export function tokenCounts(src: TokenSource, V: number, budget = 1 << 22): Float64Array {
  const counts = new Float64Array(V);
  const pieces = 64;
  const len = Math.min(src.count, Math.floor(budget / pieces));
  if (len <= 0) return counts;
  const buf = new Int32Array(len);
  for (let p = 0; p < pieces; p++) {
    const start = Math.floor(((src.count - len) * p) / Math.max(1, pieces - 1));
    src.read(start, len, buf);
    for (const id of buf) if (id >= 0 && id < V) counts[id]++;
    if (src.count <= len) break;
  }
  return counts;
}

/** Takes a run's inspection snapshots and probe scores as it trains (see the file's header). */
export class RunInspector {
  private readonly schedule: Set<number>;
  private readonly taken = new Set<number>();
  private readonly probes: Probe[];
  private readonly ids: number[];
  private readonly textIds: number[];

  constructor(
    private readonly dir: string,
    private readonly model: GPT,
    private readonly tok: Tokenizer,
    config: RunConfig,
    data: { train: TokenSource; val: TokenSource },
    startIter: number,
    private readonly dropoutRng: Rng,
  ) {
    const { maxIters, snapshots, probes } = config.train;
    this.probes = parseProbes(probes);
    checkProbes(tok, this.probes);
    this.schedule = new Set(snapshots > 0 ? snapshotSchedule(maxIters, snapshots) : []);
    const { vocabSize: V, nEmbd: C, blockSize } = config.model;
    const limit = snapshotRowLimit(V, C);
    this.ids = snapshotIds(V, limit, V > limit ? tokenCounts(data.train, V) : undefined);
    // the text the head scores read: the start of the validation split, up to 64 tokens
    const n = Math.min(blockSize, 64, data.val.count);
    const buf = new Int32Array(n);
    data.val.read(0, n, buf);
    this.textIds = [...buf];
    truncateSnapshots(dir, startIter);
    for (const e of readSnapshotIndex(dir)) this.taken.add(e.step);
  }

  /** The steps snapshots are taken at. */
  get steps(): number[] {
    return [...this.schedule].sort((a, b) => a - b);
  }

  /** After a step: `steps` steps have been taken. */
  afterStep(steps: number): void {
    this.maybeSnapshot(steps);
  }

  /** At an evaluation (before step `iter`): a snapshot when due, and the probes' scores. */
  onEval(iter: number): ProbeResult[] | null {
    this.maybeSnapshot(iter);
    if (this.probes.length === 0) return null;
    try {
      return runProbes(this.model, this.tok, this.probes);
    } finally {
      this.model.train(this.dropoutRng);
    }
  }

  private maybeSnapshot(step: number): void {
    if (!this.schedule.has(step) || this.taken.has(step)) return;
    this.taken.add(step);
    try {
      const C = this.model.config.nEmbd;
      const rows = pickRows(this.model.params.get('wte.weight').data, C, this.ids);
      const heads = this.textIds.length >= 2 ? headScores(this.model, this.textIds) : [];
      writeSnapshot(this.dir, step, { ids: this.ids, data: rows, cols: C }, heads);
    } finally {
      this.model.train(this.dropoutRng);
    }
  }
}
