/**
 * The worker's side of the views that look inside the model: next-token probabilities,
 * attention maps, the logit lens, embedding snapshots over training (aligned PCA maps with their
 * cohesion) and probe curves. All computing is the library's (src/inspect/); this file only keeps
 * snapshots and passes results on.
 */
import {
  alignedMaps, attentionMaps, embeddingsOverTraining, logitLens, nextTokens, tokenText, type EmbeddingRows, type GPTNetwork as GPT, type Tokenizer,
} from 'scratchlm';
import type { EmbeddingView, InspectRequest, Probe, ProbePoint } from './protocol.js';

/** Rows in the embedding map: the most frequent tokens of the training text (readable labels). */
const MAP_ROWS = 160;
/** Labels the map shows at most (a run's snapshots may hold thousands of rows; cohesion uses them all). */
const SHOWN = 300;

export class Insights {
  private rows: number[] = [];
  private snaps: EmbeddingRows[] = [];
  /** The snapshots are the run's own (snapshots/ files), not taken here. */
  private fromRun = false;
  private schedule = new Set<number>();
  probes: Probe[] = [];

  constructor(
    private readonly model: GPT,
    private readonly tok: Tokenizer,
  ) {}

  /** Chooses the rows (by frequency in `ids`, else the first ids) and the log schedule of snapshots over maxIters steps. */
  start(ids: Int32Array | null, maxIters: number): void {
    const V = this.tok.vocabSize;
    const counts = new Float64Array(V);
    if (ids) for (let i = 0; i < ids.length; i++) counts[ids[i]!]!++;
    this.rows = Array.from({ length: V }, (_, i) => i).filter((i) => !ids || counts[i]! > 0).sort((a, b) => counts[b]! - counts[a]! || a - b).slice(0, MAP_ROWS).sort((a, b) => a - b);
    // step 0, then about 10 more spread evenly on a log scale, and the last step
    this.schedule = new Set([0, maxIters]);
    for (let k = 1; k <= 10; k++) this.schedule.add(Math.round(Math.pow(Math.max(2, maxIters), k / 10)));
    this.snaps = [];
    this.fromRun = false;
  }

  /** Shows these snapshots (a CLI run's, from its snapshots/ files) instead of taking them here. */
  useRunSnapshots(snaps: EmbeddingRows[]): void {
    this.snaps = snaps;
    this.fromRun = true;
  }

  /** Keeps a copy of the embedding rows when `step` is on the schedule (or `force`). */
  snapshot(step: number, force = false): void {
    if (this.fromRun || (!force && !this.schedule.has(step))) return;
    if (this.snaps.some((s) => s.step === step)) return;
    const C = this.model.config.nEmbd;
    const wte = this.model.params.get('wte.weight').data;
    const data = new Float32Array(this.rows.length * C);
    this.rows.forEach((r, i) => data.set(wte.subarray(r * C, (r + 1) * C), i * C));
    this.snaps.push({ step, ids: this.rows, cols: C, data });
  }

  /**
   * The snapshots as aligned 2-D maps with their cohesion: the same computation as
   * `scratchlm embeddings` (embeddingsOverTraining), over every row; the map shows up to SHOWN of
   * them (those in a group first).
   */
  embeddings(): EmbeddingView {
    const source = this.fromRun ? 'run' : 'page';
    if (this.snaps.length === 0) return { source, rows: 0, labels: [], groups: [], snapshots: [] };
    let e: ReturnType<typeof embeddingsOverTraining> | null = null;
    try {
      e = embeddingsOverTraining(this.snaps, this.tok);
    } catch {
      e = null; // fewer than two groups of alike tokens: maps without a cohesion score
    }
    const C = this.snaps[0]!.cols;
    const tokens = e?.tokens ?? this.snaps[0]!.ids.map((id) => tokenText(this.tok, id));
    const n = tokens.length;
    const frames = e?.frames ?? alignedMaps(this.snaps.map((s) => Float32Array.from(s.data)), n, C).map((points, i) => ({ step: this.snaps[i]!.step, points, cohesion: NaN }));
    const inGroup = (r: number) => (e ? e.groupOf[r] !== null : true);
    const shown = n <= SHOWN ? tokens.map((_, r) => r) : [...tokens.keys()].filter(inGroup).concat([...tokens.keys()].filter((r) => !inGroup(r))).slice(0, SHOWN).sort((a, b) => a - b);
    return {
      source,
      rows: n,
      labels: shown.map((r) => tokens[r]!),
      groups: shown.map((r) => (e && e.groupOf[r] !== null ? e.groupNames[e.groupOf[r]!]! : '')),
      snapshots: frames.map((f) => ({ step: f.step, cohesion: f.cohesion ?? NaN, xy: shown.flatMap((r) => [f.points[2 * r]!, f.points[2 * r + 1]!]) })),
    };
  }

  /** The probes' candidate probabilities now (recorded at each evaluation). */
  probe(step: number): ProbePoint {
    return {
      step,
      values: this.probes.map((p) => {
        try {
          return nextTokens(this.model, this.tok, p.prompt, { top: 1, candidates: p.candidates }).candidates.map((c) => c.prob);
        } catch {
          return p.candidates.map(() => NaN); // a candidate this tokenizer cannot encode
        }
      }),
    };
  }

  static answer(model: GPT, tok: Tokenizer, r: InspectRequest, self: Insights | null): unknown {
    switch (r.what) {
      case 'next':
        return nextTokens(model, tok, r.prompt, { top: Math.min(r.top, tok.vocabSize), candidates: r.candidates, temperature: r.temperature });
      case 'attention':
        return attentionMaps(model, tok, r.prompt);
      case 'lens':
        return logitLens(model, tok, r.prompt, { top: 5 });
      case 'embeddings':
        return self ? self.embeddings() : { labels: [], groups: [], snapshots: [] };
    }
  }
}
