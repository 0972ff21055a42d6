/** The live loss chart: training loss per step and validation loss per evaluation, on uPlot. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export class LossChart {
  private readonly steps: number[] = [];
  private readonly train: (number | null)[] = [];
  private readonly val: (number | null)[] = [];
  private plot: uPlot;
  private dirty = false;

  constructor(private readonly host: HTMLElement) {
    this.plot = new uPlot(this.options(), [[], [], []], host);
    new ResizeObserver(() => this.plot.setSize(this.size())).observe(host);
  }

  private size() {
    return { width: Math.max(300, this.host.clientWidth), height: 240 };
  }

  private options(): uPlot.Options {
    return {
      ...this.size(),
      scales: { x: { time: false } },
      axes: [{ label: 'step' }, { label: 'loss (nats per token)' }],
      series: [
        { label: 'step' },
        { label: 'train', stroke: '#2563eb', width: 1.5, spanGaps: true, points: { show: false } },
        { label: 'val', stroke: '#dc2626', width: 2, spanGaps: true, points: { show: true, size: 6 } },
      ],
      legend: { live: true },
    };
  }

  reset(): void {
    this.steps.length = this.train.length = this.val.length = 0;
    this.plot.setData([[], [], []]);
  }

  private at(iter: number): number {
    const n = this.steps.length;
    if (n > 0 && this.steps[n - 1] === iter) return n - 1;
    this.steps.push(iter);
    this.train.push(null);
    this.val.push(null);
    return n;
  }

  addTrain(iter: number, loss: number): void {
    this.train[this.at(iter)] = loss;
    this.schedule();
  }

  addVal(iter: number, loss: number): void {
    this.val[this.at(iter)] = loss;
    this.schedule();
  }

  /** Redraws at most once per frame however many points arrive. */
  private schedule(): void {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => {
      this.dirty = false;
      this.plot.setData([this.steps, this.train, this.val] as uPlot.AlignedData);
    });
  }
}
