/**
 * Editors from the command line and through real Herald processes: `herald why`, `hold`,
 * `release`, `retry`, and approval windows across separate runs (a restart in the middle of
 * a window, two processes at its end) and inside the daemon, which wakes for the end of a
 * window and answers Telegram commands while it runs.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { herald, startHerald } from '../helpers/cli.ts';
import { makeSite, seedArticle, type TestSite } from '../helpers/site.ts';
import { type DiscordApi, startDiscordApi } from '../helpers/discord-api.ts';
import { startTelegramApi, type TestTelegramApi } from '../helpers/telegram-api.ts';

const TOKEN = '123456:ABC-channel-secret-token';
const EDITOR_TOKEN = '654321:XYZ-editor-secret-token';
const GROUP = '-1009000000001';
const ANN = { id: 1001, username: 'ann', first_name: 'Ann' };
const T = '2025-07-02T09:00:00+08:00';
let tg: TestTelegramApi | undefined;
let dc: DiscordApi | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await tg?.close();
  await dc?.close();
  tg = dc = child = undefined;
});

function site(approval = ''): TestSite {
  const s = makeSite({
    language: 'en',
    channels: `  tg-news:\n    type: telegram\n    token: "${TOKEN}"\n    chat: "@news"\n    apiRoot: ${tg!.apiRoot}\n    pace: { perChat: 6000, perToken: 100 }\n${approval ? `    approval: ${approval}\n` : ''}`,
    extra: `editors:\n  telegram:\n    token: "${EDITOR_TOKEN}"\n    users: [${ANN.id}]\n    chat: "${GROUP}"\n    apiRoot: ${tg!.apiRoot}\n`,
  });
  s.write('posts/europe-ai.md', seedArticle({ title: '欧洲的AI“千兆工厂”热潮', date: '2025-07-02T08:00:00+08:00', slug: 'europe-ai', image: '/img/a.jpg' }));
  s.write('posts/notes.md', '---\ntitle: "Weekly notes"\nslug: notes\ndate: 2025-07-02T08:30:00+08:00\n---\n\nShort.\n');
  return s;
}

const posts = () => tg!.messages.filter((m) => m.chatId === '@news');
/** Approval cards: the messages in the editors' group that came with buttons. */
const cards = () => tg!.messages.filter((m) => m.chatId === GROUP && m.body.reply_markup !== undefined);
const at = (minutes: number) => new Date(Date.parse(T) + minutes * 60_000).toISOString();

describe('herald why, hold, release, retry', () => {
  it('why explains per channel (also as JSON); hold and release are recorded with who did them', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN, EDITOR_TOKEN] });
    const s = site();
    const held = await herald(['hold', 'europe'], { cwd: s.dir, env: s.env(T) });
    expect(held.stdout).toBe('tg-news: held; nothing goes out until it is released\n');
    expect((await herald(['dispatch'], { cwd: s.dir, env: s.env(T) })).code).toBe(0);
    expect(posts().map((m) => String(m.body.text ?? m.body.caption))).toEqual([expect.stringContaining('Weekly notes')]);

    const why = await herald(['why', 'europe-ai'], { cwd: s.dir, env: s.env(at(1)) });
    expect(why.code).toBe(0);
    expect(why.stdout).toMatch(/^tg-news: Held by \S+ \(cli\) at 2025-07-02 09:00 UTC\+08:00$/m);
    const json = JSON.parse((await herald(['why', 'europe-ai', '--json'], { cwd: s.dir, env: s.env(at(1)) })).stdout);
    expect(json.article).toMatchObject({ id: 'posts/europe-ai', status: 'published' });
    expect(json.channels[0]).toMatchObject({ channelId: 'tg-news', reason: { kind: 'held', by: { via: 'cli' } }, history: [{ event: 'hold' }] });
    const articles = await herald(['articles'], { cwd: s.dir, env: s.env(at(1)) });
    expect(articles.stdout).toMatch(/europe-ai\.md .*\[tg-news=held\(hold \S+ via cli\)\]/);

    const released = await herald(['release', 'europe-ai'], { cwd: s.dir, env: s.env(at(2)) });
    expect(released.code).toBe(0);
    expect(released.stdout).toBe('tg-news: released: 1 sent, 0 failed, 0 left pending\n');
    expect(posts()).toHaveLength(2);
    const after = JSON.parse((await herald(['why', 'europe-ai', '--json'], { cwd: s.dir, env: s.env(at(3)) })).stdout);
    expect(after.channels[0].reason.kind).toBe('sent');
    expect(after.channels[0].history.map((e: { event: string }) => e.event)).toEqual(['hold', 'release', 'sent']);

    const ambiguous = await herald(['why', 'e'], { cwd: s.dir, env: s.env(at(3)) });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('"e" matches 2 articles; give one of: posts/notes, posts/europe-ai');
  });

  it('retry sends what waits for a later attempt, not only what failed', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN, EDITOR_TOKEN] });
    const s = site();
    tg.failNext('*', { code: 502, description: 'Bad Gateway' }, { chat: '@news' });
    const first = await herald(['dispatch'], { cwd: s.dir, env: s.env(T) });
    expect(first.stdout).toContain('tg-news: 0 sent, 0 failed, 2 left pending for a later attempt');
    // A plain dispatch seconds later still waits for the backoff (at least 15 s)…
    expect((await herald(['dispatch'], { cwd: s.dir, env: s.env(at(0.05)) })).stdout).toContain('nothing to send');
    // …retry sends it now.
    const r = await herald(['retry'], { cwd: s.dir, env: s.env(at(0.1)) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('due now: 0 failed, 2 deferred');
    expect(r.stdout).toContain('tg-news: 2 sent, 0 failed');
    expect(posts()).toHaveLength(2);
  });
});

describe('approval windows across processes', () => {
  it('a restart in the middle of the window: one card, released once at its end; two processes there send once', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN, EDITOR_TOKEN] });
    const s = site('{ window: 15m }');
    expect((await herald(['dispatch'], { cwd: s.dir, env: s.env(T) })).code).toBe(0);
    expect(posts()).toEqual([]);
    expect(cards()).toHaveLength(2);
    expect(tg.buttonsOf(cards()[0]!).map(([l]) => l)).toEqual(['Send now', 'Hold', 'Skip']);
    const status = await herald(['status'], { cwd: s.dir, env: s.env(at(5)) });
    expect(status.stdout).toContain('tg-news (telegram): 0 sent, 0 pending');
    expect(status.stdout).toContain('awaiting approval: tg-news posts/europe-ai (released at 2025-07-02T01:15:');

    // Another run within the window: no second card, nothing sent.
    expect((await herald(['dispatch'], { cwd: s.dir, env: s.env(at(5)) })).code).toBe(0);
    expect(cards()).toHaveLength(2);
    expect(posts()).toEqual([]);

    // Two processes at its end: each article once.
    const [a, b] = await Promise.all([herald(['dispatch'], { cwd: s.dir, env: s.env(at(16)) }), herald(['dispatch'], { cwd: s.dir, env: s.env(at(16)) })]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(posts().map((m) => m.method)).toEqual(['sendPhoto', 'sendMessage']);
    for (const c of cards()) expect(String(c.body.text)).toContain('✅ Released automatically at 2025-07-02 09:1');
    const out = a.stdout + a.stderr + b.stdout + b.stderr;
    expect(out).not.toContain('secret-token');
  });

  it('the daemon wakes for the end of a window on its own, and answers editors while it runs', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN, EDITOR_TOKEN] });
    const s = site('{ window: 3s }');
    const run = startHerald(['run', '--no-server'], { cwd: s.dir, env: s.env(T) });
    child = run.child;
    try {
      await tg.waitFor(() => cards().length === 2, 30_000, 'the approval cards');
      expect(posts()).toEqual([]);
      // A command while it waits, by long polling.
      tg.pushUpdate(tg.command('/why europe-ai', ANN, { id: Number(GROUP), type: 'supergroup' }));
      await tg.waitFor(() => tg!.messages.some((m) => m.chatId === GROUP && String(m.body.text).includes('Awaiting approval: released automatically at')), 30_000, 'the answer to /why');
      // Nothing else happens until the window ends; then both go out and the cards say so.
      await tg.waitFor(() => posts().length === 2, 30_000, 'the posts released at the end of the window');
      await tg.waitFor(() => cards().every((c) => String(c.body.text).includes('✅ Released automatically')), 30_000, 'the edited cards');
    } finally {
      child.kill('SIGTERM');
    }
    const done = await run.done;
    expect(done.code).toBe(0);
    expect(done.stderr).not.toContain('secret-token');
    expect(posts()).toHaveLength(2);
  });

  it('an approval window without editors is a configuration error', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN] });
    const s = makeSite({ channels: `  tg-news:\n    type: telegram\n    token: "${TOKEN}"\n    chat: "@news"\n    approval: { window: 15m }\n` });
    const r = await herald(['check'], { cwd: s.dir, env: s.env(T) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('channels.tg-news.approval: an approval window needs editors to decide');
  });
});

describe('herald serve with editors', () => {
  it('answers Discord interactions and takes Telegram webhook updates; wrong signatures and secrets get 401', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN, EDITOR_TOKEN] });
    dc = await startDiscordApi({ botToken: 'discord-bot-SECRET-token-0123456789', applicationId: '111111111111111111' });
    const s = makeSite({
      language: 'en',
      channels: `  tg-news:\n    type: telegram\n    token: "${TOKEN}"\n    chat: "@news"\n    apiRoot: ${tg.apiRoot}\n`,
      extra: `editors:
  telegram:
    token: "${EDITOR_TOKEN}"
    users: [${ANN.id}]
    chat: "${GROUP}"
    apiRoot: ${tg.apiRoot}
    webhook: true
  discord:
    applicationId: "111111111111111111"
    publicKey: "${dc.publicKey}"
    token: "discord-bot-SECRET-token-0123456789"
    guildId: "222222222222222222"
    roles: ["555555555555555555"]
    apiRoot: ${dc.apiRoot}
`,
    });
    s.write('posts/notes.md', '---\ntitle: "Weekly notes"\nslug: notes\ndate: 2025-07-02T08:30:00+08:00\n---\n\nShort.\n');
    const run = startHerald(['serve'], { cwd: s.dir, env: s.env(T) });
    child = run.child;
    let seen = '';
    const port = await new Promise<number>((resolve, reject) => {
      run.child.stderr?.on('data', (b: Buffer) => {
        seen += b.toString();
        const m = /web server on http:\/\/127\.0\.0\.1:(\d+)\//.exec(seen);
        if (m) resolve(Number(m[1]));
      });
      run.child.once('close', () => reject(new Error(`herald serve exited:\n${seen}`)));
    });
    const base = `http://127.0.0.1:${port}/`;
    await tg.waitFor((c) => c.method === 'setWebhook', 15_000, 'setWebhook');
    expect(tg.webhook?.url).toBe('https://news.example.com/herald/hooks/telegram');

    const url = `${base}hooks/discord/interactions`;
    expect((await dc.interact(url, { type: 1 })).response).toEqual({ type: 1 });
    expect((await dc.interact(url, { type: 1 }, { forge: true })).status).toBe(401);
    const member = { user: { id: '777000000000000001', username: 'dora', global_name: 'Dora' }, roles: ['555555555555555555'] };
    const r = await dc.interact(url, dc.slash('why', { article: 'notes' }, member, '222222222222222222'));
    expect(r.response).toEqual({ type: 5, data: { flags: 0 } });
    await dc.waitFor((q) => q.method === 'PATCH' && decodeURIComponent(q.path).endsWith(`${r.token}/messages/@original`), 15_000, 'the answer');
    expect(r.original?.content).toContain('**tg-news**: Not planned yet');

    const hook = (token: string) =>
      fetch(`${base}hooks/telegram`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': token },
        body: JSON.stringify({ update_id: 1, ...tg!.command('/status', ANN, { id: Number(GROUP), type: 'supergroup' }) }),
      });
    expect((await hook('wrong')).status).toBe(401);
    expect((await hook(tg.webhook!.secret_token!)).status).toBe(200);
    await tg.waitFor((c) => c.method === 'sendMessage' && c.chatId === GROUP, 15_000, 'the answer to /status');

    run.child.kill('SIGTERM');
    const done = await run.done;
    expect(done.code).toBe(0);
    expect(done.stderr).not.toContain('SECRET');
    expect(done.stderr).not.toContain('secret-token');
  });
});
