/** The logit lens: the next token the model would predict if it stopped after each layer. */
import type { LensResult } from 'scratchlm';
import type { FromWorker } from './protocol.js';
import type { Ask, Panel } from './tabs.js';
import { bar, el, shownToken } from './ui.js';

export class LensPanel implements Panel {
  readonly id = 'lens';
  readonly label = 'Logit lens';
  readonly root = el('div');
  private readonly prompt = el('input', { type: 'text', id: 'lens-prompt', value: 'The ' });
  private readonly out = el('div', { id: 'lens-out' });
  private ready = false;
  private busy = false;

  constructor(private readonly ask: Ask) {
    const go = el('button', { type: 'button', id: 'lens-go' }, 'Show');
    go.addEventListener('click', () => this.shown());
    this.prompt.addEventListener('keydown', (e) => e.key === 'Enter' && this.shown());
    this.root.append(
      el('p', { class: 'help' }, "The residual stream after the embedding and after each block, read through the model's final layer norm and output layer: how the guess for the next token forms layer by layer. The last row is the model's real prediction."),
      el('div', { class: 'row' }, el('label', {}, 'Prompt', this.prompt), go),
      this.out,
    );
  }

  modelChanged(): void {
    this.ready = true;
    if (!this.root.hidden) this.shown();
  }

  message(m: FromWorker): void {
    if (m.type === 'eval' && !this.root.hidden) this.shown();
  }

  async shown(): Promise<void> {
    if (!this.ready || this.busy) return;
    this.busy = true;
    try {
      const r = await this.ask<LensResult>({ what: 'lens', prompt: this.prompt.value });
      const rows = r.layers.map((l) =>
        el('tr', { class: 'lens-row' }, el('th', { scope: 'row' }, l.name), el('td', {}, shownToken(l.token)), el('td', { class: 'barcell' }, bar(l.prob, `${(l.prob * 100).toFixed(1)}%`)), el('td', {}, `${(l.prob * 100).toFixed(1)}%`), el('td', { class: 'help' }, l.top.slice(1).map((t) => `${shownToken(t.token)} ${(t.prob * 100).toFixed(1)}%`).join(', '))),
      );
      this.out.replaceChildren(
        el('table', { class: 'probs' }, el('thead', {}, el('tr', {}, ...['read after', 'top token', '', 'probability', 'runners-up'].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...rows)),
        ...r.notes.map((n) => el('p', { class: 'help' }, n)),
      );
    } catch {
      /* shown in the error region */
    } finally {
      this.busy = false;
    }
  }
}
