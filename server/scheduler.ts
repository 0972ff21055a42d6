/**
 * Continuous batching. Jobs (one per request, each with one or more sequences) wait in a bounded
 * FIFO queue until there is room among the running sequences; every decode step hands all running
 * sequences that can take a token to the engine at once (one forward pass), then gives each its
 * token. New jobs join between steps, finished, failed and cancelled sequences leave between
 * steps, and the event loop runs between steps, so new requests, disconnects and slow readers are
 * seen within one step.
 *
 * Arrivals gather: a step blocks the event loop (tens of ms on gpt2's shape), and a request needs
 * a few turns of the loop (connection, headers, body) to reach submit(), so without a pause 16
 * requests sent together joined one per step, each with its own prefill. When a job was
 * submitted within the last `gatherQuietMs`, the loop keeps yielding until none has come for that
 * long (at most `gatherMaxMs`), so a burst starts in one step.
 */
import type { DecodeEngine, EngineSeq, SamplingSettings, TokenOut } from './engine.js';
import { ApiError, overloaded } from './errors.js';

export interface SeqSpec {
  prompt: readonly number[];
  settings: SamplingSettings;
  maxTokens: number;
  /** Takes the sequence's next token; returns true when the sequence is finished. */
  consume(tok: TokenOut): boolean;
  /** False while the sequence's reader is not keeping up (it sits out steps meanwhile). */
  ready(): boolean;
}

export interface Job {
  seqs: SeqSpec[];
  /** Called once when the job's sequences start (after waiting in the queue). */
  onStart?(): void;
  /** Called once, when every sequence has finished (error null) or the job failed or was cancelled. */
  onEnd(error: ApiError | null): void;
}

interface Running {
  job: JobState;
  spec: SeqSpec;
  handle: EngineSeq;
  done: boolean;
}

interface JobState {
  job: Job;
  left: number;
  ended: boolean;
  cancelled: boolean;
  running: Running[];
}

export interface SchedulerStats {
  waiting: number;
  running: number;
  runningSequences: number;
  steps: number;
  tokens: number;
}

export class Scheduler {
  private readonly queue: JobState[] = [];
  private readonly active: Running[] = [];
  private readonly jobs = new Set<JobState>();
  private looping = false;
  private wake: (() => void) | null = null;
  private lastSubmit = -Infinity;
  steps = 0;
  tokens = 0;
  /** Called after every step with the number of tokens it produced and its duration. */
  onStep: ((tokens: number, ms: number, batch: number) => void) | null = null;

  constructor(
    private readonly engine: DecodeEngine,
    readonly maxConcurrent: number,
    readonly maxQueue: number,
    /** A pause of this long with no new job ends a burst of arrivals (0: no gathering). */
    readonly gatherQuietMs = 5,
    /** The longest the loop waits for a burst to end before it steps anyway. */
    readonly gatherMaxMs = 50,
  ) {}

  stats(): SchedulerStats {
    const running = new Set(this.active.map((r) => r.job)).size;
    return { waiting: this.queue.length, running, runningSequences: this.active.length, steps: this.steps, tokens: this.tokens };
  }

  /** Queues a job; 503 when the queue is full. Returns a function that cancels it. */
  submit(job: Job): () => void {
    if (job.seqs.length > this.maxConcurrent) throw new ApiError(400, `this request asks for ${job.seqs.length} sequences (prompts × n) but the server runs at most ${this.maxConcurrent} at once (--max-concurrent)`, 'invalid_request_error', 'n', 'too_many_sequences');
    const startsNow = this.queue.length === 0 && this.hasRoomFor(job.seqs.length);
    if (!startsNow && this.queue.length >= this.maxQueue) throw overloaded(1);
    const st: JobState = { job, left: job.seqs.length, ended: false, cancelled: false, running: [] };
    this.lastSubmit = performance.now();
    this.queue.push(st);
    this.jobs.add(st);
    this.admit(); // so the queue holds only jobs that really wait
    this.kick();
    return () => this.cancel(st);
  }

  /** Wakes the loop: a sequence became ready again, or work arrived. */
  kick(): void {
    if (this.wake) {
      const w = this.wake;
      this.wake = null;
      w();
    }
    if (!this.looping) {
      // start on a later turn of the event loop: a request handler never runs a decode step
      this.looping = true;
      setImmediate(() => void this.loop());
    }
  }

  /** Ends every job with `error` (shutdown). */
  abortAll(error: ApiError): void {
    for (const st of [...this.jobs]) this.end(st, error);
    this.kick();
  }

  private hasRoomFor(n: number): boolean {
    return this.active.length + n <= this.maxConcurrent;
  }

  private cancel(st: JobState): void {
    if (st.ended) return;
    st.cancelled = true;
    this.end(st, null);
    this.kick();
  }

  private end(st: JobState, error: ApiError | null): void {
    if (st.ended) return;
    st.ended = true;
    this.jobs.delete(st);
    const q = this.queue.indexOf(st);
    if (q >= 0) this.queue.splice(q, 1);
    for (const r of st.running) this.release(r);
    if (!st.cancelled) st.job.onEnd(error);
  }

  private release(r: Running): void {
    if (r.done) return;
    r.done = true;
    const i = this.active.indexOf(r);
    if (i >= 0) this.active.splice(i, 1);
    this.engine.remove(r.handle);
  }

  private admit(): void {
    while (this.queue.length && this.hasRoomFor(this.queue[0].job.seqs.length)) {
      const st = this.queue.shift()!;
      try {
        for (const spec of st.job.seqs) {
          const r: Running = { job: st, spec, handle: this.engine.add(spec.prompt, spec.settings, spec.maxTokens), done: false };
          st.running.push(r);
          this.active.push(r);
        }
        // after the caller's synchronous code (submit() returns first)
        if (st.job.onStart) queueMicrotask(() => !st.ended && st.job.onStart!());
      } catch (e) {
        this.end(st, internal(e));
      }
    }
  }

  /** Yields to the event loop while jobs keep arriving (see the top of the file). */
  private async gather(): Promise<void> {
    const t0 = performance.now();
    while (this.gatherQuietMs > 0 && performance.now() - this.lastSubmit < this.gatherQuietMs && performance.now() - t0 < this.gatherMaxMs)
      await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        await this.gather();
        this.admit();
        if (!this.active.length && !this.queue.length) return;
        const batch = this.active.filter((r) => r.spec.ready());
        if (!batch.length) {
          // every running sequence waits for its reader: sleep until one drains (or work arrives)
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          continue;
        }
        const t0 = performance.now();
        let outs: TokenOut[];
        try {
          outs = this.engine.step(batch.map((r) => r.handle));
        } catch (e) {
          const err = internal(e);
          for (const st of new Set(batch.map((r) => r.job))) this.end(st, err);
          continue;
        }
        this.steps++;
        this.tokens += outs.length;
        this.onStep?.(outs.length, performance.now() - t0, batch.length);
        batch.forEach((r, i) => {
          if (r.done || r.job.ended) return;
          let finished: boolean;
          try {
            finished = r.spec.consume(outs[i]);
          } catch (e) {
            this.end(r.job, internal(e));
            return;
          }
          if (finished) {
            this.release(r);
            if (--r.job.left === 0) this.end(r.job, null);
          }
        });
        // let the event loop run: writes flush, requests arrive, disconnects are noticed
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.looping = false;
    }
  }
}

function internal(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  console.error('scratchlm serve: generation failed:', e);
  return new ApiError(500, `generation failed: ${msg}`, 'server_error', null, 'internal_error');
}
