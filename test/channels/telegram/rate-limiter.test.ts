import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRateLimiter } from '../../../src/channels/telegram/rate-limiter.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Acquires `n` slots at once and records when (on the fake clock) each was granted. */
function grab(limiter: ReturnType<typeof createRateLimiter>, n: number): number[] {
  const at: number[] = [];
  for (let i = 0; i < n; i++) limiter.acquire().then(() => at.push(Date.now()));
  return at;
}

describe('createRateLimiter', () => {
  it('grants `limit` at once, then one more each time the oldest grant leaves the window', async () => {
    const start = Date.now();
    const limiter = createRateLimiter({ limit: 3, windowMs: 1000, now: () => Date.now() });
    const at = grab(limiter, 7);
    await vi.advanceTimersByTimeAsync(5000);
    expect(at.map((t) => t - start)).toEqual([0, 0, 0, 1000, 1000, 1000, 2000]);
    expect(limiter.waiting).toBe(0);
  });

  it('never allows more than `limit` in any window (sliding, not fixed buckets)', async () => {
    const start = Date.now();
    const limiter = createRateLimiter({ limit: 2, windowMs: 1000, now: () => Date.now() });
    limiter.acquire();
    await vi.advanceTimersByTimeAsync(600);
    const at = grab(limiter, 3);
    await vi.advanceTimersByTimeAsync(5000);
    // 600 fits (2 in the window); the next waits until 0 leaves (1000), then 600 leaves (1600).
    expect(at.map((t) => t - start)).toEqual([600, 1000, 1600]);
  });

  it('turns a fractional rate into whole grants per longer window', async () => {
    const start = Date.now();
    const limiter = createRateLimiter({ limit: 0.5, windowMs: 1000, now: () => Date.now() });
    const at = grab(limiter, 3);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(at.map((t) => t - start)).toEqual([0, 2000, 4000]);
  });

  it('serves waiters first come, first served', async () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 100, now: () => Date.now() });
    const order: number[] = [];
    for (let i = 0; i < 5; i++) limiter.acquire().then(() => order.push(i));
    await vi.advanceTimersByTimeAsync(1000);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('holdUntil delays every grant until then', async () => {
    const start = Date.now();
    const limiter = createRateLimiter({ limit: 10, windowMs: 1000, now: () => Date.now() });
    limiter.holdUntil(start + 1500);
    const at = grab(limiter, 2);
    await vi.advanceTimersByTimeAsync(3000);
    expect(at.map((t) => t - start)).toEqual([1500, 1500]);
  });

  it('lower() keeps the stricter rate', async () => {
    const start = Date.now();
    const limiter = createRateLimiter({ limit: 10, windowMs: 1000, now: () => Date.now() });
    limiter.lower(1, 1000);
    limiter.lower(100, 1000); // looser: ignored
    const at = grab(limiter, 2);
    await vi.advanceTimersByTimeAsync(3000);
    expect(at.map((t) => t - start)).toEqual([0, 1000]);
  });

  it('an aborted waiter is removed and rejected with the reason; the others keep their turn', async () => {
    const start = Date.now();
    const limiter = createRateLimiter({ limit: 1, windowMs: 1000, now: () => Date.now() });
    const ac = new AbortController();
    const at = grab(limiter, 1);
    const aborted = limiter.acquire(ac.signal);
    const after = grab(limiter, 1);
    ac.abort(new Error('closing'));
    await expect(aborted).rejects.toThrow('closing');
    await vi.advanceTimersByTimeAsync(3000);
    expect([...at, ...after].map((t) => t - start)).toEqual([0, 1000]);
    await expect(limiter.acquire(ac.signal)).rejects.toThrow('closing');
  });

  it('rejects nonsense settings', () => {
    expect(() => createRateLimiter({ limit: 0, windowMs: 1000 })).toThrow(RangeError);
    expect(() => createRateLimiter({ limit: 1, windowMs: Number.NaN })).toThrow(RangeError);
  });
});
