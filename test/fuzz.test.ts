/**
 * The readers' fuzz, short (a few thousand cases; `npm run fuzz` runs 100,000+ per reader): every
 * truncation of the small files at sampled lengths and seeded mutations; each case loads correctly
 * or fails with a one-line ScratchError naming the file. Then 2,000 tokenizer strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeReaders } from './fuzz/readers.js';
import { mutations, truncations, type ReaderCounts } from './fuzz/mutate.js';
import { tokenizerFuzz } from './fuzz/tokenizers.js';
import { fuzzWatched } from './fuzz/watchdog.js';

const work = mkdtempSync(join(tmpdir(), 'scratchlm-fuzz-test-'));
let total = 0;
for (const reader of makeReaders()) {
  test(`fuzz ${reader.name}: every case loads or fails with a one-line error naming the file`, () => {
    const c: ReaderCounts = { reader: reader.name, cases: 0, loaded: 0, rejected: 0, failures: [] };
    truncations(reader, join(work, 'case'), c, 32, 24);
    mutations(reader, join(work, 'case'), c, 150, 1201);
    total += c.cases;
    assert.deepEqual(c.failures, [], `${c.failures.length} of ${c.cases} cases failed`);
    // the run's config.json and metrics.jsonl readers skip what they cannot use instead of failing
    if (!reader.name.startsWith('run config')) assert.ok(c.rejected > c.cases / 4, `only ${c.rejected} of ${c.cases} rejected: the mutations miss`);
  });
}

test('tokenizer fuzz: 2,000 strings round-trip through GPT-2 and a trained BPE; GPT-2 ids equal tiktoken', () => {
  const r = tokenizerFuzz(2000, 1201);
  assert.deepEqual(r.failures, []);
  assert.equal(r.mismatches, 0);
  assert.equal(r.strings, 2000);
  rmSync(work, { recursive: true, force: true });
  console.log(`# fuzz: ${total} reader cases, ${r.strings} tokenizer strings`);
});

test('the fuzz watchdog ends a case that never returns, reports it and keeps its files', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-fuzz-watch-'));
  try {
    // truncations of a 4-byte file: lengths 0 and 1 load, length 2 loops forever
    const c = await fuzzWatched('hangs on 2 bytes', { runs: 10, seed: 1, dir: join(dir, 'case'), hangMs: 1000, readersModule: new URL('./fuzz/hang-readers.js', import.meta.url).href });
    assert.ok(c.hang, JSON.stringify(c));
    assert.equal(c.hang.caseNumber, 3); // the third case started, and never ended
    assert.ok(c.hang.afterMs >= 1000);
    assert.equal(c.failures.length, 1);
    assert.match(c.failures[0]!.why, /ran for more than 1000 ms \(a hang\)/);
    assert.deepEqual([...readFileSync(join(c.hang.kept, 'a.bin'))], [7, 8]);
    rmSync(c.hang.kept, { recursive: true, force: true });
    // a reader that returns runs to the end in the worker, with the same counts as in this thread
    const ok = await fuzzWatched('token file', { runs: 20, seed: 5, dir: join(dir, 'case2'), hangMs: 60_000, truncMax: 8, truncSteps: 4 });
    const here: ReaderCounts = { reader: 'token file', cases: 0, loaded: 0, rejected: 0, failures: [] };
    const tokenFile = makeReaders().find((r) => r.name === 'token file')!;
    truncations(tokenFile, join(dir, 'case3'), here, 8, 4);
    mutations(tokenFile, join(dir, 'case3'), here, 20, 5);
    assert.equal(ok.hang, undefined);
    assert.deepEqual({ ...ok, failures: ok.failures.length }, { ...here, failures: here.failures.length });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
