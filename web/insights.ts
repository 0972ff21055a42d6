/**
 * The worker's side of the views that look inside the model: next-token probabilities,
 * attention maps, the logit lens, embedding snapshots over training (aligned PCA maps with their
 * cohesion) and probe curves. All computing is the library's (src/inspect/); this file only keeps
 * snapshots and passes results on.
 */
import {
  alignedMaps, attentionMaps, cohesion, defaultGroups, logitLens, nextTokens, tokenText, type GPT, type Tokenizer,
} from 'scratchlm';
import type { EmbeddingView, InspectRequest, Probe, ProbePoint } from './protocol.js';

/** Rows in the embedding map: the most frequent tokens of the training text (readable labels). */
const MAP_ROWS = 160;

export class Insights {
  private rows: number[] = [];
  private snaps: { step: number; data: Float32Array }[] = [];
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
  }

  /** Keeps a copy of the embedding rows when `step` is on the schedule (or `force`). */
  snapshot(step: number, force = false): void {
    if (!force && !this.schedule.has(step)) return;
    if (this.snaps.some((s) => s.step === step)) return;
    const C = this.model.config.nEmbd;
    const wte = this.model.params.get('wte.weight').data;
    const data = new Float32Array(this.rows.length * C);
    this.rows.forEach((r, i) => data.set(wte.subarray(r * C, (r + 1) * C), i * C));
    this.snaps.push({ step, data });
  }

  embeddings(): EmbeddingView {
    const C = this.model.config.nEmbd;
    const labels = this.rows.map((id) => tokenText(this.tok, id));
    const groups = defaultGroups(labels, this.tok.kind);
    const groupOf = labels.map(() => '');
    for (const g of groups) for (const r of g.rows) groupOf[r] = g.name;
    const maps = alignedMaps(this.snaps.map((s) => s.data), this.rows.length, C);
    return {
      labels,
      groups: groupOf,
      snapshots: this.snaps.map((s, i) => ({ step: s.step, xy: Array.from(maps[i]!), cohesion: cohesion(s.data, C, groups).score })),
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
