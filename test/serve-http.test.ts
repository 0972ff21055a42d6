/**
 * The server over raw HTTP: errors in OpenAI's shape for every kind of bad request, the API key,
 * the queue and 503, cropped prompts, disconnects, a slow reader, and 50 concurrent streams.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { metric, post, rawStream, sseData, tinyServer, waitFor } from './serve-helpers.js';

const errorShape = (j: any) => {
  assert.deepEqual(Object.keys(j), ['error']);
  assert.deepEqual(Object.keys(j.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(typeof j.error.message, 'string');
  assert.ok(j.error.code === null || typeof j.error.code === 'string');
};

test('bad requests: 400 naming the field, 404, 405, 413; the server keeps serving', async () => {
  const s = await tinyServer({ maxBodyBytes: 4096, maxTokens: 50 });
  const url = `${s.url}/v1/completions`;
  try {
    const cases: [unknown, string | null, RegExp][] = [
      ['{"prompt": "a",', null, /not valid JSON/],
      ['', null, /empty/],
      ['[1, 2]', null, /must be a JSON object/],
      [{ prompt: 'a', max_tokens: 'ten' }, 'max_tokens', /integer/],
      [{ prompt: 'a', max_tokens: 2.5 }, 'max_tokens', /integer/],
      [{ prompt: 'a', max_tokens: 51 }, 'max_tokens', /at most 50/],
      [{ prompt: 'a', temperature: -1 }, 'temperature', /≥ 0/],
      [{ prompt: 'a', top_p: 0 }, 'top_p', /> 0/],
      [{ prompt: 'a', logprobs: 21 }, 'logprobs', /≤ 20/],
      [{ prompt: 'a', n: 0 }, 'n', /≥ 1/],
      [{ prompt: 'a', stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', /at most 4/],
      [{ prompt: 'a', stream: 'yes' }, 'stream', /true or false/],
      [{ prompt: 'a', stream_options: { include_usage: true } }, 'stream_options', /only allowed with/],
      [{ prompt: 'a', temprature: 1 }, 'temprature', /unknown field 'temprature'/],
      [{ max_tokens: 3 }, 'prompt', /required/],
      [{ prompt: 7 }, 'prompt', /string/],
      [{ prompt: [99999] }, 'prompt', /token id/],
      [{ prompt: 'A' }, 'prompt', /cannot be encoded/], // the character vocabulary has no capitals
    ];
    for (const [body, param, msg] of cases) {
      const r = await post(url, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      errorShape(r.json);
      assert.equal(r.json.error.param, param, JSON.stringify(body));
      assert.match(r.json.error.message, msg, JSON.stringify(body));
    }
    const big = await post(url, { prompt: 'a'.repeat(5000) });
    assert.equal(big.status, 413);
    errorShape(big.json);
    const nf = await fetch(`${s.url}/v2/nothing`);
    assert.equal(nf.status, 404);
    errorShape(await nf.json());
    const m = await fetch(url);
    assert.equal(m.status, 405);
    assert.equal(m.headers.get('allow'), 'POST');
    errorShape(await m.json());
    const ok = await post(url, { prompt: 'abc', max_tokens: 3 });
    assert.equal(ok.status, 200);
    assert.equal((await fetch(`${s.url}/health`)).status, 200);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /scratchlm_requests_total\{route="\/v1\/completions",status="400"\} 18/);
    assert.match(metrics, /scratchlm_requests_total\{route="\/v1\/completions",status="413"\} 1/);
  } finally {
    await s.close();
  }
});

test('--api-key: 401 without or with a wrong key, /health stays open', async () => {
  const s = await tinyServer({ apiKey: 'sekrit' });
  try {
    const no = await post(`${s.url}/v1/completions`, { prompt: 'a', max_tokens: 1 });
    assert.equal(no.status, 401);
    errorShape(no.json);
    assert.equal((await post(`${s.url}/v1/completions`, { prompt: 'a', max_tokens: 1 }, { Authorization: 'Bearer nope' })).status, 401);
    assert.equal((await fetch(`${s.url}/v1/models`)).status, 401);
    assert.equal((await post(`${s.url}/v1/completions`, { prompt: 'a', max_tokens: 1 }, { Authorization: 'Bearer sekrit' })).status, 200);
    assert.equal((await fetch(`${s.url}/health`)).status, 200);
  } finally {
    await s.close();
  }
});

test('a prompt longer than the block size keeps its last blockSize tokens and says so', async () => {
  const s = await tinyServer();
  try {
    const r = await post(`${s.url}/v1/completions`, { prompt: 'abcdefghij'.repeat(4), max_tokens: 2 });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('x-prompt-cropped') ?? '', /dropped 16 tokens/);
    assert.match(r.json.warnings[0], /40 tokens; kept its last 24/);
    assert.equal(r.json.usage.prompt_tokens, 24);
  } finally {
    await s.close();
  }
});

test('tokenize and detokenize round-trip; bad ids are a 400', async () => {
  const s = await tinyServer();
  try {
    const t = await post(`${s.url}/tokenize`, { content: 'hi there' });
    assert.equal(t.json.count, 8);
    const d = await post(`${s.url}/detokenize`, { tokens: t.json.tokens });
    assert.equal(d.json.content, 'hi there');
    const bad = await post(`${s.url}/detokenize`, { tokens: [1, -1] });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.param, 'tokens');
  } finally {
    await s.close();
  }
});

test('beyond --max-concurrent requests wait in the queue; beyond the queue, 503 with Retry-After', async () => {
  const s = await tinyServer({ maxConcurrent: 1, maxQueue: 1 });
  try {
    const a = await rawStream(`${s.url}/v1/completions`, { prompt: 'a', max_tokens: 2000, stream: true });
    const b = post(`${s.url}/v1/completions`, { prompt: 'b', max_tokens: 3 });
    await waitFor(async () => (await metric(s.url, 'scratchlm_requests_waiting')) === 1);
    const c = await post(`${s.url}/v1/completions`, { prompt: 'c', max_tokens: 3 });
    assert.equal(c.status, 503);
    assert.equal(c.headers.get('retry-after'), '1');
    errorShape(c.json);
    a.abort();
    const rb = await b; // the queued one runs once the first is gone
    assert.equal(rb.status, 200);
    assert.equal(rb.json.usage.completion_tokens, 3);
  } finally {
    await s.close();
  }
});

test('a client that disconnects after two chunks stops its generation: running drops to 0', async () => {
  const s = await tinyServer();
  try {
    const res = await rawStream(`${s.url}/v1/completions`, { prompt: 'abc', max_tokens: 2000, stream: true });
    let chunks = 0;
    await new Promise<void>((resolve) => {
      res.on('data', (d: Buffer) => {
        chunks += d.toString().split('\n\n').filter((x) => x.startsWith('data:')).length;
        if (chunks >= 2) resolve();
      });
    });
    assert.equal(await metric(s.url, 'scratchlm_requests_running'), 1);
    res.abort();
    await waitFor(async () => (await metric(s.url, 'scratchlm_requests_running')) === 0);
    assert.equal(await metric(s.url, 'scratchlm_sequences_running'), 0);
    const steps = await metric(s.url, 'scratchlm_decode_steps_total');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await metric(s.url, 'scratchlm_decode_steps_total'), steps, 'no decode steps after the client left');
    assert.ok(steps < 1000, `${steps} steps: generation went on after the disconnect`);
    assert.equal(await metric(s.url, 'scratchlm_client_disconnects_total'), 1);
  } finally {
    await s.close();
  }
});

test('a slow reader neither stalls the others nor loses text', async () => {
  const s = await tinyServer();
  try {
    const body = { prompt: 'abc', max_tokens: 200, temperature: 0, logprobs: 5, stream: true };
    const slow = await rawStream(`${s.url}/v1/completions`, body);
    slow.pause(); // reads nothing for a while
    const t0 = Date.now();
    const fast = await post(`${s.url}/v1/completions`, { prompt: 'xyz', max_tokens: 20 });
    assert.equal(fast.status, 200);
    assert.ok(Date.now() - t0 < 5000);
    await new Promise((r) => setTimeout(r, 200));
    let text = '';
    slow.setEncoding('utf8');
    slow.on('data', (d: string) => {
      text += d;
      slow.pause(); // then reads in small sips
      setTimeout(() => slow.resume(), 2);
    });
    slow.resume();
    await new Promise((r) => slow.on('end', r));
    const events = sseData(text);
    assert.equal(events.at(-1), '[DONE]');
    const got = events.slice(0, -1).map((e) => JSON.parse(e)).map((c) => c.choices[0].text).join('');
    const whole = await post(`${s.url}/v1/completions`, { ...body, stream: false });
    assert.equal(got, whole.json.choices[0].text);
    assert.equal(got.length, 200);
  } finally {
    await s.close();
  }
});

test('load: 50 concurrent greedy streams, none lost, each equal to the request alone; healthy and memory back after', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const s = await tinyServer({ maxConcurrent: 16, maxQueue: 64 });
  try {
    const prompts = Array.from({ length: 50 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz'.slice(i % 20, (i % 20) + 1 + (i % 5)) + ' ');
    const body = (p: string) => ({ prompt: p, max_tokens: 16, temperature: 0 });
    const alone: string[] = [];
    for (const p of new Set(prompts)) alone[prompts.indexOf(p)] = (await post(`${s.url}/v1/completions`, body(p))).json.choices[0].text;
    gc();
    const before = process.memoryUsage().heapUsed;
    const t0 = Date.now();
    const results = await Promise.all(
      prompts.map(async (p) => {
        const r = await fetch(`${s.url}/v1/completions`, { method: 'POST', body: JSON.stringify({ ...body(p), stream: true }) });
        assert.equal(r.status, 200);
        const ev = sseData(await r.text());
        assert.equal(ev.at(-1), '[DONE]');
        return ev.slice(0, -1).map((e) => JSON.parse(e).choices[0].text).join('');
      }),
    );
    assert.ok(Date.now() - t0 < 30000);
    results.forEach((t, i) => assert.equal(t, alone[prompts.indexOf(prompts[i])], `request ${i} (${JSON.stringify(prompts[i])})`));
    const h = await (await fetch(`${s.url}/health`)).json();
    assert.equal(h.status, 'ok');
    assert.equal(h.requests_running, 0);
    assert.equal(h.requests_waiting, 0);
    // batches really formed: mean sequences per step well above one
    const steps = await metric(s.url, 'scratchlm_decode_steps_total');
    const batch = await metric(s.url, 'scratchlm_decode_batch_size_total');
    assert.ok(batch / steps > 2, `mean batch ${batch / steps}`);
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    assert.ok(growth < 16 * 1024 * 1024, `heap grew by ${(growth / 1e6).toFixed(1)} MB`);
  } finally {
    await s.close();
  }
});
