/** Layers point one way: each folder imports only from the folders below it, and core code imports nothing from node:. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO } from './paths.js';

/** What each src/ folder may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  kernels: ['core'],
  tensor: ['core', 'kernels'],
  tokenizer: ['core'],
  model: ['core', 'kernels', 'tensor'],
  train: ['core', 'kernels', 'tensor', 'model', 'io', 'tokenizer', 'generate', 'inspect'],
  generate: ['core', 'kernels', 'tensor', 'model', 'tokenizer'],
  inspect: ['core', 'kernels', 'tensor', 'model', 'tokenizer'],
  io: ['core', 'kernels', 'tensor', 'model', 'tokenizer'],
  check: ['core', 'kernels', 'tensor', 'model', 'io', 'generate', 'train'],
  // the high-level API (GPT.create, fit, generate, ...): browser-safe, over everything below it
  api: ['core', 'kernels', 'tensor', 'model', 'io', 'tokenizer', 'generate', 'train', 'inspect'],
  // Node orchestration over the browser-safe layers: run folders (src/node.ts exports it)
  node: ['core', 'kernels', 'tensor', 'model', 'io', 'tokenizer', 'generate', 'train', 'inspect', 'api'],
};
/** Only these may touch node: modules (files, processes, threads). */
const NODE_OK = [/^src\/io\//, /^src\/kernels\/wasm\/node-/, /^src\/kernels\/native\/node-/, /^src\/check\//, /^src\/node\//, /^src\/node\.ts$/];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('imports point one way and core code stays browser-safe', () => {
  const problems: string[] = [];
  for (const file of files(join(REPO, 'src'))) {
    const rel = relative(REPO, file).split('\\').join('/');
    const parts = rel.split('/');
    const layer = parts.length > 2 ? parts[1] : null;
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('node:')) {
        if (!NODE_OK.some((r) => r.test(rel))) problems.push(`${rel} imports ${spec}`);
        continue;
      }
      if (!spec.startsWith('.') || !layer) continue;
      const target = relative(join(REPO, 'src'), join(file, '..', spec)).split('\\').join('/').split('/')[0];
      if (target === layer) continue;
      if (!(ALLOWED[layer] ?? []).includes(target)) problems.push(`${rel} (${layer}) imports ${spec} (${target})`);
    }
  }
  assert.deepEqual(problems, []);
});

test('cli/ and server/ import the library only through src/index.ts', () => {
  const problems: string[] = [];
  for (const file of [...files(join(REPO, 'cli')), ...files(join(REPO, 'server'))]) {
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
      if (m[1].includes('/src/') && !/\/src\/index\.js$/.test(m[1])) problems.push(`${relative(REPO, file)} imports ${m[1]}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('web/ (the playground) imports the library only by its package name (the browser entry)', () => {
  const problems: string[] = [];
  const web = join(REPO, 'web');
  for (const file of readdirSync(web).filter((f) => f.endsWith('.ts'))) {
    const src = readFileSync(join(web, file), 'utf8');
    for (const m of src.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      if (file === 'vite.config.ts') continue; // the build script runs in Node
      if (spec.startsWith('node:') || spec.includes('/src/') || spec.includes('../')) problems.push(`web/${file} imports ${spec}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the browser entry reaches no node: module', () => {
  // every module src/browser.ts reaches, followed through relative imports (a type-only
  // `typeof import(...)` loads nothing; Node's loader is imported through a variable)
  const seen = new Set<string>();
  const problems: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|(?<!typeof )import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('node:')) problems.push(`${relative(REPO, file)} imports ${spec}`);
      else if (spec.startsWith('.')) visit(join(file, '..', spec.replace(/\.js$/, '.ts')));
    }
  };
  visit(join(REPO, 'src', 'browser.ts'));
  assert.ok(seen.size > 20, `${seen.size} modules reached`);
  assert.deepEqual(problems, []);
});
