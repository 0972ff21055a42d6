/**
 * Inspection on hand-made weights whose answers are known: a head built to attend to the previous
 * token scores 1 on "previous"; two clusters of embeddings score high cohesion; `next` on a model
 * whose logits are set by hand returns their softmax. Plus the bad-input messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alignedMaps, attentionMaps, CharTokenizer, closestSpellings, cohesion, defaultGroups, GPT, headScores, logitLens, nearestTokens, nextTokens, parseGroups,
  procrustes2, Rng, ScratchError, softmax, traceForward,
} from '../src/index.js';

/** A one-layer, one-head model whose head attends (almost) only to the previous position. */
function previousTokenModel(T = 8): GPT {
  const C = T;
  const m = new GPT({ vocabSize: 50, blockSize: T, nLayer: 1, nHead: 1, nEmbd: C, bias: false });
  const P = (n: string) => m.params.get(n).data;
  P('h.0.ln_1.weight').fill(1);
  P('h.0.ln_2.weight').fill(1);
  P('ln_f.weight').fill(1);
  // position t is the one-hot e_t (the token embedding stays zero)
  for (let t = 0; t < T; t++) P('wpe.weight')[t * C + t] = 1;
  // q = 10 · S ln(x) with S e_t = e_{t-1}; k = ln(x): the score peaks at key t - 1
  const W = P('h.0.attn.c_attn.weight'); // (3C, C): rows 0..C-1 make q, C..2C-1 make k
  for (let j = 1; j < C; j++) W[(j - 1) * C + j] = 10;
  for (let i = 0; i < C; i++) W[(C + i) * C + i] = 1;
  return m;
}

test('a head built to attend to the previous token scores 1 on previous and is labelled so', () => {
  const m = previousTokenModel(8);
  const ids = [1, 2, 3, 4, 1, 2, 3, 4];
  const tr = traceForward(m, ids, { attention: true, logits: 'none' });
  for (let q = 1; q < 8; q++) assert.ok(tr.attention[0]![q * 8 + q - 1]! > 0.999, `query ${q} attends to ${q - 1}`);
  const [h] = headScores(m, ids);
  assert.ok(h!.scores.previous > 0.999, `previous ${h!.scores.previous}`);
  // row 0 can only look at itself, row 1 only at 0 and 1: self 1/8, first 2/8
  assert.ok(Math.abs(h!.scores.self - 1 / 8) < 1e-6 && Math.abs(h!.scores.first - 2 / 8) < 1e-6, JSON.stringify(h!.scores));
  assert.match(h!.label, /^previous-token head/);
  // attending to the previous position on a sequence repeated is not induction
  assert.ok(h!.scores.induction < 0.1, `induction ${h!.scores.induction}`);
});

test('two clusters of embeddings give high cohesion; random ones about 0; maps stay aligned', () => {
  const rng = new Rng(3);
  const C = 16, n = 10;
  const a = Array.from({ length: C }, () => rng.normal());
  const b = Array.from({ length: C }, () => rng.normal());
  // b orthogonal to a: the clusters point different ways
  const ab = a.reduce((s, x, i) => s + x * b[i]!, 0) / a.reduce((s, x) => s + x * x, 0);
  for (let i = 0; i < C; i++) b[i] -= ab * a[i]!;
  const clustered = new Float32Array(2 * n * C);
  const random = new Float32Array(2 * n * C);
  for (let r = 0; r < 2 * n; r++) for (let i = 0; i < C; i++) {
    clustered[r * C + i] = (r < n ? a[i]! : b[i]!) + 0.2 * rng.normal();
    random[r * C + i] = rng.normal();
  }
  const groups = [{ name: 'a', rows: [...Array(n).keys()] }, { name: 'b', rows: [...Array(n).keys()].map((i) => i + n) }];
  const hi = cohesion(clustered, C, groups);
  const lo = cohesion(random, C, groups);
  assert.ok(hi.within > 0.9 && hi.score > 0.8, JSON.stringify(hi));
  assert.ok(Math.abs(lo.score) < 0.15, JSON.stringify(lo));
  // a map reflected and rotated is turned back onto the original
  const [p] = alignedMaps([clustered], 2 * n, C);
  const t = 1.1;
  const turned = new Float64Array(p!.length);
  for (let r = 0; r < 2 * n; r++) {
    turned[2 * r] = p![2 * r]! * Math.cos(t) - p![2 * r + 1]! * Math.sin(t);
    turned[2 * r + 1] = -(p![2 * r]! * Math.sin(t) + p![2 * r + 1]! * Math.cos(t));
  }
  const back = procrustes2(turned, p!);
  for (let i = 0; i < back.length; i++) assert.ok(Math.abs(back[i]! - p![i]!) < 1e-9);
});

test('default groups for characters; user groups', () => {
  const texts = ['a', 'b', 'A', 'B', '1', '2', ',', '.', ' ', '\n'];
  const g = defaultGroups(texts, 'char');
  assert.deepEqual(g.map((x) => [x.name, x.rows]), [['lowercase', [0, 1]], ['uppercase', [2, 3]], ['digits', [4, 5]], ['punctuation', [6, 7]], ['whitespace', [8, 9]]]);
  assert.deepEqual(parseGroups('ab|AB', texts, 'char').map((x) => x.rows), [[0, 1], [2, 3]]);
  assert.throws(() => parseGroups('ab|xy', texts, 'char'), /"x", "y" are not among/);
});

/** Vocabulary a b c d; logits after any token are [4, 2, 1, 0] (see the test). */
function handSetLogits(): { m: GPT; tok: CharTokenizer } {
  const m = new GPT({ vocabSize: 4, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 4, bias: false });
  const P = (n: string) => m.params.get(n).data;
  P('ln_f.weight').fill(1);
  P('h.0.ln_1.weight').fill(1);
  P('h.0.ln_2.weight').fill(1);
  // blocks add nothing (zero projections); the final norm leaves [1,-1,1,-1] as it is, so the
  // logits are its dot products with the token embeddings: 4, 2, 1, 0
  P('wte.weight').set([1, -1, 1, -1, 2, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0]);
  return { m, tok: new CharTokenizer(['a', 'b', 'c', 'd']) };
}

test('next on hand-set logits returns their probabilities; candidates are scored by teacher forcing', () => {
  const { m, tok } = handSetLogits();
  const sum = Math.exp(4) + Math.exp(2) + Math.exp(1) + 1;
  const probs = [Math.exp(4) / sum, Math.exp(2) / sum, Math.exp(1) / sum, 1 / sum];
  const r = nextTokens(m, tok, 'a', { top: 3, candidates: ['b', 'ab', 'dd'] });
  assert.deepEqual(r.top.map((t) => [t.token, t.id]), [['a', 0], ['b', 1], ['c', 2]]);
  r.top.forEach((t, i) => assert.ok(Math.abs(t.prob - probs[i]!) < 1e-4, `${t.token}: ${t.prob} vs ${probs[i]}`));
  assert.equal(r.candidates.length, 3);
  const [b, ab, dd] = r.candidates;
  assert.ok(Math.abs(b!.prob - probs[1]!) < 1e-4 && b!.rank === 2);
  // after 'a' then 'a' the logits are the same: p(ab) = p(a) p(b)
  assert.ok(Math.abs(ab!.logprob - Math.log(probs[0]! * probs[1]!)) < 1e-4 && ab!.rank === 1 && ab!.tokens.length === 2);
  // 'd' has a zero embedding, so after it every logit is 0: p(dd) = p(d) / 4
  assert.ok(Math.abs(dd!.prob - probs[3]! / 4) < 1e-5 && dd!.rank === 4);
  assert.ok(Math.abs(dd!.tokens[1]!.logprob - Math.log(0.25)) < 1e-5);
  assert.deepEqual(r.notes, []);
});

test('bad input: long prompt, empty prompt, unencodable candidate, --top past the vocabulary, unknown token', () => {
  const { m, tok } = handSetLogits();
  const long = nextTokens(m, tok, 'abcdabcd');
  assert.equal(long.promptTokens, 4);
  assert.match(long.notes.join(' '), /8 tokens, longer than the 4 the model reads: using its last 4/);
  const empty = nextTokens(m, tok, '');
  assert.match(empty.notes.join(' '), /the prompt is empty/);
  assert.throws(() => nextTokens(m, tok, 'a', { candidates: [' morning'] }), (e: Error) => e instanceof ScratchError && /cannot encode: " " \(U\+0020\), "m" \(U\+006D\)/.test(e.message));
  assert.throws(() => nextTokens(m, tok, 'aé'), /"é" \(U\+00E9\)/);
  const all = nextTokens(m, tok, 'a', { top: 99 });
  assert.equal(all.top.length, 4);
  assert.match(all.notes.join(' '), /--top 99 is more than the vocabulary's 4 tokens: showing all 4/);
  assert.throws(() => nearestTokens(m, tok, 'A'), /"A" is not a token of this char vocabulary \(4 ids\); closest in the vocabulary: "a"/);
  assert.deepEqual(closestSpellings(tok, 'e').length > 0, true);
  const n = nearestTokens(m, tok, 'a', { top: 10 });
  assert.equal(n.neighbors.length, 3);
  // [2,0,0,0] and [0,-1,0,0] both have cosine 0.5 with [1,-1,1,-1] (the lower id first); 'd' is zero
  assert.deepEqual(n.neighbors.map((x) => [x.token, +x.cosine.toFixed(6)]), [['b', 0.5], ['c', 0.5], ['d', 0]]);
});

test('logit lens: the last layer reads what the model outputs; attention maps have every head', () => {
  const m = new GPT({ vocabSize: 4, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, bias: true }, { rng: new Rng(5) });
  const tok = new CharTokenizer(['a', 'b', 'c', 'd']);
  const lens = logitLens(m, tok, 'abcab');
  assert.equal(lens.layers.length, 3);
  const out = softmax(traceForward(m, [0, 1, 2, 0, 1]).logits);
  const last = lens.layers[2]!;
  assert.ok(Math.abs(last.prob - out[last.id]!) < 1e-6, `${last.prob} vs ${out[last.id]}`);
  assert.equal(last.id, [...out].indexOf(Math.max(...out)));
  const att = attentionMaps(m, tok, 'abcab');
  assert.equal(att.heads.length, 4);
  assert.deepEqual(att.tokens, ['a', 'b', 'c', 'a', 'b']);
  for (const layer of att.weights) for (const head of layer) for (const row of head) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
});
