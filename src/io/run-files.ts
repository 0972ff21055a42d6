/**
 * The plain files of a run folder: metrics.jsonl (one JSON object per logged step or
 * evaluation, appended as the run goes) and its truncation when a run resumes.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScratchError } from '../core/errors.js';
import { fileErrorMessage, readJson, removeStaleTemps, writeAtomic } from './files.js';
import { parseMetrics, type MetricsRecord } from './metrics-text.js';

export type { MetricsRecord };

/** Creates the run folder and checks that files can be written there. */
export function ensureRunFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ScratchError(fileErrorMessage(dir, e, 'output folder', 'create', 'choose another --out'));
  }
  const probe = join(dir, '.write-test');
  try {
    writeFileSync(probe, 'ok');
    unlinkSync(probe);
  } catch (e) {
    throw new ScratchError(fileErrorMessage(dir, e, 'folder', 'write into', 'choose another --out'));
  }
  removeStaleTemps(dir); // of a process killed while writing (kill -9)
}

/** The run's config.json as written by trainRun, or null when there is none or it is unreadable. */
export function readRunConfigFile(dir: string): Record<string, unknown> | null {
  try {
    const c = readJson(join(dir, 'config.json'), 'run config');
    return c && typeof c === 'object' && !Array.isArray(c) ? (c as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Writes a file of the run folder atomically. */
export function writeRunFile(dir: string, name: string, text: string): void {
  writeAtomic(join(dir, name), text);
}

/** Whether a file or folder exists. */
export function pathExists(path: string): boolean {
  return existsSync(path);
}

/** base, or base-2, base-3, ... when taken. */
export function freshRunDir(base: string): string {
  if (!existsSync(base)) return base;
  for (let i = 2; ; i++) if (!existsSync(`${base}-${i}`)) return `${base}-${i}`;
}

/** The metrics.jsonl file of a run folder. */
export function metricsPath(dir: string): string {
  return join(dir, 'metrics.jsonl');
}

/** A run folder's metrics.jsonl records; lines that do not parse (cut by a crash) are skipped. */
export function readMetrics(dir: string): MetricsRecord[] {
  const path = metricsPath(dir);
  if (!existsSync(path)) return [];
  return parseMetrics(readFileSync(path, 'utf8'));
}

/** Keeps the records before step `iter` (a resumed run writes the rest again). */
export function truncateMetrics(dir: string, iter: number): MetricsRecord[] {
  const kept = readMetrics(dir).filter((r) => r.iter < iter);
  writeAtomic(metricsPath(dir), kept.map((r) => JSON.stringify(r) + '\n').join(''));
  return kept;
}

/** Appends one record to a run folder's metrics.jsonl. */
export function appendMetrics(dir: string, r: MetricsRecord): void {
  try {
    appendFileSync(metricsPath(dir), JSON.stringify(r) + '\n');
  } catch (e) {
    throw new ScratchError(fileErrorMessage(metricsPath(dir), e, 'metrics file', 'write'));
  }
}
