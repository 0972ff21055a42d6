/**
 * Attention heatmaps: for a prompt, every layer's and head's attention weights (row: the token
 * that looks, column: the token looked at), each head named by its strongest pattern with
 * TransformerLens's scores (previous token, first token, self, induction) and its entropy.
 */
import type { AttentionResult } from 'scratchlm';
import type { FromWorker } from './protocol.js';
import type { Ask, Panel } from './tabs.js';
import { drawHeatmap } from './heatmap.js';
import { el, shownToken } from './ui.js';

export class AttentionPanel implements Panel {
  readonly id = 'attention';
  readonly label = 'Attention';
  readonly root = el('div');
  private readonly prompt = el('input', { type: 'text', id: 'attn-prompt', value: 'The cat sat on the mat. The cat sat on the' });
  private readonly grid = el('div', { id: 'attn-grid', class: 'heads' });
  private readonly big = el('canvas', { id: 'attn-big', role: 'img' });
  private readonly detail = el('p', { id: 'attn-detail', role: 'status' });
  private result: AttentionResult | null = null;
  private ready = false;
  private busy = false;
  private selected: [number, number] = [0, 0];

  constructor(private readonly ask: Ask) {
    const go = el('button', { type: 'button', id: 'attn-go' }, 'Show');
    go.addEventListener('click', () => this.shown());
    this.prompt.addEventListener('keydown', (e) => e.key === 'Enter' && this.shown());
    this.root.append(
      el('p', { class: 'help' }, 'Each square: one head. Row = the token that attends, column = the token it attends to (darker = more weight, on a square-root scale; only earlier tokens can be seen). A head whose weight sits just left of the diagonal looks at the previous token; one whose weight is in the first column parks it on the first token; induction heads look at the token after an earlier copy of the current one (see them on a repeated phrase). Click a head to enlarge it.'),
      el('div', { class: 'row' }, el('label', {}, 'Prompt', this.prompt), go),
      this.grid,
      el('div', { class: 'attn-detail' }, this.big, this.detail),
    );
  }

  modelChanged(): void {
    this.ready = true;
    this.result = null;
    if (!this.root.hidden) this.shown();
  }

  message(m: FromWorker): void {
    if (m.type === 'eval' && !this.root.hidden) this.shown();
  }

  async shown(): Promise<void> {
    if (!this.ready || this.busy) return;
    this.busy = true;
    try {
      this.result = await this.ask<AttentionResult>({ what: 'attention', prompt: this.prompt.value });
      this.draw();
    } catch {
      /* shown in the error region */
    } finally {
      this.busy = false;
    }
  }

  private draw(): void {
    const r = this.result!;
    const cells: HTMLElement[] = [];
    r.weights.forEach((layer, l) => {
      const row = el('div', { class: 'layer' }, el('span', { class: 'layer-label' }, `layer ${l}`));
      layer.forEach((w, h) => {
        const info = r.heads.find((x) => x.layer === l && x.head === h);
        const c = el('canvas', { 'aria-hidden': 'true' });
        drawHeatmap(c, w, null, 110);
        const name = info ? info.label : '';
        const b = el('button', { type: 'button', class: 'head', 'data-layer': String(l), 'data-head': String(h), 'aria-label': `layer ${l} head ${h}: ${name}` }, c, el('span', {}, `L${l} H${h}`), el('span', { class: 'help' }, name));
        b.addEventListener('click', () => this.select(l, h));
        row.append(b);
      });
      cells.push(row);
    });
    this.grid.replaceChildren(...cells);
    this.select(...this.selected);
  }

  private select(l: number, h: number): void {
    const r = this.result;
    if (!r || !r.weights[l]?.[h]) [l, h] = [0, 0];
    if (!r) return;
    this.selected = [l, h];
    for (const b of this.grid.querySelectorAll<HTMLElement>('.head')) b.setAttribute('aria-pressed', String(b.dataset.layer === String(l) && b.dataset.head === String(h)));
    const labels = r.tokens.map(shownToken);
    drawHeatmap(this.big, r.weights[l]![h]!, labels, 460);
    const info = r.heads.find((x) => x.layer === l && x.head === h);
    this.big.setAttribute('aria-label', `attention of layer ${l} head ${h} over the prompt's ${labels.length} tokens`);
    this.detail.textContent = info
      ? `layer ${l} head ${h}: ${info.label}. scores: previous token ${info.scores.previous.toFixed(2)}, first token ${info.scores.first.toFixed(2)}, self ${info.scores.self.toFixed(2)}, induction ${info.scores.induction.toFixed(2)}; mean entropy ${info.entropy.toFixed(2)} nats`
      : `layer ${l} head ${h}`;
    if (r.notes.length) this.detail.textContent += ` (${r.notes.join('; ')})`;
  }
}
