/** Progress output for long commands: a bar redrawn in place on a terminal, plain lines otherwise. */
import { formatDuration, progressBar, progressLine, type ProgressInfo } from '../src/index.js';

export class ProgressOut {
  readonly tty: boolean;
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {
    this.tty = Boolean(stream.isTTY) && !process.env.CI;
  }

  /** A training step: the bar on a terminal; a line every `every` steps otherwise. */
  step(p: ProgressInfo, every: number): void {
    if (this.tty) {
      this.stream.write(`\r${progressBar(p, this.stream.columns || 100)}\x1b[K`);
      this.drawn = true;
    } else if (p.iter % every === 0 || p.iter === p.maxIters) {
      this.stream.write(progressLine(p) + '\n');
    }
  }

  /** A byte-count phase (prepare). */
  bytes(phase: string, done: number, total: number): void {
    const pct = total > 0 ? (100 * done) / total : 100;
    if (this.tty) {
      const w = 30;
      const full = Math.round((pct / 100) * w);
      this.stream.write(`\r${phase.padEnd(20)} [${'#'.repeat(full)}${'-'.repeat(w - full)}] ${pct.toFixed(0)}% of ${(total / 1e6).toFixed(1)} MB\x1b[K`);
      this.drawn = true;
    } else if (done === total) {
      this.stream.write(`${phase}: ${(total / 1e6).toFixed(1)} MB\n`);
    }
  }

  /** A line of its own (evaluations, messages), below the bar. */
  line(text: string): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
    this.stream.write(text + '\n');
  }

  end(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}

export { formatDuration };
