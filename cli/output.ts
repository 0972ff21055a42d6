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
}

/** True once the reader of standard output has gone away. */
export function stdoutClosed(): boolean {
  return closed;
}
