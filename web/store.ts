/** The last saved or loaded model's files, kept in IndexedDB across reloads. */
import type { ModelFiles } from './protocol.js';

const DB = 'scratchlm-playground';
const STORE = 'models';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB could not be opened'));
  });
}

export interface Kept {
  name: string;
  savedAt: string;
  files: ModelFiles;
}

export async function keepLast(k: Kept): Promise<void> {
  const db = await open();
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(k, 'last');
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'));
  });
  db.close();
}

export async function lastKept(): Promise<Kept | null> {
  const db = await open();
  const k = await new Promise<Kept | null>((resolve, reject) => {
    const r = db.transaction(STORE).objectStore(STORE).get('last');
    r.onsuccess = () => resolve((r.result as Kept | undefined) ?? null);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB read failed'));
  });
  db.close();
  return k;
}
