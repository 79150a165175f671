/**
 * The editors' Telegram bot over long polling, against the local Bot API imitation: commands,
 * button presses, people who are not editors, forged and stale buttons, previews, and a
 * restart that neither loses nor repeats a command.
 */
import { describe, expect, it } from 'vitest';
import { createEditorBots } from '../../src/bots/editor-bots.ts';
import { REFUSAL } from '../../src/bots/telegram/telegram-bot.ts';
import { loadConfig } from '../../src/config/load.ts';
import { findArticle } from '../../src/pipeline/article-ref.ts';
import { channelKind } from '../../src/pipeline/channel-kinds.ts';
import { createHerald } from '../../src/pipeline/herald.ts';
import { telegramVisibleText } from '../../src/render/telegram/telegram-html.ts';
import { SECRET } from '../helpers/site.ts';
import type { TelegramApiMessage } from '../helpers/telegram-api.ts';
import { ANN, BOB, EDITOR_TOKEN, EDITORS_CHAT, editorsPerTest, MALLORY, textOf } from './harness.ts';

const start = editorsPerTest();
const buttons = (t: { tg: { buttonsOf(m: TelegramApiMessage): Array<[string, string]> } }, m: TelegramApiMessage) => t.tg.buttonsOf(m);
const data = (t: Parameters<typeof buttons>[0], m: TelegramApiMessage, label: string) => {
  const b = buttons(t, m).find(([l]) => l === label);
  if (!b) throw new Error(`no button "${label}" on: ${textOf(m)} (${JSON.stringify(buttons(t, m))})`);
  return b[1];
};

describe('editors on Telegram (long polling)', () => {
  it('answers an editor in the editors’ group and in private; refuses anyone else, logs it, and does nothing', async () => {
    const t = await start();
    const [status] = await t.telegram('/status');
    expect(textOf(status!)).toContain('<b>Herald status</b>');
    expect(textOf(status!)).toMatch(/<b>tg-news<\/b> \(telegram\): 0 sent · 0 pending · 0 failed · has not run yet/);

    // A private chat with an editor works too (the same commands).
    const mine = await t.telegram('/help@herald_test_bot', { chat: { id: BOB.id, type: 'private' }, from: BOB });
    expect(textOf(mine[0]!)).toContain('<code>/send &lt;article&gt; &lt;channel&gt;</code>');

    // Someone who is not an editor: a short refusal, a log line, and nothing held.
    const [refusal] = await t.telegram('/hold europe-ai', { from: MALLORY });
    expect(textOf(refusal!)).toBe(REFUSAL);
    expect(t.logs.some((l) => l.includes('refused /hold from Telegram user 6666 (@mallory)'))).toBe(true);
    expect(await t.h.store.approvalsForArticle('posts/europe-ai')).toEqual([]);

    // An editor in some other group: not obeyed there.
    const other = { id: -1009999, type: 'supergroup' as const, title: 'Public' };
    const [elsewhere] = await t.telegram('/hold europe-ai', { chat: other });
    expect(textOf(elsewhere!)).toContain('only in private chats with its editors and in the editors’ chat');
    expect(await t.h.store.approvalsForArticle('posts/europe-ai')).toEqual([]);

    // Chatter that is no command is ignored; an unknown command is explained.
    t.tg.pushUpdate(t.tg.command('good morning', ANN, EDITORS_CHAT));
    const [unknown] = await t.telegram('/frobnicate');
    expect(textOf(unknown!)).toBe('Unknown command /frobnicate. /help lists the commands.');
    expect(t.editorMessages().filter((m) => textOf(m).includes('morning'))).toEqual([]);
  });

  it('why names each channel’s reason; an ambiguous reference lists the candidates', async () => {
    const t = await start({ articles: { 'posts/chips-two.md': '---\ntitle: "Chips, part two"\ndate: 2025-07-02T08:40:00+08:00\ntags: [notes]\n---\n\nMore.\n' } });
    const [which] = await t.telegram('/why chips');
    expect(textOf(which!)).toContain('“chips” matches 2 articles; which one?');
    expect(textOf(which!)).toContain('• <code>posts/chips-two</code>  Chips, part two');
    expect(textOf(which!)).toContain('• <code>posts/notes</code>  Weekly notes: chips &amp; more');

    await t.pass();
    const [why] = await t.telegram('/why europe-ai');
    const sent = t.posts().telegram.find((m) => textOf(m).includes('千兆工厂'))!;
    expect(textOf(why!)).toContain(`<b>tg-news</b>: Sent at 2025-07-02 09:00 UTC+08:00 · message ${sent.message_id} · https://t.me/news/${sent.message_id}`);
    expect(textOf(why!)).toContain('<b>newsletter</b>: Waiting for the next digest (2025-07-03 08:00 UTC+08:00)');
    const [none] = await t.telegram('/why no-such-thing');
    expect(textOf(none!)).toBe('No article matches “no-such-thing”. Give its id, its path, or part of its title.');
  });

  it('send asks first; the button sends through the manual path once; a repeat needs a second confirmation', async () => {
    const t = await start();
    const [ask] = await t.telegram('/send europe-ai tg-news');
    expect(textOf(ask!)).toContain('Send <b>欧洲的AI“千兆工厂”热潮</b> to <b>tg-news</b> now?');
    expect(buttons(t, ask!).map(([l]) => l)).toEqual(['Send', 'Cancel']);
    for (const [, d] of buttons(t, ask!)) expect(Buffer.byteLength(d)).toBeLessThanOrEqual(64);

    const sendData = data(t, ask!, 'Send');
    const answer = await t.press(ask!, sendData);
    expect(answer.body.text).toBe('Sent');
    expect(t.posts().telegram).toHaveLength(1);
    expect(t.posts().telegram[0]!.method).toBe('sendPhoto');
    // The question became the answer, without buttons.
    const edited = t.tg.calls.find((c) => c.method === 'editMessageText' && Number(c.body.message_id) === ask!.message_id)!;
    expect(String(edited.body.text)).toContain('Sent by @ann (telegram): posts/europe-ai → tg-news.');
    expect(buttons(t, ask!)).toEqual([]);
    const [row] = await t.h.store.deliveriesForArticle('posts/europe-ai');
    expect(row).toMatchObject({ channelId: 'tg-news', manual: true, status: 'sent' });

    // The same button again (a double tap, a second editor): nothing more is sent.
    const again = await t.press(ask!, sendData, BOB);
    expect(again.body.text).toBe('Already answered by @ann (telegram).');
    expect(t.posts().telegram).toHaveLength(1);

    // Sending it again is deliberate: a second question, then it goes.
    const [ask2] = await t.telegram('/send europe-ai tg-news');
    expect(textOf(ask2!)).toContain('It was already sent there at 2025-07-02 09:00 UTC+08:00');
    await t.press(ask2!, data(t, ask2!, 'Send'));
    expect(t.posts().telegram).toHaveLength(1);
    expect(textOf(ask2!)).toContain('posts/europe-ai was already sent to tg-news at 2025-07-02 09:00 UTC+08:00.');
    expect(buttons(t, ask2!).map(([l]) => l)).toEqual(['Send anyway', 'Cancel']);
    t.clock.advance(60_000);
    await t.press(ask2!, data(t, ask2!, 'Send anyway'));
    expect(t.posts().telegram).toHaveLength(2);
    expect(textOf(ask2!)).toContain('Sent again by @ann (telegram)');

    // Cancel cancels.
    const [ask3] = await t.telegram('/send notes tg-news');
    await t.press(ask3!, data(t, ask3!, 'Cancel'));
    expect(textOf(ask3!)).toBe('Cancelled by @ann (telegram).');
    expect(t.posts().telegram).toHaveLength(2);
  });

  it('a forged, a stale or a stranger’s button press does nothing', async () => {
    const t = await start();
    const [ask] = await t.telegram('/send europe-ai tg-news');
    const real = data(t, ask!, 'Send');
    const forged = `${real.slice(0, -2)}${real.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await t.press(ask!, forged)).body.text).toBe('This button is not valid.');
    const otherId = real.replace(/^h1\.ok\.([0-9a-z]+)\./, (_m, id: string) => `h1.ok.${(Number.parseInt(id, 36) + 1).toString(36)}.`);
    expect((await t.press(ask!, otherId)).body.text).toBe('This button is not valid.');
    expect((await t.press(ask!, real, MALLORY)).body.text).toBe(REFUSAL);
    expect(t.logs.some((l) => l.includes('refused a button from Telegram user 6666'))).toBe(true);
    t.clock.advance(24 * 3_600_000 + 1000);
    expect((await t.press(ask!, real)).body.text).toBe('This button has expired (buttons work for 24 hours).');
    expect(t.posts().telegram).toEqual([]);
    expect(t.logs.filter((l) => /forged button|expired button/.test(l))).toHaveLength(3);
    // The question is still open: a fresh /send works.
    expect(buttons(t, ask!).map(([l]) => l)).toEqual(['Send', 'Cancel']);
  });

  it('preview posts the article exactly as the channel will, into the editors’ chat; an email comes as a document with its size', async () => {
    const t = await start();
    const shown = await t.telegram('/preview europe-ai tg-news', { until: (ms) => ms.length >= 2 });
    expect(textOf(shown[0]!)).toContain('🔍 Preview of <b>欧洲的AI“千兆工厂”热潮</b> for <b>tg-news</b> (telegram)');
    expect(textOf(shown[0]!)).toMatch(/sendPhoto · caption \d+\/1024/);
    const photo = shown[1]!;
    expect(photo.method).toBe('sendPhoto');
    const c = t.h.channel('tg-news')!;
    const found = await findArticle(t.h, 'europe-ai');
    if (found.outcome !== 'found') throw new Error('europe-ai not found');
    const { description } = await channelKind(c).preview!(t.h, c, found.article);
    expect(photo.body.photo).toBe(description.fields.photo);
    expect(photo.body.caption).toBe(description.fields.caption);
    expect(photo.body.parse_mode).toBe('HTML');
    // Nothing was sent to the channel, and nothing recorded.
    expect(t.posts().telegram).toEqual([]);
    await t.pass();
    expect(t.posts().telegram[0]!.body.caption).toBe(photo.body.caption);

    const mail = await t.telegram('/preview europe-ai newsletter', { until: (ms) => ms.some((m) => m.method === 'sendDocument') });
    expect(textOf(mail[0]!)).toMatch(/Size: \d+ bytes as sent \(HTML \d+ bytes\)/);
    const doc = mail.find((m) => m.method === 'sendDocument')!;
    const file = doc.body.document as { filename: string; data: Buffer };
    expect(file.filename).toBe('newsletter-posts_europe-ai.html');
    expect(file.data.toString('utf8')).toContain('欧洲的AI“千兆工厂”热潮');
    expect(file.data.toString('utf8')).toContain('<html');

    // A Discord channel's post, shown in Telegram as its text.
    const [discord] = await t.telegram('/preview europe-ai discord-news');
    expect(textOf(discord!)).toContain('for <b>discord-news</b> (discord)');
    expect(textOf(discord!)).toContain('<a href="https://news.example.com/posts/europe-ai/">');
  });

  it('retry sends what failed and what was deferred, at once', async () => {
    const t = await start();
    t.tg.failNext('sendPhoto', { code: 400, description: "Bad Request: can't parse entities: unsupported start tag" });
    t.dc.failNext('server-error', 'server-error');
    await t.pass();
    const counts = Object.fromEntries((await t.h.store.counts()).map((c) => [c.channelId, c]));
    expect(counts['tg-news']).toMatchObject({ sent: 1, failed: 1 });
    expect(counts['discord-news']).toMatchObject({ sent: 0, pending: 2 });
    const [reply] = await t.telegram('/retry');
    expect(textOf(reply!)).toContain('Due now: 1 failed, 2 deferred.');
    expect(textOf(reply!)).toContain('tg-news: 1 sent, 0 failed');
    expect(textOf(reply!)).toContain('discord-news: 2 sent, 0 failed');
    expect(t.posts().telegram).toHaveLength(2);
    expect(t.posts().discord).toHaveLength(2);
  });

  it('hold keeps an article out of every channel (and the digest) until release sends it', async () => {
    const t = await start();
    const [held] = await t.telegram('/hold europe-ai');
    expect(textOf(held!)).toContain('<b>tg-news</b>: held: nothing goes out until it is released');
    expect(textOf(held!)).toContain('<b>newsletter</b>: held');
    await t.pass();
    expect(t.posts().telegram.map((m) => textOf(m))).toEqual([expect.stringContaining('Weekly notes')]);
    expect(t.posts().discord).toHaveLength(1);
    const [why] = await t.telegram('/why europe-ai tg-news');
    expect(textOf(why!)).toContain('<b>tg-news</b>: Held by @ann (telegram) at 2025-07-02 09:00 UTC+08:00');
    const [again] = await t.telegram('/hold europe-ai tg-news', { from: BOB });
    expect(textOf(again!)).toContain('already held by @ann (telegram)');

    // The digest leaves it out while it is held.
    t.clock.set('2025-07-03T08:00:00+08:00');
    await t.pass();
    const [mail] = await t.smtp.parsed();
    expect(mail!.html).toContain('Weekly notes');
    expect(mail!.html).not.toContain('千兆工厂');

    const [released] = await t.telegram('/release europe-ai', { from: BOB });
    expect(textOf(released!)).toContain('<b>tg-news</b>: released by @bob (telegram)');
    expect(textOf(released!)).toContain('tg-news: 1 sent, 0 failed');
    expect(t.posts().telegram).toHaveLength(2);
    expect(t.posts().discord).toHaveLength(2);
    // The digest gets it next time.
    t.clock.set('2025-07-04T08:00:00+08:00');
    await t.pass();
    const mails = await t.smtp.parsed();
    expect(mails).toHaveLength(2);
    expect(mails[1]!.html).toContain('千兆工厂');
  });

  it('digest shows what the next one holds and Send now sends it', async () => {
    const t = await start();
    await t.pass();
    const [next] = await t.telegram('/digest newsletter');
    expect(textOf(next!)).toContain('Next digest of <b>newsletter</b> (2025-07-03 08:00 UTC+08:00): 2 article(s) for 1 subscriber(s)');
    await t.press(next!, data(t, next!, 'Send now'));
    expect(t.smtp.messages).toHaveLength(1);
    expect(textOf(next!)).toContain('Digest of newsletter: sent now by @ann (telegram).');
    expect(textOf(next!)).toContain('newsletter: digest #1 of 2 article(s) for 1 subscriber(s)');
    const [empty] = await t.telegram('/digest newsletter');
    expect(textOf(empty!)).toContain('Nothing waits for newsletter’s next digest');
    const [wrong] = await t.telegram('/digest tg-news');
    expect(textOf(wrong!)).toBe('⚠️ /digest failed: tg-news is not an email digest channel');
  });

  it('splits a long answer into messages within Telegram’s limit', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 50; i++) {
      const n = String(i).padStart(2, '0');
      many[`bulk/b${n}.md`] = `---\ntitle: "${`Bulk article ${n} with a rather long title that goes on and on `.repeat(3)}"\ndate: 2025-07-01T${String(Math.floor(i / 4)).padStart(2, '0')}:${n}:00+08:00\n---\n\nBody.\n`;
    }
    const t = await start({ articles: many });
    const shown = await t.telegram('/articles 50');
    expect(shown.length).toBeGreaterThan(1);
    for (const m of shown) expect(telegramVisibleText(textOf(m)).length).toBeLessThanOrEqual(4096);
    const all = shown.map((m) => textOf(m)).join('\n');
    expect(all).toContain('Latest 50 article(s)');
    // The 2 newest, then 48 of the bulk articles.
    expect((all.match(/<code>bulk\/b\d\d<\/code>/g) ?? []).length).toBe(48);
  });

  it('a restart neither loses nor repeats a command', async () => {
    const t = await start({ noPolling: true });
    const run = async () => {
      const h = await createHerald(loadConfig({ file: t.site.configFile, cwd: t.site.dir, env: { HERALD_SECRET: SECRET } }), { log: t.h.log, now: () => t.clock.now() });
      const bots = createEditorBots(h);
      const stop = new AbortController();
      await bots.start(stop.signal, { server: false });
      return {
        async stop() {
          stop.abort();
          await bots.close();
          await h.close();
        },
      };
    };
    const answers = () => t.editorMessages().map((m) => textOf(m).split('\n')[0]);
    const first = await run();
    t.tg.pushUpdate(t.tg.command('/help', ANN, EDITORS_CHAT));
    await t.tg.waitFor(() => t.editorMessages().length === 1);
    await first.stop();

    // While Herald is down, two commands arrive; one more had been taken but not answered when it stopped.
    t.tg.pushUpdate(t.tg.command('/status', ANN, EDITORS_CHAT));
    t.tg.pushUpdate(t.tg.command('/why notes', BOB, EDITORS_CHAT));
    const second = await run();
    await t.tg.waitFor(() => t.editorMessages().length === 3, 15_000, 'the two commands sent while Herald was down');
    await second.stop();
    expect(answers()).toEqual(['<b>Herald commands</b>', '<b>Herald status</b> · 2025-07-02 09:00 UTC+08:00', '<a href="https://news.example.com/posts/weekly-notes-chips-more/">Weekly notes: chips &amp; more</a>']);
    // Every update was confirmed to Telegram (a later offset): none would be handed out again.
    expect(t.tg.unconfirmed).toEqual([]);

    // A command taken but not finished (the process died while answering) is answered at the next start.
    const source = `telegram:${EDITOR_TOKEN.split(':')[0]}`;
    const cursor = (await t.h.store.chatCursor(source))!;
    const orphan = { update_id: cursor, ...t.tg.command('/status', BOB, EDITORS_CHAT) };
    expect(await t.h.store.takeChatUpdate(source, orphan.update_id, orphan, t.h.now())).toBe(true);
    const third = await run();
    await t.tg.waitFor(() => t.editorMessages().length === 4, 15_000, 'the orphaned command');
    await third.stop();
    expect(answers()).toHaveLength(4);
    expect(await t.h.store.unfinishedChatUpdates(source)).toEqual([]);
  });
});

describe('editors on Telegram (webhook)', () => {
  it('sets the webhook at <publicUrl>/hooks/telegram; takes only requests with the secret token, each update once', async () => {
    const t = await start({ webhook: true });
    expect(t.tg.webhook?.url).toBe('https://news.example.com/herald/hooks/telegram');
    const secret = t.tg.webhook!.secret_token!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{20,256}$/);
    expect(t.tg.calls.some((c) => c.method === 'getUpdates')).toBe(false);
    const post = (update: unknown, token?: string) =>
      fetch(`${t.baseUrl}hooks/telegram`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { 'x-telegram-bot-api-secret-token': token }) },
        body: JSON.stringify(update),
      });
    const update = { update_id: 42, ...t.tg.command('/status', ANN, EDITORS_CHAT) };
    expect((await post(update)).status).toBe(401);
    expect((await post(update, 'wrong-secret')).status).toBe(401);
    expect(t.logs.filter((l) => l.includes('rejected a Telegram webhook call')).length).toBe(2);
    expect(t.editorMessages()).toEqual([]);
    expect((await post(update, secret)).status).toBe(200);
    // Telegram delivering the same update again (it did not see our answer in time): answered once.
    expect((await post(update, secret)).status).toBe(200);
    await t.bots.idle();
    expect(t.editorMessages().map((m) => textOf(m).split('\n')[0])).toEqual(['<b>Herald status</b> · 2025-07-02 09:00 UTC+08:00']);
    // The base path of publicUrl works as well (a proxy that passes it on).
    const r = await fetch(`${t.baseUrl}herald/hooks/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
      body: JSON.stringify({ update_id: 43, ...t.tg.command('/help', ANN, EDITORS_CHAT) }),
    });
    expect(r.status).toBe(200);
    await t.bots.idle();
    expect(t.editorMessages()).toHaveLength(2);
  });
});
