/**
 * The readers' fuzz, short (a few thousand cases; `npm run fuzz` runs 100,000+ per reader): every
 * truncation of the small files at sampled lengths and seeded mutations; each case loads correctly
 * or fails with a one-line ScratchError naming the file. Then 2,000 tokenizer strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeReaders } from './fuzz/readers.js';
import { mutations, truncations, type ReaderCounts } from './fuzz/mutate.js';
import { tokenizerFuzz } from './fuzz/tokenizers.js';

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
