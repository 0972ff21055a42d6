import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ../shared beside the repository: corpora and PyTorch fixtures (read-only). */
export const SHARED = resolve(REPO, '..', 'shared');
/** The built CLI entry point. */
export const CLI = resolve(REPO, 'dist', 'cli', 'main.js');
