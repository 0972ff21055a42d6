/**
 * The one Node-specific module of the native backend: finds and loads the addon that `npm ci`
 * built (native/build/Release/scratchlm_native.node, see tools/build-native.mjs), or says why
 * it could not. Only createBackend reaches this file, and only in Node.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './backend.js';

/** How to build the addon, for error messages. */
export const BUILD_HINT = 'build it with `npm run build:native` (needs a C compiler, make and python3)';

let cached: { addon: NativeAddon | null; why: string } | null = null;

/** The repository (or installed package) root: dist/src/kernels/native -> four levels up. */
function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
}

/**
 * The addon, or null and a one-line reason. SCRATCHLM_NATIVE_ADDON overrides the path (tests use
 * it to simulate a missing or broken build).
 */
export function loadAddon(): { addon: NativeAddon | null; why: string } {
  if (cached) return cached;
  const path = process.env.SCRATCHLM_NATIVE_ADDON ?? join(packageRoot(), 'native', 'build', 'Release', 'scratchlm_native.node');
  if (!existsSync(path)) {
    cached = { addon: null, why: `the native kernels are not built (no ${path}); ${BUILD_HINT}` };
  } else {
    try {
      cached = { addon: createRequire(import.meta.url)(path) as NativeAddon, why: '' };
    } catch (e) {
      const msg = String((e as Error).message ?? e).split('\n')[0];
      cached = { addon: null, why: `the native kernels failed to load (${msg}); re-${BUILD_HINT.replace(/^build/, 'build')}` };
    }
  }
  return cached;
}

export function defaultThreads(): number {
  return availableParallelism();
}

/** Address space to reserve: the machine's memory (pages are only committed when used). */
export function defaultReserveBytes(): number {
  return totalmem();
}
