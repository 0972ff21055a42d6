/**
 * The views beside the training: each is a tab (WAI-ARIA tabs: arrow keys move between them)
 * with a panel that asks the worker and draws its answer.
 */
import type { FromWorker, InspectRequest, ModelInfo, Probe, ProbePoint, ToWorker } from './protocol.js';
import { AttentionPanel } from './panel-attention.js';
import { EmbeddingsPanel } from './panel-embeddings.js';
import { GeneratePanel } from './panel-generate.js';
import { LensPanel } from './panel-lens.js';
import { NextPanel } from './panel-next.js';
import { ProbesPanel } from './panel-probes.js';
import { el, nextId } from './ui.js';

export interface Panel {
  readonly id: string;
  readonly label: string;
  readonly root: HTMLElement;
  message?(m: FromWorker): void;
  modelChanged?(info: ModelInfo): void;
  trainingChanged?(running: boolean): void;
  /** The panel became visible (refresh what it shows). */
  shown?(): void;
  generationFailed?(id: number): void;
}

export type Send = (m: ToWorker) => void;

/** Asks the worker for an inspection; resolves with its result, rejects with its error. */
export type Ask = <T>(request: InspectRequest) => Promise<T>;

export class Tabs {
  private readonly panels: Panel[];
  private readonly buttons: HTMLButtonElement[] = [];
  private current = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(list: HTMLElement, host: HTMLElement, send: Send) {
    const ask: Ask = <T>(request: InspectRequest) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId();
        this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        send({ type: 'inspect', id, request });
      });
    this.panels = [new NextPanel(ask), new GeneratePanel(send), new AttentionPanel(ask), new EmbeddingsPanel(ask), new LensPanel(ask), new ProbesPanel(send)];
    this.panels.forEach((p, i) => {
      const b = el('button', { role: 'tab', id: `tab-${p.id}`, 'aria-controls': `panel-${p.id}`, type: 'button' }, p.label);
      b.addEventListener('click', () => this.select(i));
      b.addEventListener('keydown', (e) => {
        const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
        if (!d) return;
        e.preventDefault();
        const j = (this.current + d + this.panels.length) % this.panels.length;
        this.select(j);
        this.buttons[j]!.focus();
      });
      this.buttons.push(b);
      list.append(b);
      p.root.id = `panel-${p.id}`;
      p.root.setAttribute('role', 'tabpanel');
      p.root.setAttribute('aria-labelledby', `tab-${p.id}`);
      host.append(p.root);
    });
    this.select(0);
  }

  select(i: number): void {
    this.current = i;
    this.buttons.forEach((b, j) => {
      b.setAttribute('aria-selected', String(i === j));
      b.tabIndex = i === j ? 0 : -1;
    });
    this.panels.forEach((p, j) => (p.root.hidden = i !== j));
    this.panels[i]!.shown?.();
  }

  message(m: FromWorker): void {
    if (m.type === 'inspected') {
      this.pending.get(m.id)?.resolve(m.result);
      this.pending.delete(m.id);
    }
    for (const p of this.panels) p.message?.(m);
  }

  /** An error answer to request `id` (the page shows the message too). */
  failed(id: number, message: string): void {
    this.pending.get(id)?.reject(new Error(message));
    this.pending.delete(id);
    this.generationFailed(id);
  }

  /** The visible panel, refreshed (after training steps or a new model). */
  refresh(): void {
    this.panels[this.current]!.shown?.();
  }
  /** A loaded run's probe curves (from its metrics.jsonl) in the Probes view. */
  runProbes(probes: Probe[], points: ProbePoint[]): void {
    for (const p of this.panels) if (p instanceof ProbesPanel) p.showRun(probes, points);
  }

  modelChanged(info: ModelInfo): void {
    for (const p of this.panels) p.modelChanged?.(info);
  }
  trainingChanged(running: boolean): void {
    for (const p of this.panels) p.trainingChanged?.(running);
  }
  generationFailed(id: number): void {
    for (const p of this.panels) p.generationFailed?.(id);
  }
}
