/** Generation: a prompt and the sampler's settings; the continuation streams in token by token. */
import type { FromWorker } from './protocol.js';
import type { Panel, Send } from './tabs.js';
import { el, nextId, numberField } from './ui.js';

export class GeneratePanel implements Panel {
  readonly id = 'generate';
  readonly label = 'Generate';
  readonly root = el('div');
  private readonly prompt = el('textarea', { id: 'gen-prompt', rows: '2', 'aria-label': 'Prompt to continue' });
  private readonly out = el('pre', { id: 'gen-out', 'aria-live': 'polite', tabindex: '0', 'aria-label': 'Generated text' });
  private readonly info = el('p', { id: 'gen-info', class: 'help', role: 'status' });
  private readonly button = el('button', { type: 'button', id: 'gen-go', disabled: '' }, 'Generate');
  private readonly f = {
    maxTokens: numberField('tokens', 'gen-max', 200, { min: '1', max: '2000' }),
    temperature: numberField('temperature', 'gen-temp', 0.8, { min: '0', max: '5', step: '0.05' }),
    topK: numberField('top-k (0: off)', 'gen-topk', 0, { min: '0' }),
    topP: numberField('top-p (1: off)', 'gen-topp', 1, { min: '0', max: '1', step: '0.01' }),
    seed: numberField('seed', 'gen-seed', 1337, { min: '0' }),
  };
  private genId = 0;
  private text = '';

  constructor(private readonly send: Send) {
    this.prompt.value = 'The ';
    this.root.append(
      el('label', { class: 'wide' }, 'Prompt', this.prompt),
      el('div', { class: 'grid' }, ...Object.values(this.f).map((x) => x.label)),
      el('div', { class: 'buttons' }, this.button),
      this.out,
      this.info,
    );
    this.button.addEventListener('click', () => this.go());
  }

  modelChanged(): void {
    this.button.disabled = false;
  }

  private go(): void {
    const n = (k: keyof GeneratePanel['f']) => Number(this.f[k].input.value);
    this.genId = nextId();
    this.text = this.prompt.value;
    this.out.textContent = this.text;
    this.out.dataset.done = '';
    this.info.textContent = 'generating…';
    this.send({ type: 'generate', id: this.genId, opts: { prompt: this.prompt.value, maxTokens: n('maxTokens'), temperature: n('temperature'), topK: n('topK'), topP: n('topP'), seed: n('seed') } });
  }

  message(m: FromWorker): void {
    if (m.type === 'piece' && m.id === this.genId) {
      this.text += m.text;
      this.out.textContent = this.text;
    } else if (m.type === 'generated' && m.id === this.genId) {
      this.info.textContent = `${m.tokens} tokens in ${(m.ms / 1000).toFixed(2)} s (${((m.tokens / m.ms) * 1000).toFixed(0)} tokens/s; a ${m.promptTokens}-token prompt prefilled into the KV cache, then one cached decode step per token)`;
      this.info.dataset.tokens = String(m.tokens);
      this.out.dataset.done = '1';
    }
  }

  generationFailed(id: number): void {
    if (id === this.genId) this.info.textContent = 'generation failed (see the error above)';
  }
}
