/**
 * What an attacker tried on the web server (issue 7), as tests: bodies far over the limit on
 * every route, framework errors (malformed URL, over-long path, unparseable requests) answered
 * with Herald's own pages and security headers, and slow clients cut off by the timeouts.
 * Real sockets where the behaviour is about the connection itself.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { confirmToken, preferencesToken, unsubscribeToken } from '../../src/server/reader/links.ts';
import { buildServer } from '../../src/server/app.ts';
import type { Herald } from '../../src/pipeline/herald.ts';
import { type AdminHarness, HOOK_TOKEN, startAdmin } from './admin/helpers.ts';

let t: AdminHarness | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const MB30 = Buffer.alloc(30 * 1024 * 1024, 'a');

/** The security headers every answer carries (helmet's, the same on Herald's own error answers). */
function expectSecurityHeaders(headers: Record<string, unknown>, where: string): void {
  expect(String(headers['content-security-policy']), where).toMatch(/(^|;)\s*frame-ancestors 'self'/);
  expect(headers['x-content-type-options'], where).toBe('nosniff');
  expect(headers['referrer-policy'], where).toBe('no-referrer');
  expect(headers['x-frame-options'], where).toBe('SAMEORIGIN');
}

async function listening(h: AdminHarness): Promise<number> {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return (h.app.server.address() as AddressInfo).port;
}

/** One raw HTTP exchange: writes `request`, collects what the server sends until it closes the connection. */
function exchange(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(request);
  });
}

function headersOf(raw: string): Record<string, string> {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  return Object.fromEntries(
    head
      .split('\r\n')
      .slice(1)
      .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
}

describe('body limits on every route', () => {
  it('a 30 MB body is refused with 413 everywhere (HTML, or JSON for the hook), the connection closed, and nothing is done', async () => {
    t = await startAdmin();
    await t.login();
    const alice = (await t.h.store.getSubscriber('alice@example.com'))!;
    const pending = (await t.h.store.signUp({ email: 'pending@example.com', topics: [] }, t.h.now())).subscriber;
    const routes: Array<[string, string, string]> = [
      ['POST', '/subscribe', 'application/x-www-form-urlencoded'],
      ['POST', `/unsubscribe/${unsubscribeToken(t.h.secret, alice.publicId)}`, 'application/x-www-form-urlencoded'],
      ['POST', `/unsubscribe/${unsubscribeToken(t.h.secret, alice.publicId)}`, 'text/plain'],
      ['POST', `/confirm/${confirmToken(t.h.secret, pending.publicId, t.h.now())}`, 'application/x-www-form-urlencoded'],
      ['POST', `/preferences/${preferencesToken(t.h.secret, alice.publicId)}`, 'application/x-www-form-urlencoded'],
      ['POST', '/hooks/publish', 'application/json'],
      ['POST', '/admin/login', 'application/x-www-form-urlencoded'],
      ['POST', '/admin/subscribers/import', 'application/x-www-form-urlencoded'],
      ['POST', '/admin/articles/europe-ai/send', 'application/x-www-form-urlencoded'],
      ['POST', '/no/such/page', 'application/x-www-form-urlencoded'],
      ['POST', '/no/such/page', 'application/json'],
      ['GET', '/subscribe', 'application/x-www-form-urlencoded'],
      ['GET', '/healthz', 'text/plain'],
    ];
    const cookie = [...t.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    for (const [method, url, type] of routes) {
      const where = `${method} ${url.slice(0, 40)} (${type})`;
      const r: LightMyRequestResponse = await t.app.inject({
        method: method as 'GET' | 'POST',
        url,
        payload: MB30,
        headers: { 'content-type': type, authorization: `Bearer ${HOOK_TOKEN}`, cookie },
      });
      expect(r.statusCode, where).toBe(413);
      expect(r.headers.connection, where).toBe('close');
      expectSecurityHeaders(r.headers, where);
      expect(r.headers['content-type'], where).toMatch(url === '/hooks/publish' ? /^application\/json/ : /^text\/html/);
    }
    expect(await t.h.store.getSubscriber('alice@example.com')).toMatchObject({ status: 'active' });
    expect((await t.h.store.getSubscriberById(pending.id))!.status).toBe('pending');
    expect(t.tg.calls).toHaveLength(0);
  });

  it('over a real connection, the server answers 413 and hangs up instead of reading 30 MB', async () => {
    t = await startAdmin();
    const port = await listening(t);
    const alice = (await t.h.store.getSubscriber('alice@example.com'))!;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = '';
    let closed = false;
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    socket.write(
      `POST /unsubscribe/${unsubscribeToken(t.h.secret, alice.publicId)} HTTP/1.1\r\nHost: news.example.com\r\nContent-Type: text/plain\r\nContent-Length: ${MB30.length}\r\n\r\n`,
    );
    // The body, 64 KiB at a time, as fast as the server takes it, until it hangs up.
    let sent = 0;
    const chunk = MB30.subarray(0, 64 * 1024);
    while (!closed && !socket.destroyed && sent < MB30.length) {
      const ok = socket.write(chunk);
      sent += chunk.length;
      if (!ok)
        await new Promise((resolve) => {
          socket.once('drain', resolve);
          socket.once('close', resolve);
        });
    }
    await new Promise((resolve) => (closed ? resolve(undefined) : socket.once('close', resolve)));
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    // Far less than the body was ever taken in (what sits in the kernel's buffers at most).
    expect(sent).toBeLessThan(MB30.length / 2);
    expect((await t.h.store.getSubscriber('alice@example.com'))!.status).toBe('active');
  });
});

describe('framework errors get Herald’s own answer', () => {
  it('a path longer than any route takes: 414 page (or JSON), security headers, nothing of the path echoed', async () => {
    t = await startAdmin();
    const long = `${'x'.repeat(600)}.MARKER`;
    for (const url of [`/confirm/${long}`, `/unsubscribe/${long}`, `/admin/articles/${long}`]) {
      const html = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(html.statusCode, url).toBe(414);
      expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(html.body).toContain('<h1>Address too long</h1>');
      expect(html.body).not.toContain('MARKER');
      expect(html.body).not.toContain('xxxxxxxx');
      expectSecurityHeaders(html.headers, url);
      const json = await t.app.inject({ method: 'GET', url, headers: { accept: 'application/json' } });
      expect(json.statusCode).toBe(414);
      expect(json.json()).toEqual({ ok: false, status: 414, error: 'URI Too Long' });
      expectSecurityHeaders(json.headers, url);
    }
    // Every token Herald makes fits: the longest a token may be is an unknown link (404), not a 414.
    const longest = `${'x'.repeat(400)}.${'y'.repeat(64)}`;
    expect((await t.app.inject({ method: 'GET', url: `/unsubscribe/${longest}` })).statusCode).toBe(404);
  });

  it('a malformed URL escape: 400 page, headers, no echo; bad JSON to an unknown page likewise', async () => {
    t = await startAdmin();
    const bad = await t.app.inject({ method: 'GET', url: '/confirm/%E0%A4%A-MARKER' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(bad.body).toContain('<h1>This request could not be read</h1>');
    expect(bad.body).not.toContain('MARKER');
    expect(bad.body).not.toContain('%E0');
    expectSecurityHeaders(bad.headers, 'bad url');
    const json = await t.app.inject({
      method: 'POST',
      url: '/no-route',
      payload: '{"MARKER": ',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    });
    expect([400, 404]).toContain(json.statusCode);
    expect(json.body).not.toContain('MARKER');
    expect(json.json()).toMatchObject({ ok: false });
    expectSecurityHeaders(json.headers, 'bad json');
    // The reader pages answer bad JSON with their own 400 page.
    const reader = await t.app.inject({ method: 'POST', url: '/subscribe', payload: '{"MARKER": ', headers: { 'content-type': 'application/json' } });
    expect(reader.statusCode).toBe(400);
    expect(reader.body).not.toContain('MARKER');
    expectSecurityHeaders(reader.headers, 'reader bad json');
  });

  it('requests the HTTP parser refuses (bad syntax, oversized headers) get a page with the security headers', async () => {
    t = await startAdmin();
    const port = await listening(t);
    const garbled = await exchange(port, 'GET /subscribe HTTP/1.1\r\nHost: x\r\nBroken Header MARKER\r\n\r\n');
    expect(garbled).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(garbled).toContain('<h1>This request could not be read</h1>');
    expect(garbled).not.toContain('MARKER');
    expectSecurityHeaders(headersOf(garbled), 'garbled');
    const huge = await exchange(port, `GET /subscribe HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge).toContain('<h1>Request too large</h1>');
    expectSecurityHeaders(headersOf(huge), 'header overflow');
  });
});

describe('slow clients are cut off', () => {
  it('slow bodies, slow headers and silent connections are closed once their timeout passes (short timeouts for the test)', async () => {
    const timeouts = { headersMs: 300, requestMs: 600, idleMs: 1000, keepAliveMs: 500 };
    t = await startAdmin({
      build: (h: Herald) => {
        h.config.server.timeouts = timeouts;
        return buildServer(h);
      },
    });
    const port = await listening(t);
    /** A client that opens a connection, sends `head`, then one byte every 100 ms (bounded: 100 at most); resolves when the server hangs up. */
    const slow = (head: string, trickle: string) =>
      new Promise<{ received: string; openMs: number }>((resolve, reject) => {
        const started = performance.now();
        const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
        let received = '';
        let sent = 0;
        const timer = setInterval(() => {
          if (trickle !== '' && sent < 100 && socket.writable) {
            socket.write(trickle);
            sent++;
          }
        }, 100);
        socket.on('data', (d) => (received += d.toString('latin1')));
        socket.on('error', () => {});
        socket.on('close', () => {
          clearInterval(timer);
          resolve({ received, openMs: performance.now() - started });
        });
        // The bound of the test: no client may stay longer than this.
        setTimeout(() => {
          clearInterval(timer);
          socket.destroy();
          reject(new Error(`a slow client was still connected after 5 s (sent ${sent} bytes)`));
        }, 5000).unref();
      });
    const clients = [
      // 30 slow bodies: the headers at once, then the body a byte at a time.
      ...Array.from({ length: 30 }, () =>
        slow(
          'POST /preferences/abc.defghijklmnopqrstuv HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nname=',
          'a',
        ),
      ),
      // 5 slowloris: the headers never finish.
      ...Array.from({ length: 5 }, () => slow('GET /subscribe HTTP/1.1\r\nHost: x\r\n', 'X')),
      // 5 that connect and say nothing.
      ...Array.from({ length: 5 }, () => slow('', '')),
    ];
    const results = await Promise.all(clients);
    for (const [i, r] of results.entries()) {
      // Cut off with a 408 page (a silent connection may simply be closed), well before the 5 s bound.
      if (i < 35) expect(r.received, `client ${i}`).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(r.openMs, `client ${i}`).toBeLessThan(4000);
    }
    expectSecurityHeaders(headersOf(results[0]!.received), 'slow body');
    expect(results[0]!.received).toContain('<h1>Too slow</h1>');
    // The server itself is fine.
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
  });
});

describe('the publish hook is rate-limited', () => {
  it(`a client gets 30 calls a minute, then 429 JSON; the log gets no more than 30 warnings`, async () => {
    let passes = 0;
    t = await startAdmin({ triggerPass: async () => void passes++ });
    const codes: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await t.app.inject({ method: 'POST', url: '/hooks/publish', headers: { authorization: 'Bearer wrong' } });
      codes.push(r.statusCode);
      if (r.statusCode === 429) {
        expect(r.json()).toEqual({ ok: false, status: 429, error: 'Too Many Requests' });
        expect(r.headers['retry-after']).toBeDefined();
      }
    }
    expect(codes.filter((c) => c === 401)).toHaveLength(30);
    expect(codes.filter((c) => c === 429)).toHaveLength(10);
    expect(t.logs.filter((l) => l.includes('publish hook: rejected'))).toHaveLength(30);
    // Another client is not affected (behind a local proxy, the address it names counts).
    const other = await t.app.inject({
      method: 'POST',
      url: '/hooks/publish',
      headers: { authorization: `Bearer ${HOOK_TOKEN}`, 'x-forwarded-for': '203.0.113.9' },
    });
    expect(other.statusCode).toBe(202);
    await t.app.close();
    expect(passes).toBe(1);
  });
});
