/** The inspection routes return what the library (and the CLI's --json) returns; bad input is a 400. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { attentionMaps, logitLens, nearestTokens, nextTokens } from '../src/index.js';
import { post, tinyModel, tinyServer } from './serve-helpers.js';

const server = await tinyServer();
after(() => server.close());
const { model, tokenizer } = tinyModel();

test('/v1/next, /v1/attention, /v1/neighbors, /v1/lens equal the library functions', async () => {
  const next = await post(`${server.url}/v1/next`, { prompt: 'the ca', top: 3, candidates: ['t', 'ts'] });
  assert.equal(next.status, 200);
  assert.deepEqual(next.json, JSON.parse(JSON.stringify(nextTokens(model, tokenizer, 'the ca', { top: 3, candidates: ['t', 'ts'] }))));
  assert.equal(next.json.candidates.length, 2);
  const piped = await post(`${server.url}/v1/next`, { prompt: 'the ca', candidates: 't|ts' });
  assert.deepEqual(piped.json.candidates, next.json.candidates);
  const att = await post(`${server.url}/v1/attention`, { prompt: 'abcabc' });
  assert.deepEqual(att.json, JSON.parse(JSON.stringify(attentionMaps(model, tokenizer, 'abcabc'))));
  assert.equal(att.json.heads.length, 4);
  const nb = await post(`${server.url}/v1/neighbors`, { token: 'e', top: 4 });
  assert.deepEqual(nb.json, JSON.parse(JSON.stringify(nearestTokens(model, tokenizer, 'e', { top: 4 }))));
  const lens = await post(`${server.url}/v1/lens`, { prompt: 'hello' });
  assert.deepEqual(lens.json, JSON.parse(JSON.stringify(logitLens(model, tokenizer, 'hello'))));
  assert.equal(lens.json.layers.length, 3);
});

test('inspection routes: missing fields, wrong types and unknown tokens are 400s naming the field', async () => {
  const cases: [string, unknown, string][] = [
    ['/v1/next', {}, 'prompt'],
    ['/v1/next', { prompt: 'a', top: 0 }, 'top'],
    ['/v1/next', { prompt: 'a', candidates: [1] }, 'candidates'],
    ['/v1/next', { prompt: 'a', cands: ['b'] }, 'cands'],
    ['/v1/neighbors', { token: 'Q' }, 'token'],
    ['/v1/attention', { prompt: 5 }, 'prompt'],
    ['/v1/lens', { prompt: 'a', model: 'other' }, 'model'],
  ];
  for (const [route, body, param] of cases) {
    const r = await post(`${server.url}${route}`, body);
    assert.ok(r.status === 400 || r.status === 404, `${route} ${JSON.stringify(body)}: ${r.status}`);
    assert.equal(r.json.error.param, param, `${route} ${JSON.stringify(body)}: ${r.text}`);
  }
  assert.equal((await fetch(`${server.url}/v1/lens`)).status, 405);
});
