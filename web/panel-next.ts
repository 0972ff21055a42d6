/**
 * The next-token panel: type a prompt and see the model's most likely next tokens as bars, and
 * the probability of whole candidate continuations (scored token by token), at a temperature.
 */
import type { NextResult } from 'scratchlm';
import type { FromWorker } from './protocol.js';
import type { Ask, Panel } from './tabs.js';
import { bar, el, numberField, shownToken } from './ui.js';

export class NextPanel implements Panel {
  readonly id = 'next';
  readonly label = 'Next token';
  readonly root = el('div');
  private readonly prompt = el('input', { type: 'text', id: 'next-prompt', value: 'The ' });
  private readonly candidates = el('input', { type: 'text', id: 'next-cands', value: 'man| first| other' });
  private readonly temp = numberField('temperature', 'next-temp', 1, { min: '0.05', max: '5', step: '0.05' });
  private readonly top = numberField('top tokens', 'next-top', 10, { min: '1', max: '100000' });
  private readonly out = el('div', { id: 'next-out', 'aria-live': 'polite' });
  private ready = false;
  private timer = 0;
  private busy = false;

  constructor(private readonly ask: Ask) {
    this.root.append(
      el('p', { class: 'help' }, 'What the model expects right after the prompt. Bars: the probability of each next token. Candidates: whole continuations (separate them with |), scored token by token; their first token\'s rank among all tokens.'),
      el('div', { class: 'grid wide-first' }, el('label', {}, 'Prompt', this.prompt), el('label', {}, 'Candidates (|-separated)', this.candidates), this.temp.label, this.top.label),
      this.out,
    );
    for (const i of [this.prompt, this.candidates, this.temp.input, this.top.input]) i.addEventListener('input', () => this.later());
  }

  modelChanged(): void {
    this.ready = true;
    this.shown();
  }

  message(m: FromWorker): void {
    if (m.type === 'eval' && !this.root.hidden) this.shown();
  }

  private later(): void {
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.shown(), 250);
  }

  async shown(): Promise<void> {
    if (!this.ready || this.busy) return;
    this.busy = true;
    try {
      const cands = this.candidates.value.split('|').filter((c) => c !== '');
      const req = { what: 'next' as const, prompt: this.prompt.value, top: Number(this.top.input.value) || 10, candidates: cands, temperature: Number(this.temp.input.value) || 1 };
      const r = await this.ask<NextResult>(req);
      this.draw(r);
      // what the table shows now (tests wait for it)
      this.out.dataset.key = JSON.stringify([req.prompt, req.top, req.temperature]);
      // inputs changed while the answer was on its way: ask again
      if (this.prompt.value !== req.prompt || (Number(this.top.input.value) || 10) !== req.top || (Number(this.temp.input.value) || 1) !== req.temperature) this.later();
    } catch {
      /* shown in the error region */
    } finally {
      this.busy = false;
    }
  }

  private draw(r: NextResult): void {
    const total = r.top.reduce((a, t) => a + t.prob, 0);
    const rows = r.top.map((t) =>
      el('tr', { class: 'tok', 'data-prob': String(t.prob), 'data-id': String(t.id) }, el('th', { scope: 'row' }, shownToken(t.token)), el('td', { class: 'barcell' }, bar(t.prob, `${(t.prob * 100).toFixed(2)}%`)), el('td', {}, `${(t.prob * 100).toFixed(2)}%`)),
    );
    const cand = r.candidates.map((c) =>
      el('tr', { class: 'cand', 'data-prob': String(c.prob) }, el('th', { scope: 'row' }, shownToken(c.text)), el('td', {}, c.prob < 1e-4 ? c.prob.toExponential(2) : `${(c.prob * 100).toFixed(2)}%`), el('td', {}, c.logprob.toFixed(3)), el('td', {}, String(c.rank)), el('td', {}, String(c.tokens.length))),
    );
    this.out.replaceChildren(
      el('table', { class: 'probs', 'aria-label': 'Most likely next tokens' }, el('caption', {}, `Top ${r.top.length} next tokens after ${r.promptTokens} prompt tokens: together ${(total * 100).toFixed(1)}% of the probability`), el('tbody', {}, ...rows)),
      ...(cand.length
        ? [el('table', { class: 'cands', 'aria-label': 'Candidate continuations' }, el('caption', {}, 'Candidate continuations'), el('thead', {}, el('tr', {}, ...['continuation', 'probability', 'log-prob', 'first token rank', 'tokens'].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...cand))]
        : []),
      ...r.notes.map((n) => el('p', { class: 'help' }, n)),
    );
  }
}
