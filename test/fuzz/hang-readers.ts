/** A reader that hangs on one case (a 2-byte file), for the watchdog's own test (test/fuzz.test.ts). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reader } from './readers.js';

export function makeReaders(): Reader[] {
  return [
    {
      name: 'hangs on 2 bytes',
      files: new Map([['a.bin', Uint8Array.of(7, 8, 9, 10)]]),
      kind: () => 'binary',
      load: (d) => {
        const b = readFileSync(join(d, 'a.bin'));
        if (b.length === 2) for (;;) b[0] = (b[0]! + 1) & 255; // never returns
      },
    },
  ];
}
