/**
 * Standard output that may close under us (`scratchlm sample | head -c 100`): a closed pipe stops
 * the output, not the program, so a training run piped into `head` still finishes and saves.
 */
let closed = false;

export function watchStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
    process.stdout.write = (() => true) as typeof process.stdout.write;
  });
  // `2>&1 | head`: the same for standard error
  process.stderr.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.stderr.write = (() => true) as typeof process.stderr.write;
  });
}

/**
 * Writes to standard output and, when the pipe is full, waits for it to drain: so a producer
 * (sample) neither piles up output in memory nor misses that the reader has gone.
 */
export async function writeOut(text: string): Promise<void> {
  if (closed || process.stdout.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      process.stdout.off('drain', done);
      process.stdout.off('error', done);
      resolve();
    };
    process.stdout.once('drain', done);
    process.stdout.once('error', done);
  });
}

/** True once the reader of standard output has gone away. */
export function stdoutClosed(): boolean {
  return closed;
}
