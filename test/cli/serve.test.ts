/**
 * `herald serve` and the server half of `herald run`, as real processes on a real port:
 * the health check, the publish hook driving a pass, a port in use, clean stops.
 */
import { createServer, type Server } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { herald, startHerald } from '../helpers/cli.ts';
import { makeSite, seedArticle, type TestSite } from '../helpers/site.ts';
import { startTelegramApi, type TestTelegramApi } from '../helpers/telegram-api.ts';

const TOKEN = '123456:ABC-secret-token';
const HOOK = 'hook-token-SECRET-9f8e7d';
const T = '2025-07-02T09:00:00+08:00';
let tg: TestTelegramApi | undefined;
let child: ChildProcess | undefined;
let blocker: Server | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await tg?.close();
  await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  tg = child = blocker = undefined;
});

function site(): TestSite {
  const s = makeSite({
    channels: `  tg-news:\n    type: telegram\n    token: "${TOKEN}"\n    chat: "@news"\n    apiRoot: ${tg!.apiRoot}\n    pace: { perChat: 6000, perToken: 100 }\n  newsletter:\n    type: email\n    smtp: ""\n    from: News <news@example.com>\n    schedule: "0 8 * * 1"\n`,
  });
  s.write('posts/first.md', seedArticle({ title: '第一篇', date: '2025-07-02T08:00:00+08:00', slug: 'first' }));
  return s;
}

/** Resolves with the port once the process logs that its web server listens. */
function listening(c: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (b: Buffer) => {
      seen += b.toString();
      const m = /web server on http:\/\/127\.0\.0\.1:(\d+)\//.exec(seen);
      if (m) {
        c.stderr?.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    c.stderr?.on('data', onData);
    c.once('close', (code) => reject(new Error(`herald exited (${code}) before listening:\n${seen}`)));
  });
}

const hook = (port: number, token?: string) =>
  fetch(`http://127.0.0.1:${port}/hooks/publish`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('herald serve', () => {
  it('serves the health check and pages; the publish hook runs a pass; a wrong token does nothing; SIGTERM stops it cleanly', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN] });
    const s = site();
    const run = startHerald(['serve'], { cwd: s.dir, env: s.env(T, { HERALD_HOOK_TOKEN: HOOK }) });
    child = run.child;
    const port = await listening(run.child);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const page = await fetch(`http://127.0.0.1:${port}/subscribe`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('lang="zh-CN"');

    // `serve` alone never sends on its own: nothing goes out until the hook says so.
    expect((await hook(port)).status).toBe(401);
    expect((await hook(port, 'wrong')).status).toBe(401);
    expect(tg.messages).toHaveLength(0);

    expect((await hook(port, HOOK)).status).toBe(202);
    await tg.waitForMessages(1);
    expect(tg.messages[0]!.body.caption ?? tg.messages[0]!.body.text).toContain('第一篇');

    // A new article after a deploy: the next hook call sends it, and only it.
    s.write('posts/second.md', seedArticle({ title: '第二篇', date: '2025-07-02T08:30:00+08:00', slug: 'second' }));
    expect((await hook(port, HOOK)).status).toBe(202);
    await tg.waitForMessages(2);
    expect(tg.messages[1]!.body.caption ?? tg.messages[1]!.body.text).toContain('第二篇');

    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('stopped');
    expect(tg.messages).toHaveLength(2);
    expect(r.stdout + r.stderr).not.toContain(HOOK);
    expect(r.stdout + r.stderr).not.toContain('secret-token');
  });

  it('a port already in use: exit 1 with a message naming it', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN] });
    const s = site();
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as { port: number }).port;
    writeFileSync(s.configFile, readFileSync(s.configFile, 'utf8').replace('port: 0', `port: ${taken}`));
    const r = await herald(['serve'], { cwd: s.dir, env: s.env(T) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${taken}`);
    expect(r.stderr).toContain('server.port');
  });
});

describe('herald run', () => {
  it('serves the web pages while the scheduler sends; Ctrl-C stops both', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN] });
    const s = site();
    const run = startHerald(['run'], { cwd: s.dir, env: s.env(T) });
    child = run.child;
    const port = await listening(run.child);
    await tg.waitForMessages(1);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/subscribe`)).status).toBe(200);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(tg.messages).toHaveLength(1);
  });

  it('--no-server starts no web server', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN] });
    const s = site();
    const run = startHerald(['run', '--no-server'], { cwd: s.dir, env: s.env(T) });
    child = run.child;
    await tg.waitForMessages(1);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('web server on');
  });
});
