/**
 * JSON Lines files that a run appends to (metrics.jsonl, snapshots/index.jsonl), read as text
 * (browser-safe): a line cut by a crash, or one that is not the record expected, is skipped.
 */

/** The parsed lines of `text` that `keep` accepts; blank, unparsable and rejected lines are skipped. */
export function parseJsonLines<T>(text: string, keep: (v: unknown) => v is T): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue; // a line cut by a crash
    }
    if (keep(v)) out.push(v);
  }
  return out;
}

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
