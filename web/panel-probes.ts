/**
 * Probe curves: at every evaluation the worker scores each probe's candidate continuations; the
 * chart shows their probabilities over training ("I drink coffee every" → " morning" should
 * climb above " elephant" as the model learns English).
 */
import uPlot from 'uplot';
import type { FromWorker, Probe, ProbePoint } from './protocol.js';
import type { Panel, Send } from './tabs.js';
import { el } from './ui.js';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

export class ProbesPanel implements Panel {
  readonly id = 'probes';
  readonly label = 'Probes';
  readonly root = el('div');
  private readonly spec = el('textarea', { id: 'probe-spec', rows: '3', 'aria-describedby': 'probe-help' });
  private readonly host = el('div', { id: 'probe-chart', role: 'img', 'aria-label': 'Probability of each probe continuation at each evaluation' });
  private readonly table = el('div', { id: 'probe-table' });
  private probes: Probe[] = [];
  private points: ProbePoint[] = [];
  private plot: uPlot | null = null;
  /** Where the points come from, for the caption ('' for this page's training). */
  private source = '';

  constructor(private readonly send: Send) {
    this.spec.value = 'I drink coffee every => morning| elephant\nThe United => States| Kingdom| banana';
    const apply = el('button', { type: 'button', id: 'probe-apply' }, 'Use these probes');
    apply.addEventListener('click', () => this.apply());
    this.root.append(
      el('label', { class: 'wide' }, 'Probes: one per line, prompt => candidate| candidate', this.spec),
      el('p', { class: 'help', id: 'probe-help' }, 'Recorded at every evaluation from the next build on (or now, if set before training starts). The candidates start with a space where a word follows one.'),
      el('div', { class: 'buttons' }, apply),
      this.host,
      this.table,
    );
    this.apply();
  }

  private apply(): void {
    this.probes = this.spec.value
      .split('\n')
      .map((l) => l.split('=>'))
      .filter((p) => p.length === 2 && p[0]!.trim())
      .map(([prompt, c]) => ({ prompt: prompt!.trim(), candidates: c!.split('|').map((x) => (x.startsWith(' ') ? x : ` ${x}`).replace(/\s+$/, '')).filter((x) => x.trim()) }));
    this.send({ type: 'probes', probes: this.probes });
  }

  modelChanged(): void {
    this.points = [];
    this.source = '';
    this.draw();
  }

  /** A CLI run's probes and their values at each of its evaluations (metrics.jsonl). */
  showRun(probes: Probe[], points: ProbePoint[]): void {
    if (probes.length === 0) return; // the run recorded none: keep the page's own
    this.probes = probes;
    this.points = [...points];
    this.source = " (the run's own, from its metrics.jsonl)";
    this.spec.value = probes.map((p) => `${p.prompt} =>${p.candidates.join('|')}`).join('\n');
    if (!this.root.hidden) this.draw();
  }

  message(m: FromWorker): void {
    if (m.type !== 'probe') return;
    this.probes = m.probes;
    this.points.push(m.point);
    if (!this.root.hidden) this.draw();
  }

  shown(): void {
    this.draw();
  }

  private draw(): void {
    const series: uPlot.Series[] = [{ label: 'step' }];
    const data: (number | null)[][] = [this.points.map((p) => p.step)];
    let c = 0;
    this.probes.forEach((p, i) =>
      p.candidates.forEach((cand, j) => {
        series.push({ label: `${p.prompt} →${cand}`, stroke: COLORS[c++ % COLORS.length], width: 2, points: { show: true, size: 5 } });
        data.push(this.points.map((pt) => { const v = pt.values[i]?.[j]; return v === undefined || !(v > 0) ? null : v; }));
      }),
    );
    this.plot?.destroy();
    this.plot = new uPlot({ width: Math.max(320, this.host.clientWidth || 640), height: 260, scales: { x: { time: false }, y: { distr: 3 } }, axes: [{ label: 'step' }, { label: 'probability (log scale)', size: 70, values: (_u, splits) => splits.map((v) => (v == null ? '' : v.toExponential(0))) }], series }, data as uPlot.AlignedData, this.host);
    const last = this.points.at(-1);
    this.table.replaceChildren(
      ...(last
        ? [el('table', { class: 'probs', id: 'probe-last' }, el('caption', {}, `at step ${last.step}${this.source}`), el('tbody', {}, ...this.probes.flatMap((p, i) => p.candidates.map((cand, j) => el('tr', { 'data-prob': String(last.values[i]?.[j] ?? NaN) }, el('th', { scope: 'row' }, `${p.prompt} →${cand}`), el('td', {}, (last.values[i]?.[j] ?? NaN).toExponential(2)))))))]
        : [el('p', { class: 'help' }, 'no evaluations recorded yet')]),
    );
  }
}
