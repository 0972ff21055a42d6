/**
 * Every example in examples/ and every JavaScript/TypeScript code block of the README runs, as a
 * user would run it, in a scratch folder holding input.txt (the first 100 kB of Tiny
 * Shakespeare) with SCRATCHLM_TINY=1 (every fit() trains at most 3 steps). A block preceded by
 * `<!-- test: skip REASON -->` is not run (a signature listing, a client of a running server).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { REPO, SHARED } from './paths.js';

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-examples-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO, join(dir, 'node_modules', 'scratchlm'), 'dir'); // import 'scratchlm' by name
  const shk = join(SHARED, 'data', 'tinyshakespeare.txt');
  writeFileSync(join(dir, 'input.txt'), existsSync(shk) ? readFileSync(shk, 'utf8').slice(0, 100_000) : 'To be, or not to be: that is the question.\n'.repeat(2000));
  return dir;
}

const runIn = (dir: string, file: string, args: string[] = []) => spawnSync(process.execPath, [file, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, SCRATCHLM_TINY: '1' }, timeout: 120_000 });

/** The README's fenced blocks in js/ts, with the marker line above each. */
export function readmeBlocks(md: string): { line: number; lang: string; code: string; skip: string | null }[] {
  const out = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^```(js|ts|mjs|javascript|typescript)\s*$/.exec(lines[i]!);
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && !lines[j]!.startsWith('```')) j++;
    const before = lines[i - 1] ?? '';
    const skip = /<!--\s*test:\s*skip\b(.*?)-->/.exec(before);
    out.push({ line: i + 1, lang: m[1]!, code: lines.slice(i + 1, j).join('\n'), skip: skip ? skip[1]!.trim() || 'no reason given' : null });
    i = j;
  }
  return out;
}

test('README: every js/ts block runs (or is marked skip with a reason)', () => {
  const dir = scratch();
  const blocks = readmeBlocks(readFileSync(join(REPO, 'README.md'), 'utf8'));
  assert.ok(blocks.length >= 2, `${blocks.length} blocks`);
  let ran = 0;
  for (const b of blocks) {
    if (b.skip) {
      assert.notEqual(b.skip, 'no reason given', `README.md:${b.line}: say why the block is skipped`);
      continue;
    }
    const js = b.lang.startsWith('t') ? ts.transpileModule(b.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText : b.code;
    const file = join(dir, `block-${b.line}.mjs`);
    writeFileSync(file, js);
    const r = runIn(dir, file);
    assert.equal(r.status, 0, `README.md:${b.line} failed:\n${r.stderr}`);
    ran++;
  }
  assert.ok(ran >= 2, `${ran} blocks ran`);
});

test('examples/: each script runs', () => {
  const dir = scratch();
  const scripts = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.mjs'));
  assert.ok(scripts.length >= 3);
  for (const f of scripts) {
    const r = runIn(dir, join(REPO, 'examples', f));
    assert.equal(r.status, 0, `examples/${f} failed:\n${r.stderr}`);
    assert.ok(r.stdout.length > 0, `examples/${f} printed nothing`);
  }
});
