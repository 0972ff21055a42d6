/**
 * The embedding map: the token embeddings of the most frequent tokens projected to 2-D (PCA),
 * each snapshot turned onto the one before so the map does not flip, animated across the
 * snapshots taken during training, with the cohesion score (mean cosine similarity within groups
 * of alike tokens minus between groups: near 0 at random, higher as alike tokens gather).
 */
import type { EmbeddingView, FromWorker } from './protocol.js';
import type { Ask, Panel } from './tabs.js';
import { el, shownToken } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f', '#a16207', '#475569'];
const W = 640, H = 420;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export class EmbeddingsPanel implements Panel {
  readonly id = 'embeddings';
  readonly label = 'Embeddings';
  readonly root = el('div');
  private readonly map = svg('svg', { id: 'emb-map', viewBox: `0 0 ${W} ${H}`, role: 'img', width: String(W), height: String(H) });
  private readonly slider = el('input', { type: 'range', id: 'emb-step', min: '0', max: '0', value: '0', 'aria-label': 'Snapshot' });
  private readonly play = el('button', { type: 'button', id: 'emb-play' }, 'Play');
  private readonly caption = el('p', { id: 'emb-caption', role: 'status' });
  private readonly legend = el('p', { class: 'legend' });
  private view: EmbeddingView | null = null;
  private dots: SVGGElement[] = [];
  private ready = false;
  private timer = 0;

  constructor(private readonly ask: Ask) {
    const refresh = el('button', { type: 'button', id: 'emb-refresh' }, 'Refresh');
    refresh.addEventListener('click', () => this.shown());
    this.slider.addEventListener('input', () => this.show(Number(this.slider.value)));
    this.play.addEventListener('click', () => this.toggle());
    this.root.append(
      el('p', { class: 'help' }, 'Each label is a token, placed by the first two principal components of its embedding vector; colours are groups of alike tokens (for characters: lowercase, uppercase, digits, punctuation, whitespace). At step 0 the vectors are random; as the model learns, tokens used in similar places move together. Cohesion (within-group minus between-group cosine similarity) puts a number on it.'),
      el('div', { class: 'row' }, el('label', {}, 'Snapshot', this.slider), this.play, refresh),
      this.caption,
      this.map,
      this.legend,
    );
  }

  modelChanged(): void {
    this.ready = true;
    this.view = null;
    if (!this.root.hidden) this.shown();
  }

  message(m: FromWorker): void {
    if (m.type === 'state' && !m.running && !this.root.hidden) this.shown();
  }

  async shown(): Promise<void> {
    if (!this.ready) return;
    try {
      this.view = await this.ask<EmbeddingView>({ what: 'embeddings' });
    } catch {
      return;
    }
    this.build();
  }

  private build(): void {
    const v = this.view!;
    const groups = [...new Set(v.groups.filter(Boolean))];
    this.map.replaceChildren();
    this.dots = v.labels.map((label, i) => {
      const g = svg('g', { class: 'dot' });
      const t = svg('text', { 'text-anchor': 'middle', 'dominant-baseline': 'middle', fill: COLORS[groups.indexOf(v.groups[i]!) % COLORS.length] ?? '#6b7280' });
      t.textContent = shownToken(label);
      g.append(t);
      this.map.append(g);
      return g;
    });
    this.legend.replaceChildren(...groups.map((name, k) => el('span', { style: `color:${COLORS[k % COLORS.length]}` }, `■ ${name} `)));
    this.slider.max = String(Math.max(0, v.snapshots.length - 1));
    this.slider.value = this.slider.max;
    this.show(v.snapshots.length - 1);
  }

  /** Places the labels at snapshot k (CSS moves them there smoothly). */
  private show(k: number): void {
    const v = this.view;
    const s = v?.snapshots[k];
    if (!v || !s) {
      this.caption.textContent = 'no snapshots yet';
      return;
    }
    // the maps have unit RMS: ±2.5 covers nearly every point
    const sx = W / 5, sy = H / 5;
    this.dots.forEach((g, i) => {
      const x = Math.max(8, Math.min(W - 8, W / 2 + s.xy[2 * i]! * sx));
      const y = Math.max(8, Math.min(H - 8, H / 2 - s.xy[2 * i + 1]! * sy));
      g.setAttribute('transform', `translate(${x.toFixed(1)} ${y.toFixed(1)})`);
    });
    const from = v.source === 'run' ? "the run's own snapshots (its snapshots/ files)" : 'snapshots taken in this page';
    const rows = v.rows > v.labels.length ? `; ${v.labels.length} of its ${v.rows} tokens shown, cohesion over all` : '';
    this.caption.textContent = `step ${s.step} (snapshot ${k + 1} of ${v.snapshots.length}, ${from}${rows}): cohesion ${s.cohesion.toFixed(3)}; first snapshot ${v.snapshots[0]!.cohesion.toFixed(3)}`;
    this.caption.dataset.cohesion = String(s.cohesion);
    this.caption.dataset.step = String(s.step);
    this.caption.dataset.source = v.source;
    this.caption.dataset.curve = JSON.stringify(v.snapshots.map((x) => [x.step, x.cohesion]));
    this.map.setAttribute('aria-label', `Map of ${v.labels.length} token embeddings at step ${s.step}, cohesion ${s.cohesion.toFixed(3)}`);
  }

  private toggle(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = 0;
      this.play.textContent = 'Play';
      return;
    }
    const n = this.view?.snapshots.length ?? 0;
    if (n < 2) return;
    let k = 0;
    this.play.textContent = 'Stop';
    this.show(0);
    this.slider.value = '0';
    this.timer = window.setInterval(() => {
      k = (k + 1) % n;
      this.slider.value = String(k);
      this.show(k);
    }, 900);
  }
}
