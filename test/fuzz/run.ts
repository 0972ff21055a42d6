/**
 * npm run fuzz: every reader fuzzed with 100,000+ cases (truncation at every length of each
 * file, then seeded fast-check mutations), then the tokenizer fuzz; prints the counts per reader
 * and exits 1 when any case failed. FUZZ_RUNS changes the mutations per reader; FUZZ_SEED the seed.
 * An argument picks readers by part of their name (several, comma-separated), 'readers' or 'tokenizers'.
 * Each reader runs in a worker under a watchdog (watchdog.ts): a case that runs longer than
 * FUZZ_HANG_MS (default 60 s) is a hang, reported with its files kept, and the next reader starts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeReaders } from './readers.js';
import { fuzzWatched } from './watchdog.js';
import { tokenizerFuzz } from './tokenizers.js';

const runs = Number(process.env.FUZZ_RUNS ?? 100_000);
const seed = Number(process.env.FUZZ_SEED ?? 20261201);
const hangMs = Number(process.env.FUZZ_HANG_MS ?? 60_000);
const only = process.argv[2];
let failed = 0;
const work = mkdtempSync(join(tmpdir(), 'scratchlm-fuzz-'));
for (const reader of makeReaders()) {
  if (only && only !== 'readers' && !only.split(',').some((o) => reader.name.includes(o))) continue;
  const t0 = performance.now();
  const c = await fuzzWatched(reader.name, { runs, seed, hangMs, dir: join(work, 'case') });
  const s = ((performance.now() - t0) / 1000).toFixed(0);
  if (c.hang) console.log(`${reader.name}: HANG at case ${c.hang.caseNumber} (no return for ${(c.hang.afterMs / 1000).toFixed(0)} s); its files: ${c.hang.kept}`);
  else console.log(`${reader.name}: ${c.cases} cases (${c.loaded} loaded, ${c.rejected} rejected with a one-line error, ${c.failures.length} failed) in ${s} s`);
  for (const f of c.failures.slice(0, 20)) if (f) console.log(`  FAILED ${f.why}\n    case: ${f.example}`);
  failed += c.failures.length;
}
rmSync(work, { recursive: true, force: true });
if (!only || only === 'tokenizers') {
  const t = tokenizerFuzz(Number(process.env.FUZZ_STRINGS ?? 100_000), seed);
  console.log(`tokenizers: ${t.strings} strings (${t.chars} characters) round-tripped through GPT-2 and a trained BPE; GPT-2 ids equal tiktoken's on all: ${t.mismatches === 0 ? 'yes' : `no, ${t.mismatches} differ`}; ${t.failures.length} failed`);
  for (const f of t.failures.slice(0, 10)) console.log(`  FAILED ${f}`);
  failed += t.failures.length + t.mismatches;
}
process.exit(failed ? 1 : 0);
