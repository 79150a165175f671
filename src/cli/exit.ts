/** Exit codes: 0 all good; 1 something failed (or `check` found problems); 2 bad usage or config. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Thrown by commands for a usage problem the parser could not catch (unknown channel, …). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The exit code of the command that ran, set by `act`. */
export const outcome = { code: EXIT.ok as number };

/** Wraps a command action that returns its exit code (commander's actions return void). */
export function act<A extends unknown[]>(fn: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    outcome.code = await fn(...args);
  };
}
