/**
 * A large import must not freeze the server: 60,000 rows pasted into the dashboard while a
 * monitor polls /healthz over real HTTP. The import is written in batches, one transaction
 * each, with the event loop served between them, so /healthz is answered within 200 ms while
 * it runs (it used to wait for the whole import, some 11 s). On a 2-core machine shared with
 * other test processes a single answer can also wait for the CPU, so the bound is on 95 % of
 * the answers, and none may take more than a second.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { startLatencyMonitor } from '../../helpers/latency-monitor.ts';
import { dashboardPerTest, flashOf } from './helpers.ts';

const admin = dashboardPerTest();
const ROWS = 60_000;
const HEALTHZ_P95_MS = 200;
const HEALTHZ_MAX_MS = 1000;

describe('a 60,000-row import', () => {
  it('keeps /healthz answering within 200 ms while it runs, and imports every row', async () => {
    const t = await admin.loggedIn();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const lines = ['email,name,topics'];
    for (let i = 0; i < ROWS; i++) lines.push(`reader${i}@example.com,读者 ${i},chips;政策`);
    // Encoded before the clock starts: the test's own client shares this process with the server.
    const body = Buffer.from(new URLSearchParams({ _csrf: t.csrf, csv: lines.join('\n') }).toString());
    const cookie = [...t.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

    // The monitor runs in its own thread: a blocked server cannot pause it too.
    const monitor = startLatencyMonitor(`${origin}/healthz`);
    const started = performance.now();
    const res = await fetch(`${origin}/admin/subscribers/import`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body,
      redirect: 'manual',
    });
    const importMs = performance.now() - started;
    const samples = await monitor.stop();
    expect(res.status).toBe(303);
    expect(samples.every((x) => x.status === 200)).toBe(true);
    const latencies = samples.map((x) => x.ms);
    const sorted = [...latencies].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)]!;
    const slowest = sorted.at(-1)!;
    console.log(
      `import of ${ROWS} rows: ${Math.round(importMs)} ms; /healthz answered ${latencies.length} times meanwhile, median ${Math.round(sorted[sorted.length >> 1]!)} ms, 95th percentile ${Math.round(p95)} ms, slowest ${Math.round(slowest)} ms`,
    );
    // The monitor really ran alongside the import, and was answered promptly throughout.
    expect(latencies.length).toBeGreaterThan(10);
    expect(p95).toBeLessThan(HEALTHZ_P95_MS);
    expect(slowest).toBeLessThan(HEALTHZ_MAX_MS);

    const page = await t.follow({ statusCode: 303, headers: { location: res.headers.get('location') ?? '' } } as never);
    expect(flashOf(page.body)).toMatchObject({ kind: 'ok', text: `Imported ${ROWS} subscriber(s): ${ROWS} added, 0 updated, 0 invalid row(s) skipped.` });
    expect((await t.h.store.subscriberCounts()).active).toBe(ROWS + 2);
    expect(await t.h.store.getSubscriber(`reader${ROWS - 1}@example.com`)).toMatchObject({ name: `读者 ${ROWS - 1}`, topics: ['chips', '政策'] });
    // Progress went to the log, a tenth at a time.
    expect(t.logs.filter((l) => l.includes('dashboard: import by editor:')).length).toBe(10);
  });
});
