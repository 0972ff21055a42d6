/** Whether the native addon is built here, and which of its paths this CPU runs. */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './paths.js';

export const ADDON = join(REPO, 'native', 'build', 'Release', 'scratchlm_native.node');
export const NATIVE_BUILT = existsSync(ADDON);

export function nativeVariantsHere(): string[] {
  return (createRequire(import.meta.url)(ADDON) as { variants(): string[] }).variants();
}
