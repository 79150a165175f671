/**
 * A first-come-first-served sliding-window limiter: at most `limit` grants in any
 * `windowMs`. It only ever waits (nothing is dropped), and waiters are served in the
 * order they asked, so posts keep their order.
 */
export interface RateLimiter {
  /** Resolves when a slot is granted; rejects with `signal.reason` if aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Grant nothing before `time` (on the limiter's clock), e.g. after a 429 with retry_after. */
  holdUntil(time: number): void;
  /** Never allow more than `limit` per `windowMs` from now on (shared limiters keep the strictest setting). */
  lower(limit: number, windowMs: number): void;
  /** The time set by holdUntil (-Infinity when never held). */
  readonly heldUntil: number;
  /** Waiters not yet granted. */
  readonly waiting: number;
}

export interface RateLimiterOptions {
  limit: number;
  windowMs: number;
  /** Monotonic clock in ms; default performance.now. */
  now?: () => number;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const now = opts.now ?? (() => performance.now());
  let { limit, windowMs } = whole(opts.limit, opts.windowMs);
  const granted: number[] = [];
  const queue: Waiter[] = [];
  let heldUntil = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const settle = (w: Waiter) => {
    if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
  };

  const pump = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const t = now();
    while (granted.length > 0 && (granted[0] as number) <= t - windowMs) granted.shift();
    while (queue.length > 0 && granted.length < limit && t >= heldUntil) {
      const w = queue.shift() as Waiter;
      granted.push(t);
      settle(w);
      w.resolve();
    }
    if (queue.length === 0) return;
    const next = Math.max(heldUntil, granted.length >= limit ? (granted[granted.length - limit] as number) + windowMs : t);
    // A timer may fire a hair early against this clock; pump then just waits again.
    timer = setTimeout(pump, Math.max(1, Math.ceil(next - t)));
  };

  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const w: Waiter = { resolve, reject, ...(signal === undefined ? {} : { signal }) };
        if (signal !== undefined) {
          w.onAbort = () => {
            const i = queue.indexOf(w);
            if (i >= 0) queue.splice(i, 1);
            settle(w);
            reject(signal.reason);
            if (queue.length === 0 && timer !== undefined) {
              clearTimeout(timer);
              timer = undefined;
            }
          };
          signal.addEventListener('abort', w.onAbort, { once: true });
        }
        queue.push(w);
        pump();
      });
    },
    holdUntil(time) {
      heldUntil = Math.max(heldUntil, time);
      if (queue.length > 0) pump();
    },
    lower(newLimit, newWindowMs) {
      const next = whole(newLimit, newWindowMs);
      if (next.limit / next.windowMs < limit / windowMs) ({ limit, windowMs } = next);
      if (queue.length > 0) pump();
    },
    get heldUntil() {
      return heldUntil;
    },
    get waiting() {
      return queue.length;
    },
  };
}

/** 0.5 per second is 1 per 2 seconds: the window holds a whole number of grants. */
function whole(limit: number, windowMs: number): { limit: number; windowMs: number } {
  if (!(limit > 0) || !(windowMs > 0)) throw new RangeError(`rate limiter: limit and window must be positive, got ${limit} per ${windowMs} ms`);
  if (Number.isInteger(limit)) return { limit, windowMs };
  const n = Math.max(1, Math.floor(limit));
  return { limit: n, windowMs: (windowMs * n) / limit };
}
