import { describe, expect, it } from 'vitest';
import { permanent, rateLimited, transient } from '../../src/channels/errors.ts';
import { backoffDelay, onFailure } from '../../src/pipeline/retry-policy.ts';
import { nextScheduled, isDigestDue } from '../../src/pipeline/digest-schedule.ts';

const s = { maxAttempts: 8, backoffMs: 30_000, maxBackoffMs: 6 * 3_600_000 };
const now = new Date('2025-07-01T00:00:00Z');

describe('retry policy', () => {
  it('backs off exponentially with jitter between half and the full delay, capped', () => {
    expect(backoffDelay(1, s, () => 0)).toBe(15_000);
    expect(backoffDelay(1, s, () => 1)).toBe(30_000);
    expect(backoffDelay(4, s, () => 1)).toBe(240_000);
    expect(backoffDelay(30, s, () => 1)).toBe(6 * 3_600_000);
  });

  it('retries transient failures until maxAttempts, then fails with the reason', () => {
    const r = onFailure(transient('email: 451 try later'), 3, now, s, () => 1);
    expect(r).toEqual({ action: 'retry', at: new Date(now.getTime() + 120_000), reason: 'email: 451 try later', countAttempt: true });
    expect(onFailure(transient('email: 451 try later'), 8, now, s)).toEqual({ action: 'fail', reason: 'email: 451 try later (gave up after 8 attempts)' });
  });

  it('fails permanent errors at once and waits out rate limits without counting', () => {
    expect(onFailure(permanent('550 no such user'), 1, now, s).action).toBe('fail');
    expect(onFailure(rateLimited('429', 5_000), 8, now, s)).toEqual({ action: 'retry', at: new Date(now.getTime() + 5_000), reason: '429', countAttempt: false });
  });

  it('treats unknown errors as transient so nothing is lost', () => {
    expect(onFailure(new Error('bug'), 1, now, s).action).toBe('retry');
  });
});

describe('digest schedule', () => {
  it('computes the next time in the site time zone', () => {
    // 08:00 in Shanghai is 00:00 UTC.
    expect(nextScheduled('0 8 * * *', 'Asia/Shanghai', new Date('2025-07-01T01:00:00Z')).toISOString()).toBe('2025-07-02T00:00:00.000Z');
  });
  it('is due once a scheduled time has passed since the last digest', () => {
    const last = new Date('2025-07-01T00:30:00Z');
    expect(isDigestDue('0 8 * * *', 'Asia/Shanghai', last, new Date('2025-07-01T23:59:00Z'))).toBe(false);
    expect(isDigestDue('0 8 * * *', 'Asia/Shanghai', last, new Date('2025-07-02T00:00:00Z'))).toBe(true);
  });
});
