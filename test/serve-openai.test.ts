/** The official openai client against `startServer`: completions, streaming, n, stop, logprobs, seed. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { tinyServer, tinyModel } from './serve-helpers.js';
import { RecomputeEngine } from '../server/index.js';

const server = await tinyServer();
after(() => server.close());
const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });

/** Greedy tokens computed directly, one full forward per token (no server). */
function greedyAlone(prompt: string, n: number): string {
  const { model, tokenizer } = tinyModel();
  const e = new RecomputeEngine(model);
  const s = e.add(tokenizer.encode(prompt), { temperature: 0, topK: 0, topP: 1, minP: 0, presencePenalty: 0, frequencyPenalty: 0, repetitionPenalty: 1, seed: 0, logprobs: 0 });
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push(e.step([s])[0].id);
  return tokenizer.decode(ids);
}

test('openai client: a greedy completion equals the model decoded by hand; usage and finish_reason', async () => {
  const r = await client.completions.create({ model: 'tiny', prompt: 'the cat', max_tokens: 12, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.match(r.id, /^cmpl-/);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].text, greedyAlone('the cat', 12));
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.deepEqual(r.usage, { prompt_tokens: 7, completion_tokens: 12, total_tokens: 19 });
  const models = await client.models.list();
  assert.equal(models.data[0].id, 'tiny');
});

test('openai client: streaming gives the same text in pieces, one id, usage at the end', async () => {
  const stream = await client.completions.create({ model: 'tiny', prompt: 'the cat', max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } });
  let text = '';
  const ids = new Set<string>();
  let finish: string | null = null;
  let usage: unknown = null;
  let chunks = 0;
  for await (const c of stream) {
    ids.add(c.id);
    chunks++;
    for (const ch of c.choices) {
      text += ch.text;
      if (ch.finish_reason) finish = ch.finish_reason;
    }
    if (c.usage) usage = c.usage;
  }
  assert.equal(text, greedyAlone('the cat', 12));
  assert.ok(chunks >= 12, `${chunks} chunks`);
  assert.equal(ids.size, 1);
  assert.equal(finish, 'length');
  assert.deepEqual(usage, { prompt_tokens: 7, completion_tokens: 12, total_tokens: 19 });
});

test('openai client: n and a list of prompts give prompts × n choices, indexed prompt-major', async () => {
  const r = await client.completions.create({ model: 'tiny', prompt: ['ab', 'xyz'], n: 3, max_tokens: 5, seed: 7 });
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1, 2, 3, 4, 5]);
  assert.equal(new Set(r.choices.map((c) => c.text)).size > 1, true, 'samples with different seeds differ');
  assert.deepEqual(r.usage, { prompt_tokens: 5, completion_tokens: 30, total_tokens: 35 });
});

test('openai client: same seed, same text; another seed, other text', async () => {
  const a = await client.completions.create({ model: 'tiny', prompt: 'hello', max_tokens: 20, seed: 42, temperature: 1 });
  const b = await client.completions.create({ model: 'tiny', prompt: 'hello', max_tokens: 20, seed: 42, temperature: 1 });
  const c = await client.completions.create({ model: 'tiny', prompt: 'hello', max_tokens: 20, seed: 43, temperature: 1 });
  assert.equal(a.choices[0].text, b.choices[0].text);
  assert.notEqual(a.choices[0].text, c.choices[0].text);
  // streaming with the same seed gives the same text too
  const s = await client.completions.create({ model: 'tiny', prompt: 'hello', max_tokens: 20, seed: 42, temperature: 1, stream: true });
  let t = '';
  for await (const ch of s) t += ch.choices[0]?.text ?? '';
  assert.equal(t, a.choices[0].text);
});

test('openai client: stop strings end the text before them (finish_reason stop), also across stream pieces', async () => {
  const full = greedyAlone('the cat', 20);
  const stop = full.slice(5, 7); // two characters from the middle of the greedy text
  const cut = full.slice(0, full.indexOf(stop));
  const r = await client.completions.create({ model: 'tiny', prompt: 'the cat', max_tokens: 20, temperature: 0, stop: [stop, 'never-there'] });
  assert.equal(r.choices[0].text, cut);
  assert.equal(r.choices[0].finish_reason, 'stop');
  const s = await client.completions.create({ model: 'tiny', prompt: 'the cat', max_tokens: 20, temperature: 0, stop, stream: true });
  let t = '';
  let finish = null;
  for await (const ch of s) {
    t += ch.choices[0]?.text ?? '';
    finish = ch.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(t, cut);
  assert.equal(finish, 'stop');
});

test('openai client: logprobs in OpenAI shape; they are log-softmax of the logits; echo scores the prompt', async () => {
  const r = await client.completions.create({ model: 'tiny', prompt: 'abc', max_tokens: 6, temperature: 0, logprobs: 3 });
  const lp = r.choices[0].logprobs!;
  assert.equal(lp.tokens!.length, 6);
  assert.equal(lp.tokens!.join(''), r.choices[0].text);
  assert.deepEqual(lp.text_offset, [0, 1, 2, 3, 4, 5]);
  for (let i = 0; i < 6; i++) {
    const top = lp.top_logprobs![i]!;
    const vals = Object.values(top);
    assert.ok(vals.length >= 3 && vals.length <= 4);
    // greedy: the chosen token is the most likely one
    assert.equal(lp.token_logprobs![i], Math.max(...vals));
    assert.ok(vals.every((v) => v <= 0));
  }
  // by hand: the first token's log-probability from one forward pass
  const { model, tokenizer } = tinyModel();
  const e = new RecomputeEngine(model);
  const scored = e.scorePrompt(tokenizer.encode('abc' + r.choices[0].text[0]), 3);
  assert.ok(Math.abs(scored[3]!.logprob - lp.token_logprobs![0]!) < 1e-4);
  const echo = await client.completions.create({ model: 'tiny', prompt: 'abc', max_tokens: 0, echo: true, logprobs: 1 });
  const el = echo.choices[0].logprobs!;
  assert.equal(echo.choices[0].text, 'abc');
  assert.deepEqual(el.tokens, ['a', 'b', 'c']);
  assert.equal(el.token_logprobs![0], null);
  assert.ok(Math.abs(el.token_logprobs![1]! - scored[1]!.logprob) < 1e-6);
  assert.deepEqual(el.text_offset, [0, 1, 2]);
});

test('openai client: errors come back as APIError with status, and the chat route says to use completions', async () => {
  await assert.rejects(client.completions.create({ model: 'tiny', prompt: 'a', max_tokens: 100000 }), (e: any) => e.status === 400 && /max_tokens/.test(e.message) && e.param === 'max_tokens');
  await assert.rejects(client.completions.create({ model: 'other', prompt: 'a' }), (e: any) => e.status === 404 && e.code === 'model_not_found');
  await assert.rejects(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }] }), (e: any) => e.status === 400 && /base model.*\/v1\/completions/.test(e.message));
});
