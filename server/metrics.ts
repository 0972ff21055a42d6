/** Counters and gauges for GET /metrics, in Prometheus's text format (version 0.0.4). */
import type { SchedulerStats } from './scheduler.js';

export class Metrics {
  private readonly requests = new Map<string, number>();
  private generated = 0;
  private promptTokens = 0;
  private disconnects = 0;
  private readonly started = Date.now();
  /** (time ms, tokens) of recent steps, for the tokens/s gauge over the last WINDOW_MS. */
  private recent: [number, number][] = [];
  private ttft: number[] = [];
  private ttftSum = 0;
  private ttftCount = 0;
  private stepMsSum = 0;
  private steps = 0;
  private batchSum = 0;
  static readonly WINDOW_MS = 10_000;

  request(route: string, status: number): void {
    const k = `route="${route}",status="${status}"`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
  }

  step(tokens: number, ms: number, batch: number): void {
    this.generated += tokens;
    this.steps++;
    this.stepMsSum += ms;
    this.batchSum += batch;
    const now = Date.now();
    this.recent.push([now, tokens]);
    while (this.recent.length && this.recent[0][0] < now - Metrics.WINDOW_MS) this.recent.shift();
  }

  prompt(tokens: number): void {
    this.promptTokens += tokens;
  }

  firstToken(ms: number): void {
    this.ttftSum += ms / 1000;
    this.ttftCount++;
    this.ttft.push(ms / 1000);
    if (this.ttft.length > 1000) this.ttft.shift();
  }

  disconnect(): void {
    this.disconnects++;
  }

  tokensPerSecond(): number {
    const now = Date.now();
    const inWindow = this.recent.filter(([t]) => t >= now - Metrics.WINDOW_MS);
    const span = Math.min(Metrics.WINDOW_MS, now - this.started) / 1000;
    return span > 0 ? inWindow.reduce((a, [, n]) => a + n, 0) / span : 0;
  }

  render(s: SchedulerStats, extra: { rssBytes: number; model: string }): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, lines: string[]) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
    const sorted = [...this.requests].sort(([a], [b]) => (a < b ? -1 : 1));
    metric('scratchlm_requests_total', 'counter', 'HTTP requests answered, by route and status.', sorted.map(([k, v]) => `scratchlm_requests_total{${k}} ${v}`));
    metric('scratchlm_generated_tokens_total', 'counter', 'Tokens generated.', [`scratchlm_generated_tokens_total ${this.generated}`]);
    metric('scratchlm_prompt_tokens_total', 'counter', 'Prompt tokens read.', [`scratchlm_prompt_tokens_total ${this.promptTokens}`]);
    metric('scratchlm_requests_waiting', 'gauge', 'Requests waiting in the queue.', [`scratchlm_requests_waiting ${s.waiting}`]);
    metric('scratchlm_requests_running', 'gauge', 'Requests being decoded.', [`scratchlm_requests_running ${s.running}`]);
    metric('scratchlm_sequences_running', 'gauge', 'Sequences being decoded (prompts x n).', [`scratchlm_sequences_running ${s.runningSequences}`]);
    metric('scratchlm_tokens_per_second', 'gauge', `Tokens generated per second over the last ${Metrics.WINDOW_MS / 1000} s.`, [`scratchlm_tokens_per_second ${round(this.tokensPerSecond())}`]);
    metric('scratchlm_decode_steps_total', 'counter', 'Decode steps (one forward pass over the running sequences each).', [`scratchlm_decode_steps_total ${this.steps}`]);
    metric('scratchlm_decode_step_seconds_total', 'counter', 'Time spent in decode steps.', [`scratchlm_decode_step_seconds_total ${round(this.stepMsSum / 1000)}`]);
    metric('scratchlm_decode_batch_size_total', 'counter', 'Sum over steps of the sequences in the step (divide by steps for the mean batch).', [`scratchlm_decode_batch_size_total ${this.batchSum}`]);
    metric('scratchlm_time_to_first_token_seconds', 'summary', 'Time from request to its first generated token.', [
      ...[0.5, 0.9, 0.99].map((q) => `scratchlm_time_to_first_token_seconds{quantile="${q}"} ${round(quantile(this.ttft, q))}`),
      `scratchlm_time_to_first_token_seconds_sum ${round(this.ttftSum)}`,
      `scratchlm_time_to_first_token_seconds_count ${this.ttftCount}`,
    ]);
    metric('scratchlm_client_disconnects_total', 'counter', 'Requests whose client went away before the end.', [`scratchlm_client_disconnects_total ${this.disconnects}`]);
    metric('process_resident_memory_bytes', 'gauge', 'Resident memory.', [`process_resident_memory_bytes ${extra.rssBytes}`]);
    metric('scratchlm_model_info', 'gauge', 'The model served.', [`scratchlm_model_info{model="${extra.model.replace(/["\\\n]/g, '_')}"} 1`]);
    return out.join('\n') + '\n';
  }
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
