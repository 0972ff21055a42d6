/**
 * The one error type users see. Its message is a single line that says what is wrong and,
 * where we can tell, how to fix it; the CLI prints it without a stack trace.
 */
export class ScratchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScratchError';
  }
}

/** Throws a ScratchError when `cond` is false. */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new ScratchError(typeof message === 'string' ? message : message());
}
