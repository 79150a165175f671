/**
 * `why`: every reason an article was or was not delivered to a channel, read from a real
 * ledger after real passes (Telegram imitation, SMTP server), with a clock the test moves.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Article } from '../../src/content/article.ts';
import { loadConfig } from '../../src/config/load.ts';
import { decideApproval, holdArticle } from '../../src/pipeline/approval.ts';
import { findArticle } from '../../src/pipeline/article-ref.ts';
import { runPass } from '../../src/pipeline/dispatch.ts';
import { createHerald, type Herald } from '../../src/pipeline/herald.ts';
import { sendArticleNow } from '../../src/pipeline/manual-send.ts';
import { routeMiss } from '../../src/pipeline/rules.ts';
import { scanAndRecord } from '../../src/pipeline/scan.ts';
import { explainArticle, type WhyKind, whyText } from '../../src/pipeline/why.ts';
import { makeSite, SECRET, seedArticle, type TestSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { startTelegramApi, type TestTelegramApi } from '../helpers/telegram-api.ts';
import { makeClock } from '../bots/harness.ts';

const TOKEN = '123456:ABC-secret-token';
let tg: TestTelegramApi | undefined;
let smtp: TestSmtpServer | undefined;
let h: Herald | undefined;
afterEach(async () => {
  await h?.close();
  await tg?.close();
  await smtp?.close();
  h = tg = smtp = undefined;
});

const post = (title: string, date: string, extra = '') => `---\ntitle: "${title}"\ndate: ${date}\n${extra}---\n\nBody of ${title}.\n`;

async function setup(): Promise<{ site: TestSite; h: Herald; clock: ReturnType<typeof makeClock> }> {
  tg = await startTelegramApi({ tokens: [TOKEN] });
  smtp = await startSmtpServer();
  const chan = (id: string, chat: string, extra = '') =>
    `  ${id}:\n    type: telegram\n    token: "${TOKEN}"\n    chat: "${chat}"\n    apiRoot: ${tg!.apiRoot}\n    pace: { perChat: 6000, perToken: 100 }\n${extra}`;
  const site = makeSite({
    language: 'en',
    // Bob's refusals below stay failed deliveries of a reader who stays active (bounces would stop him after the first).
    extra: 'bounces:\n  hard: 100\n',
    channels: `${chan('tg', '@news', '    exclude: [slow]\n')}${chan('tg-slow', '-1001234567890', '    topics: [slow]\n')}${chan('tg-sports', '@sports', '    topics: [sports]\n')}${chan('tg-off', '@offline', '    enabled: false\n')}${chan('late', '@latest')}  each:
    type: email
    mode: each
    smtp: ${smtp.url}
    from: "News <news@example.com>"
  digest:
    type: email
    smtp: ${smtp.url}
    from: "News <news@example.com>"
    schedule: "0 8 * * *"
`,
  });
  site.write('a-sent.md', seedArticle({ title: 'Sent one', date: '2025-07-02T08:00:00+08:00', slug: 'a-sent', image: '/img/a.jpg', tags: ['AI'], topics: ['chips'] }));
  site.write('a-slow.md', post('Slow one', '2025-07-02T08:10:00+08:00', 'slug: a-slow\ntags: [slow]\n'));
  site.write('a-failed.md', post('Failed one', '2025-07-02T08:20:00+08:00', 'slug: a-failed\ntags: [AI]\n'));
  site.write('a-misc.md', post('Misc one', '2025-07-02T08:25:00+08:00', 'slug: a-misc\ntags: [misc]\n'));
  site.write('a-old.md', post('Old one', '2025-06-25T08:00:00+08:00', 'slug: a-old\ntags: [AI]\n'));
  site.write('a-draft.md', post('Draft one', '2025-07-02T08:00:00+08:00', 'slug: a-draft\ndraft: true\n'));
  site.write('a-future.md', post('Future one', '2025-07-03T10:00:00+08:00', 'slug: a-future\n'));
  site.write('a-expired.md', post('Expired one', '2025-07-01T10:00:00+08:00', 'slug: a-expired\nexpiryDate: 2025-07-02T08:30:00+08:00\n'));
  site.write('a-gone.md', post('Gone one', '2025-07-02T08:00:00+08:00', 'slug: a-gone\ndraft: true\n'));
  const clock = makeClock('2025-07-02T09:00:00+08:00');
  const config = loadConfig({ file: site.configFile, cwd: site.dir, env: { HERALD_SECRET: SECRET } });
  h = await createHerald(config, { log: pino({ level: 'silent' }), now: () => clock.now() });
  await h.store.upsertSubscriber({ email: 'alice@example.com', topics: ['AI', 'chips', 'slow'], status: 'active' }, h.now());
  await h.store.upsertSubscriber({ email: 'bob@example.com', topics: ['AI'], status: 'active' }, h.now());
  return { site, h, clock };
}

async function article(h: Herald, ref: string): Promise<Article> {
  const r = await findArticle(h, ref);
  if (r.outcome !== 'found') throw new Error(`${ref}: ${r.outcome}`);
  return r.article;
}

async function reasons(h: Herald, ref: string): Promise<Record<string, { kind: WhyKind; text: string }>> {
  const report = await explainArticle(h, await article(h, ref));
  return Object.fromEntries(report.channels.map((c) => [c.channelId, { kind: c.reason.kind, text: whyText(h, c.reason) }]));
}

describe('why', () => {
  it('names the one reason per channel, for every case', async () => {
    const { site, h, clock } = await setup();
    smtp!.rejectRecipient('bob@example.com', 550, '5.1.1 no such user');
    tg!.failNext('sendMessage', { code: 400, description: "Bad Request: can't parse entities: unsupported start tag" }, { chat: '@news' });
    tg!.failNext('*', { code: 502, description: 'Bad Gateway' }, { chat: '-1001234567890' });
    await runPass(h, { channels: ['tg', 'tg-slow', 'tg-sports', 'tg-off', 'each', 'digest'] });

    const sent = await reasons(h, 'a-sent');
    const message = tg!.messages.find((m) => m.chatId === '@news')!;
    expect(sent.tg).toEqual({ kind: 'sent', text: `Sent at 2025-07-02 09:00 UTC+08:00 · message ${message.message_id} · https://t.me/news/${message.message_id}` });
    expect(sent['tg-sports']).toEqual({ kind: 'topics', text: 'Not for this channel: its topics (AI, chips) match none of the channel\'s (sports)' });
    expect(sent['tg-off']).toEqual({ kind: 'disabled', text: 'The channel is disabled' });
    expect(sent.late).toEqual({ kind: 'channel-not-run', text: 'Not planned yet: the channel has not run yet' });
    expect(sent.each).toEqual({ kind: 'partly-failed', text: '1 sent, 1 failed: each: recipient rejected (550 5.1.1 no such user)' });
    expect(sent.digest).toEqual({ kind: 'waiting-digest', text: 'Waiting for the next digest (2025-07-03 08:00 UTC+08:00)' });

    const slow = await reasons(h, 'a-slow');
    expect(slow.tg).toEqual({ kind: 'excluded', text: 'Not for this channel: its topic slow is excluded' });
    expect(slow['tg-slow']!.kind).toBe('pending');
    expect(slow['tg-slow']!.text).toMatch(/^Pending: next attempt at 2025-07-02 09:0\d UTC\+08:00 \(last error: tg-slow: Telegram server error \(502/);

    expect((await reasons(h, 'a-failed')).tg).toEqual({
      kind: 'failed',
      text: "Failed: tg: Telegram could not parse the post's HTML (400: Bad Request: can't parse entities: unsupported start tag); check the template",
    });
    expect((await reasons(h, 'a-misc')).each).toEqual({ kind: 'no-recipients', text: "Nothing sent: no subscriber's topics match it" });
    expect((await reasons(h, 'a-old')).tg).toEqual({ kind: 'baseline', text: 'Not sent: already published when the channel first ran (2025-07-02 09:00 UTC+08:00) and older than the lookback (1d)' });
    expect((await reasons(h, 'a-draft')).tg).toEqual({ kind: 'draft', text: 'Not sent: it is a draft' });
    expect((await reasons(h, 'a-future')).tg).toEqual({ kind: 'scheduled', text: 'Scheduled: published at 2025-07-03 10:00 UTC+08:00, sent then' });
    expect((await reasons(h, 'a-expired')).tg).toEqual({ kind: 'expired', text: 'Not sent: it expired at 2025-07-02 08:30 UTC+08:00 before it was sent' });

    // Removed: its file went away before it was ever sent.
    rmSync(path.join(site.contentDir, 'a-gone.md'));
    clock.advance(60_000);
    await runPass(h, { channels: ['tg'] });
    expect((await reasons(h, 'a-gone')).tg).toEqual({ kind: 'removed', text: 'Not sent: its file was removed (2025-07-02 09:01 UTC+08:00)' });

    // Too old: a back-dated archive file first seen now.
    site.write('a-archive.md', post('Archive one', '2025-06-20T08:00:00+08:00', 'slug: a-archive\n'));
    expect((await reasons(h, 'a-archive')).tg).toEqual({ kind: 'new-file', text: 'Not planned yet: Herald has not seen the file yet; the next scan plans it' });
    await runPass(h, { channels: ['tg'] });
    expect((await reasons(h, 'a-archive')).tg).toEqual({ kind: 'too-old', text: 'Not sent: its date was older than maxAge (7d) when Herald first saw it (2025-07-02 09:01 UTC+08:00)' });

    // Seen (recorded by a scan) but not planned yet.
    site.write('a-fresh.md', post('Fresh one', '2025-07-02T09:00:00+08:00', 'slug: a-fresh\n'));
    await scanAndRecord(h);
    expect((await reasons(h, 'a-fresh')).tg).toEqual({ kind: 'next-pass', text: 'Due: the next pass sends it' });

    // Held, then skipped, by people.
    await holdArticle(h, h.channel('tg')!, 'a-fresh', { name: '@ann', id: '1', via: 'telegram' });
    expect((await reasons(h, 'a-fresh')).tg).toEqual({ kind: 'held', text: 'Held by @ann (telegram) at 2025-07-02 09:01 UTC+08:00' });
    const approval = (await h.store.findApproval('tg', 'post', 'a-fresh'))!;
    await decideApproval(h, approval.id, 'skip', { name: 'Dora', via: 'discord' });
    expect((await reasons(h, 'a-fresh')).tg).toEqual({ kind: 'skipped', text: 'Skipped by Dora (discord) at 2025-07-02 09:01 UTC+08:00; not sent' });
    const report = await explainArticle(h, await article(h, 'a-fresh'));
    expect(report.channels.find((c) => c.channelId === 'tg')!.history.map((e) => [e.event, e.actor?.name])).toEqual([
      ['hold', '@ann'],
      ['skip', 'Dora'],
    ]);

    // Sent by hand (the skip does not stop an editor's own send), and sent in a digest.
    clock.advance(60_000);
    await sendArticleNow(h, h.channel('tg')!, 'a-fresh', false, { name: 'cli', via: 'cli' });
    expect((await reasons(h, 'a-fresh')).tg!.text).toMatch(/^Sent by hand at 2025-07-02 09:02 UTC\+08:00 · message \d+/);
    clock.set('2025-07-03T08:00:00+08:00');
    await runPass(h, { channels: ['digest'] });
    // Bob's server still refuses him: the digest reached one of its two readers.
    expect((await reasons(h, 'a-sent')).digest).toEqual({ kind: 'partly-failed', text: '1 sent, 1 failed: digest: recipient rejected (550 5.1.1 no such user)' });
    await h.store.unsubscribe((await h.store.getSubscriber('bob@example.com'))!.id, h.now(), { source: 'editor' });
    site.write('a-later.md', post('Later one', '2025-07-03T09:00:00+08:00', 'slug: a-later\ntags: [AI]\n'));
    clock.set('2025-07-03T09:30:00+08:00');
    await runPass(h, { channels: ['digest'] });
    clock.set('2025-07-04T08:00:00+08:00');
    await runPass(h, { channels: ['digest'] });
    expect((await reasons(h, 'a-later')).digest!.text).toMatch(/^Sent in digest #2 at 2025-07-04 08:00 UTC\+08:00 · message \S+$/);
  });

  it('tells a channel’s language from the article’s, when both are given', () => {
    const a = { topics: ['AI'], language: 'zh-CN' } as unknown as Article;
    expect(routeMiss(a, { topics: [], exclude: [], languages: ['en'] } as never)).toEqual({ kind: 'language', language: 'zh-CN', languages: ['en'] });
    expect(routeMiss(a, { topics: [], exclude: [], languages: ['zh-cn'] } as never)).toBeUndefined();
    expect(routeMiss(a, { topics: [], exclude: [] })).toBeUndefined();
  });
});
