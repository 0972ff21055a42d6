import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * ../shared beside the repository: corpora and PyTorch fixtures (read-only). A git worktree may sit
 * one level deeper (e.g. wt/<name>), so the nearest ancestor with shared/ wins; SCRATCHLM_SHARED
 * overrides.
 */
function findShared(): string {
  if (process.env.SCRATCHLM_SHARED) return resolve(process.env.SCRATCHLM_SHARED);
  for (let dir = resolve(REPO, '..'); ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, 'shared'))) return resolve(dir, 'shared');
    if (dirname(dir) === dir) return resolve(REPO, '..', 'shared');
  }
}
export const SHARED = findShared();
/** The built CLI entry point. */
export const CLI = resolve(REPO, 'dist', 'cli', 'main.js');
