/** POST /hooks/publish: a site build asks for a pass now, with a bearer token. */
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type AdminHarness, type Deferred, deferred, HOOK_TOKEN, leaks, startAdmin } from './helpers.ts';

let t: AdminHarness | undefined;
/** Passes a test left running are ended, so closing (which waits for them) never hangs after a failure. */
const running: Deferred[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) p.resolve();
  if (t) {
    // The token is never echoed: not in a response, not in a log line.
    expect(leaks(t)).toEqual([]);
    await t.close();
  }
  t = undefined;
});

/** Calls the hook like a CI job would; the answer is recorded with the harness's bodies. */
async function hook(h: AdminHarness, headers: Record<string, string> = { authorization: `Bearer ${HOOK_TOKEN}` }, payload?: string): Promise<LightMyRequestResponse> {
  const res = await h.app.inject({ method: 'POST', url: '/hooks/publish', headers, ...(payload === undefined ? {} : { payload }) });
  h.bodies.push(res.body);
  return res;
}

/** A triggerPass that counts calls and lets the test decide when each pass ends. */
function controlledPass() {
  const passes: Deferred[] = [];
  let started = deferred<number>();
  return {
    passes,
    /** Resolves with the number of passes so far once the next one starts. */
    nextStart: () => started.promise,
    triggerPass: () => {
      const done = deferred();
      passes.push(done);
      running.push(done);
      const s = started;
      started = deferred<number>();
      s.resolve(passes.length);
      return done.promise;
    },
  };
}

describe('POST /hooks/publish', () => {
  it('without HERALD_HOOK_TOKEN the hook is off: 404 with a clear message', async () => {
    let calls = 0;
    for (const token of [undefined, '   ']) {
      t = await startAdmin({ env: { HERALD_HOOK_TOKEN: token }, triggerPass: async () => void calls++ });
      for (const headers of [{}, { authorization: 'Bearer anything' }, { authorization: `Bearer ${HOOK_TOKEN}` }] as Array<Record<string, string>>) {
        const r = await hook(t, headers);
        expect(r.statusCode).toBe(404);
        expect(r.headers['content-type']).toMatch(/^application\/json/);
        expect(r.json()).toEqual({ ok: false, error: 'the publish hook is disabled: set HERALD_HOOK_TOKEN to enable it' });
      }
      expect(leaks(t)).toEqual([]);
      await t.close();
      t = undefined;
    }
    expect(calls).toBe(0);
  });

  it('a missing or wrong token → 401 with WWW-Authenticate, and nothing runs', async () => {
    let calls = 0;
    t = await startAdmin({ triggerPass: async () => void calls++ });
    const basic = Buffer.from(`herald:${HOOK_TOKEN}`).toString('base64');
    for (const authorization of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer wrong-token',
      `Bearer ${HOOK_TOKEN.slice(0, -1)}`,
      `Bearer ${HOOK_TOKEN}x`,
      `Bearer x${HOOK_TOKEN}`,
      HOOK_TOKEN,
      `Basic ${basic}`,
      `Token ${HOOK_TOKEN}`,
    ]) {
      const r = await hook(t, authorization === undefined ? {} : ({ authorization } as Record<string, string>));
      expect(r.statusCode, String(authorization)).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.json()).toEqual({ ok: false, error: 'missing or wrong bearer token' });
    }
    // The handler triggers synchronously: had any call got through, the count would show it by now.
    expect(calls).toBe(0);
    expect(t.logs.filter((l) => l.includes('publish hook: rejected a call without the right token from 127.0.0.1'))).toHaveLength(11);
    expect(t.tg.calls).toHaveLength(0);
  });

  it('the right token → 202 at once, and the pass runs', async () => {
    const pass = controlledPass();
    t = await startAdmin({ triggerPass: pass.triggerPass });
    const started = pass.nextStart();
    const r = await hook(t);
    expect(r.statusCode).toBe(202);
    expect(r.json()).toEqual({ ok: true });
    expect(r.headers['cache-control']).toBe('no-store');
    // Answered while the pass is still running: a build step never waits for sending.
    expect(await started).toBe(1);
    pass.passes[0]!.resolve();
  });

  it('accepts whatever the caller posts (JSON, a form, nothing) and any case of "Bearer"', async () => {
    let calls = 0;
    t = await startAdmin({ triggerPass: async () => void calls++ });
    const auth = `Bearer ${HOOK_TOKEN}`;
    const answers = [
      await hook(t, { authorization: auth, 'content-type': 'application/json' }, JSON.stringify({ ref: 'main', commits: [1, 2] })),
      await hook(t, { authorization: `bearer   ${HOOK_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' }, 'a=1&b=2'),
      await hook(t, { authorization: auth, 'content-type': 'application/json' }, '{not json'),
      await hook(t, { authorization: auth, 'content-type': 'text/plain' }, 'built'),
      await hook(t, { authorization: auth }),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202, 202, 202]);
    await t.app.close();
    // Each call ran a pass or was folded into one; none was lost.
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(5);
  });

  it('a body over 64 KiB → 413 and nothing runs', async () => {
    let calls = 0;
    t = await startAdmin({ triggerPass: async () => void calls++ });
    const r = await hook(t, { authorization: `Bearer ${HOOK_TOKEN}`, 'content-type': 'application/json' }, JSON.stringify({ x: 'y'.repeat(70 * 1024) }));
    expect(r.statusCode).toBe(413);
    expect(calls).toBe(0);
  });

  it('only POST: GET /hooks/publish is not a route', async () => {
    let calls = 0;
    t = await startAdmin({ triggerPass: async () => void calls++ });
    const r = await t.app.inject({ method: 'GET', url: '/hooks/publish', headers: { authorization: `Bearer ${HOOK_TOKEN}` } });
    expect(r.statusCode).toBe(404);
    expect(calls).toBe(0);
  });

  it('calls during a running pass are folded into one more pass', async () => {
    const pass = controlledPass();
    t = await startAdmin({ triggerPass: pass.triggerPass });
    let next = pass.nextStart();
    expect((await hook(t)).statusCode).toBe(202);
    expect(await next).toBe(1);
    // Three more builds finish while the first pass runs.
    next = pass.nextStart();
    for (let i = 0; i < 3; i++) expect((await hook(t)).statusCode).toBe(202);
    expect(pass.passes).toHaveLength(1);
    // The first pass ends: exactly one more starts, for all three.
    pass.passes[0]!.resolve();
    expect(await next).toBe(2);
    pass.passes[1]!.resolve();
    // Closing waits for the pass in flight; nothing else was started.
    await t.app.close();
    expect(pass.passes).toHaveLength(2);
  });

  it('a failing pass is logged (redacted) and a later call runs again', async () => {
    let calls = 0;
    const second = deferred();
    t = await startAdmin({
      triggerPass: async () => {
        calls++;
        if (calls === 1) throw new Error(`store exploded while using ${HOOK_TOKEN}`);
        second.resolve();
      },
    });
    expect((await hook(t)).statusCode).toBe(202);
    expect((await hook(t)).statusCode).toBe(202);
    await second.promise;
    await t.app.close();
    expect(calls).toBe(2);
    const line = t.logs.find((l) => l.includes('publish hook: pass failed'));
    expect(line).toContain('publish hook: pass failed: store exploded while using ***');
  });

  it("without triggerPass, the hook's own pass sends a new article to Telegram", async () => {
    t = await startAdmin();
    expect((await hook(t)).statusCode).toBe(202);
    // First contact: both recent articles are due on tg-news.
    await t.tg.waitForMessages(2);
    expect(t.tg.messages.map((m) => String(m.body.caption ?? m.body.text).split('\n')[0])).toEqual([
      '<b><a href="https://news.example.com/posts/europe-ai/">Europe’s AI &lt;gigafactory&gt; rush</a></b>',
      '<b><a href="https://news.example.com/posts/second-post/">Second post</a></b>',
    ]);

    // The site publishes a new article and calls the hook again.
    t.site.write('posts/fresh.md', '---\ntitle: Fresh <news> & more\ndate: 2025-07-02T08:55:00+08:00\ntags: [breaking]\n---\n\nJust in.\n');
    expect((await hook(t)).statusCode).toBe(202);
    await t.tg.waitForMessages(3);
    const fresh = t.tg.messages[2]!;
    expect(fresh.chatId).toBe('@news');
    expect(String(fresh.body.text ?? fresh.body.caption)).toMatch(/^<b><a href="https:\/\/news\.example\.com\/posts\/[\w-]+\/">Fresh &lt;news&gt; &amp; more<\/a><\/b>/);
    // Close waits for the pass in flight, then the summary is in the log; nothing was sent twice.
    await t.app.close();
    expect(t.logs.some((l) => /publish hook: pass done, \d+ sent, 0 failed/.test(l))).toBe(true);
    expect(t.tg.messages).toHaveLength(3);
    const rows = await t.h.store.recentDeliveries({ channelId: 'tg-news', limit: 10 });
    expect(rows.map((d) => [d.articleId, d.status, d.manual])).toEqual([
      ['posts/fresh', 'sent', false],
      ['posts/second', 'sent', false],
      ['posts/europe-ai', 'sent', false],
    ]);
  });
});
