/** The continuous-batching scheduler over a fake engine: batches, joining, sitting out, cancelling, the queue, failures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler, type SeqSpec } from '../server/scheduler.js';
import type { DecodeEngine, EngineSeq, SamplingSettings, TokenOut } from '../server/engine.js';
import { ApiError } from '../server/errors.js';

const SETTINGS: SamplingSettings = { temperature: 0, topK: 0, topP: 1, minP: 0, presencePenalty: 0, frequencyPenalty: 0, repetitionPenalty: 1, seed: 0, logprobs: 0 };

/** Each sequence's tokens count up from its first prompt id; records every step's batch. */
class FakeEngine implements DecodeEngine {
  readonly name = 'fake';
  batches: number[][] = [];
  live = new Set<{ tag: number; next: number }>();
  failNext = false;
  add(prompt: readonly number[]): EngineSeq {
    const s = { tag: prompt[0], next: prompt[0] };
    this.live.add(s);
    return s as unknown as EngineSeq;
  }
  step(seqs: readonly EngineSeq[]): TokenOut[] {
    const ss = seqs as unknown as { tag: number; next: number }[];
    for (const s of ss) assert.ok(this.live.has(s), 'a removed sequence was stepped');
    if (this.failNext) {
      this.failNext = false;
      throw new Error('boom');
    }
    this.batches.push(ss.map((s) => s.tag));
    return ss.map((s) => ({ id: s.next++, logprob: 0, top: [] }));
  }
  remove(seq: EngineSeq): void {
    this.live.delete(seq as unknown as { tag: number; next: number });
  }
  scorePrompt(): (TokenOut | null)[] {
    return [];
  }
}

function job(tag: number, n: number, got: number[], ready = () => true) {
  let end!: (e: ApiError | null) => void;
  const ended = new Promise<ApiError | null>((r) => (end = r));
  const spec: SeqSpec = { prompt: [tag], settings: SETTINGS, maxTokens: n, consume: (t) => got.push(t.id) >= n, ready };
  return { job: { seqs: [spec], onEnd: (e: ApiError | null) => end(e) }, ended };
}

test('scheduler: requests that arrive together share steps; a later one joins between steps', async () => {
  const e = new FakeEngine();
  // no gathering of arrivals (its own test below): the loop steps on its first turn, so c arrives mid-run
  const s = new Scheduler(e, 8, 8, 0);
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  const ja = job(100, 5, a);
  const jb = job(200, 5, b);
  s.submit(ja.job);
  s.submit(jb.job);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const jc = job(300, 2, c);
  s.submit(jc.job);
  assert.equal(await ja.ended, null);
  await jb.ended;
  await jc.ended;
  assert.deepEqual(a, [100, 101, 102, 103, 104]);
  assert.deepEqual(c, [300, 301]);
  assert.deepEqual(e.batches[0], [100, 200]);
  assert.ok(e.batches.some((x) => x.length === 3), 'the late request joined the running ones');
  assert.equal(e.live.size, 0, 'finished sequences are removed from the engine');
});

test('scheduler: arrivals a few ms apart start in one step; a burst that never pauses still steps after gatherMaxMs', async () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const e = new FakeEngine();
  const s = new Scheduler(e, 8, 8, 500, 5000);
  const jobs = [100, 200, 300].map((t) => job(t, 2, []));
  s.submit(jobs[0].job);
  await sleep(20);
  s.submit(jobs[1].job);
  await sleep(20);
  s.submit(jobs[2].job);
  await Promise.all(jobs.map((j) => j.ended));
  assert.deepEqual(e.batches[0], [100, 200, 300], 'gaps shorter than gatherQuietMs keep the burst open');
  const e2 = new FakeEngine();
  const s2 = new Scheduler(e2, 8, 8, 60_000, 30);
  const t0 = performance.now();
  const one = job(7, 1, []);
  s2.submit(one.job);
  assert.equal(await one.ended, null);
  assert.ok(performance.now() - t0 < 30_000, 'gatherMaxMs bounds the wait when the quiet window is longer');
  assert.deepEqual(e2.batches, [[7]]);
});

test('scheduler: a sequence that is not ready sits out steps and resumes on kick; cancel removes it', async () => {
  const e = new FakeEngine();
  const s = new Scheduler(e, 8, 8);
  let ready = false;
  const slow: number[] = [];
  const fast: number[] = [];
  const js = job(1, 3, slow, () => ready);
  const jf = job(50, 6, fast);
  s.submit(js.job);
  s.submit(jf.job);
  await jf.ended;
  assert.deepEqual(slow, []);
  assert.ok(e.batches.every((b) => !b.includes(1)));
  ready = true;
  s.kick();
  assert.equal(await js.ended, null);
  assert.deepEqual(slow, [1, 2, 3]);
  const endless: number[] = [];
  const je = job(7, 1e9, endless);
  const cancel = s.submit(je.job);
  while (endless.length < 3) await new Promise((r) => setImmediate(r));
  cancel();
  const at = endless.length;
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.ok(endless.length <= at + 1);
  assert.equal(e.live.size, 0);
  assert.equal(s.stats().runningSequences, 0);
});

test('scheduler: beyond maxConcurrent jobs wait in FIFO order; beyond the queue, 503', async () => {
  const e = new FakeEngine();
  const s = new Scheduler(e, 1, 2);
  const order: number[] = [];
  const jobs = [1, 2, 3].map((t) => job(t * 10, 2, []));
  jobs.forEach((j, i) => {
    const onEnd = j.job.onEnd;
    j.job.onEnd = (err) => {
      order.push(i);
      onEnd(err);
    };
    s.submit(j.job);
  });
  assert.equal(s.stats().waiting, 2); // one runs, two wait
  assert.throws(() => s.submit(job(99, 1, []).job), (err: ApiError) => err.status === 503 && err.headers['Retry-After'] === '1');
  await Promise.all(jobs.map((j) => j.ended));
  assert.deepEqual(order, [0, 1, 2]);
  assert.ok(e.batches.every((b) => b.length === 1));
});

test('scheduler: an engine failure fails the jobs in that step with a 500; later jobs still run', async () => {
  const e = new FakeEngine();
  const s = new Scheduler(e, 4, 4);
  e.failNext = true;
  const a = job(1, 3, []);
  s.submit(a.job);
  const err = await a.ended;
  assert.equal(err?.status, 500);
  assert.match(err!.message, /boom/);
  const got: number[] = [];
  const b = job(5, 2, got);
  s.submit(b.job);
  assert.equal(await b.ended, null);
  assert.deepEqual(got, [5, 6]);
});
