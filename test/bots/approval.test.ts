/**
 * Approval windows end to end, with a clock the test moves: cards in both editors' chats,
 * release exactly at the end of the window, Hold / Send now / Skip from either platform,
 * `required`, digest cards, a restart in the middle of a window, and two processes at once.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { nextApprovalWake } from '../../src/pipeline/approval.ts';
import { articleChannelState } from '../../src/pipeline/article-state.ts';
import { runPass } from '../../src/pipeline/dispatch.ts';
import { createHerald, type Herald } from '../../src/pipeline/herald.ts';
import { explainArticle, whyText } from '../../src/pipeline/why.ts';
import { SECRET } from '../helpers/site.ts';
import type { TelegramApiMessage } from '../helpers/telegram-api.ts';
import { BOB, DORA, EVE, editorsPerTest, GUILD_ID, type EditorsHarness, textOf } from './harness.ts';

const start = editorsPerTest();
const MIN = 60_000;

function cardFor(t: EditorsHarness, what: RegExp): TelegramApiMessage {
  const card = t.telegramCards().find((m) => what.test(textOf(m)));
  if (!card) throw new Error(`no card matching ${what}: ${t.telegramCards().map(textOf).join('\n---\n')}`);
  return card;
}

function dataOf(t: EditorsHarness, m: TelegramApiMessage, label: string): string {
  const b = t.tg.buttonsOf(m).find(([l]) => l === label);
  if (!b) throw new Error(`no ${label} button on ${textOf(m)}`);
  return b[1];
}

function discordCardFor(t: EditorsHarness, what: RegExp) {
  const card = t.discordCards().find((m) => what.test(m.content) || what.test(JSON.stringify(m.embeds)));
  if (!card) throw new Error(`no Discord card matching ${what}`);
  return card;
}

async function why(h: Herald, articleId: string, channelId: string): Promise<string> {
  const a = (await h.store.getArticle(articleId))!.article;
  const r = await explainArticle(h, a);
  return whyText(h, r.channels.find((c) => c.channelId === channelId)!.reason);
}

async function clickDiscord(t: EditorsHarness, message: { id: string; channel_id: string }, customId: string, member = DORA) {
  const r = await t.dc.interact(t.interactionsUrl, t.dc.click(message, customId, member, GUILD_ID));
  await t.bots.idle();
  return r;
}

describe('approval windows', () => {
  it('a post waits for its window with a card in both chats, and is released exactly at its end', async () => {
    const t = await start({ approval: { 'tg-news': '{ window: 15m }' } });
    await t.pass();
    // Nothing claimable: no post, no delivery; Discord (no approval) posts at once.
    expect(t.posts().telegram).toEqual([]);
    expect(t.posts().discord).toHaveLength(2);
    expect((await t.h.store.counts()).find((c) => c.channelId === 'tg-news')).toBeUndefined();

    const card = cardFor(t, /千兆工厂/);
    expect(textOf(card)).toContain('🕒 Awaiting approval: <b>tg-news (telegram)</b>');
    expect(textOf(card)).toContain('Goes out automatically at 2025-07-02 09:15 UTC+08:00 unless held.');
    // The card shows the post as it will be (the channel's own rendering).
    expect(textOf(card)).toContain('#AI千兆工厂 #算力与芯片');
    expect(t.tg.buttonsOf(card).map(([l]) => l)).toEqual(['Send now', 'Hold', 'Skip']);
    expect(t.telegramCards()).toHaveLength(2);
    const dcard = discordCardFor(t, /千兆工厂/);
    expect(dcard.content).toContain('Awaiting approval: **tg-news (telegram)**');
    expect(t.dc.buttonsOf(dcard).map(([l]) => l)).toEqual(['Send now', 'Hold', 'Skip']);
    expect(await why(t.h, 'posts/europe-ai', 'tg-news')).toBe('Awaiting approval: released automatically at 2025-07-02 09:15 UTC+08:00 unless an editor holds it');
    expect(await nextApprovalWake(t.h)).toBe(Date.parse('2025-07-02T09:15:00+08:00'));

    // A pass before the end changes nothing, and posts no second card.
    t.clock.advance(15 * MIN - 1000);
    await t.pass();
    expect(t.posts().telegram).toEqual([]);
    expect(t.telegramCards()).toHaveLength(2);

    t.clock.advance(1000);
    await t.pass();
    expect(t.posts().telegram.map((m) => m.method)).toEqual(['sendPhoto', 'sendMessage']);
    expect(textOf(card)).toContain('✅ Released automatically at 2025-07-02 09:15 UTC+08:00');
    expect(t.tg.buttonsOf(card)).toEqual([]);
    expect(dcard.content).toContain('✅ Released automatically at 2025-07-02 09:15 UTC+08:00');
    expect(t.dc.buttonsOf(dcard)).toEqual([]);
    expect(await why(t.h, 'posts/europe-ai', 'tg-news')).toMatch(/^Sent at 2025-07-02 09:15 UTC\+08:00 · message \d+ · https:\/\/t\.me\/news\/\d+$/);
    const state = await articleChannelState(t.h, 'tg-news', 'posts/europe-ai');
    expect(state.state).toBe('sent');
    expect(state.approval!.decisions.map((d) => [d.action, d.by.name, d.by.via])).toEqual([
      ['planned', 'herald', 'herald'],
      ['auto-release', 'herald', 'herald'],
    ]);
    expect(await nextApprovalWake(t.h)).toBeUndefined();
    // Exactly once: later passes send nothing more.
    t.clock.advance(60 * MIN);
    await t.pass();
    expect(t.posts().telegram).toHaveLength(2);
  });

  it('Hold from Telegram keeps it past its window; Send now from Discord sends it; every card follows; the ledger names each decision', async () => {
    const t = await start({ approval: { 'tg-news': '{ window: 15m }' } });
    await t.pass();
    const card = cardFor(t, /千兆工厂/);
    const dcard = discordCardFor(t, /千兆工厂/);
    const skipData = dataOf(t, card, 'Skip');
    const answer = await t.press(card, dataOf(t, card, 'Hold'), BOB);
    expect(answer.body.text).toBe('Held');
    expect(textOf(card)).toContain('⏸ Held by @bob (telegram) at 2025-07-02 09:00 UTC+08:00');
    expect(t.tg.buttonsOf(card).map(([l]) => l)).toEqual(['Send now', 'Skip']);
    expect(dcard.content).toContain('⏸ Held by @bob (telegram)');
    expect(t.dc.buttonsOf(dcard).map(([l]) => l)).toEqual(['Send now', 'Skip']);

    t.clock.advance(20 * MIN);
    await t.pass();
    // The other article went at the end of its window; the held one did not.
    expect(t.posts().telegram.map(textOf)).toEqual([expect.stringContaining('Weekly notes')]);
    expect(await why(t.h, 'posts/europe-ai', 'tg-news')).toBe('Held by @bob (telegram) at 2025-07-02 09:00 UTC+08:00');

    // A Discord editor sends it now.
    const r = await clickDiscord(t, dcard, t.dc.buttonsOf(dcard).find(([l]) => l === 'Send now')![1]);
    expect(r.response).toEqual({ type: 6 });
    expect(t.posts().telegram).toHaveLength(2);
    expect(textOf(card)).toContain('✅ Sent now by Dora (discord) at 2025-07-02 09:20 UTC+08:00');
    expect(dcard.content).toContain('✅ Sent now by Dora (discord)');
    expect(t.tg.buttonsOf(card)).toEqual([]);

    // A stale card's Skip (still signed, but decided meanwhile) does nothing and says why.
    const late = await t.press(card, skipData);
    expect(late.body.text).toBe('Nothing done: article posts/europe-ai is already released by Dora (discord) at 2025-07-02 09:20 UTC+08:00.');
    expect(t.posts().telegram).toHaveLength(2);
    const events = (await t.h.store.findApproval('tg-news', 'post', 'posts/europe-ai'))!.events;
    expect(events.map((e) => [e.action, e.actor.name, e.actor.via, e.actor.id])).toEqual([
      ['planned', 'herald', 'herald', undefined],
      ['hold', '@bob', 'telegram', String(BOB.id)],
      ['send-now', 'Dora', 'discord', DORA.user.id],
    ]);
  });

  it('a Discord button pressed by someone who is not an editor gets a refusal and changes nothing', async () => {
    const t = await start({ approval: { 'tg-news': '{ window: 15m }' } });
    await t.pass();
    const dcard = discordCardFor(t, /千兆工厂/);
    const r = await clickDiscord(t, dcard, t.dc.buttonsOf(dcard)[0]![1], EVE);
    expect(r.response).toMatchObject({ type: 4, data: { content: 'Sorry, only Herald’s editors can do that.', flags: 64 } });
    expect((await t.h.store.findApproval('tg-news', 'post', 'posts/europe-ai'))!.status).toBe('awaiting');
    expect(t.posts().telegram).toEqual([]);
  });

  it('required: nothing goes out until a person decides; Skip never sends; release sends', async () => {
    const t = await start({ approval: { 'tg-news': '{ required: true }' } });
    await t.pass();
    const card = cardFor(t, /Weekly notes/);
    expect(textOf(card)).toContain('Waits for an editor: nothing goes out until someone presses Send now.');
    const firstSkip = dataOf(t, card, 'Skip');
    expect(await nextApprovalWake(t.h)).toBeUndefined();
    t.clock.advance(3 * 24 * 60 * MIN);
    await t.pass();
    expect(t.posts().telegram).toEqual([]);
    expect(await why(t.h, 'posts/europe-ai', 'tg-news')).toBe('Awaiting approval: waits for an editor (since 2025-07-02 09:00 UTC+08:00)');

    // Buttons expire after 24 hours; the passes signed the waiting cards' buttons again.
    expect((await t.press(card, firstSkip)).body.text).toBe('This button has expired (buttons work for 24 hours).');
    expect(dataOf(t, card, 'Skip')).not.toBe(firstSkip);
    await t.press(card, dataOf(t, card, 'Skip'));
    expect(textOf(card)).toContain('⏭ Skipped by @ann (telegram) at 2025-07-05 09:00 UTC+08:00');
    expect(await why(t.h, 'posts/notes', 'tg-news')).toBe('Skipped by @ann (telegram) at 2025-07-05 09:00 UTC+08:00; not sent');
    const [released] = await t.telegram('/release europe-ai');
    expect(textOf(released!)).toContain('<b>tg-news</b>: released by @ann (telegram)');
    expect(t.posts().telegram.map(textOf)).toEqual([expect.stringContaining('千兆工厂')]);
    t.clock.advance(60 * MIN);
    await t.pass();
    expect(t.posts().telegram).toHaveLength(1);
  });

  it('a digest’s card comes `window` before its time, is released at that time, and Hold and Skip work on it', async () => {
    const t = await start({ approval: { newsletter: '{ window: 30m }' } });
    await t.pass(); // first contact: both articles wait for the digest of 07-03 08:00
    t.clock.set('2025-07-03T07:29:00+08:00');
    await t.pass();
    expect(t.telegramCards()).toEqual([]);
    t.clock.set('2025-07-03T07:30:00+08:00');
    await t.pass();
    const card = cardFor(t, /Digest awaiting approval/);
    expect(textOf(card)).toContain('🕒 Digest awaiting approval: <b>newsletter (email)</b>');
    expect(textOf(card)).toContain('Goes out automatically at 2025-07-03 08:00 UTC+08:00 unless held.');
    expect(textOf(card)).toContain('2 article(s) so far, for 1 subscriber(s):');
    expect(t.tg.buttonsOf(card).map(([l]) => l)).toEqual(['Send now', 'Hold', 'Skip this digest']);
    expect(t.smtp.messages).toEqual([]);
    const [waiting] = await t.telegram('/why europe-ai newsletter');
    expect(textOf(waiting!)).toContain('In the next digest (2025-07-03 08:00 UTC+08:00), awaiting approval: released automatically at 2025-07-03 08:00 UTC+08:00 unless held');

    t.clock.set('2025-07-03T08:00:00+08:00');
    await t.pass();
    expect(t.smtp.messages).toHaveLength(1);
    expect(textOf(card)).toContain('✅ Released automatically at 2025-07-03 08:00 UTC+08:00');

    // The next day: a new article; Hold from Discord keeps the digest; Skip moves the schedule on.
    t.site.write('posts/third.md', '---\ntitle: Third one\ndate: 2025-07-03T12:00:00+08:00\n---\n\nThird.\n');
    t.clock.set('2025-07-04T07:30:00+08:00');
    await t.pass();
    const dcard = discordCardFor(t, /Digest awaiting approval/);
    await clickDiscord(t, dcard, t.dc.buttonsOf(dcard).find(([l]) => l === 'Hold')![1]);
    expect(dcard.content).toContain('⏸ Held by Dora (discord)');
    t.clock.set('2025-07-04T08:05:00+08:00');
    await t.pass();
    expect(t.smtp.messages).toHaveLength(1);
    const held = await t.telegram('/why third newsletter');
    expect(textOf(held[0]!)).toContain('In the next digest (2025-07-04 08:00 UTC+08:00), held by Dora (discord)');
    await clickDiscord(t, dcard, t.dc.buttonsOf(dcard).find(([l]) => l === 'Skip this digest')![1]);
    await t.pass();
    expect(t.smtp.messages).toHaveLength(1);
    expect(dcard.content).toContain('⏭ Skipped by Dora (discord)');
    // Skipped, not lost: it waits for the next digest, with a new card then.
    expect(await why(t.h, 'posts/third', 'newsletter')).toBe('Waiting for the next digest (2025-07-05 08:00 UTC+08:00)');
    t.clock.set('2025-07-05T07:30:00+08:00');
    await t.pass();
    const next = t.telegramCards().filter((m) => /Digest awaiting approval/.test(textOf(m)));
    expect(next).toHaveLength(1);
    await t.press(next[0]!, dataOf(t, next[0]!, 'Send now'));
    expect(t.smtp.messages).toHaveLength(2);
    expect((await t.smtp.parsed())[1]!.html).toContain('Third one');
    expect(textOf(next[0]!)).toContain('✅ Sent now by @ann (telegram) at 2025-07-05 07:30 UTC+08:00');
    // Its scheduled time comes: already sent, nothing more.
    t.clock.set('2025-07-05T08:00:00+08:00');
    await t.pass();
    expect(t.smtp.messages).toHaveLength(2);
  });

  it('a restart in the middle of a window: no second card, released once at the end by the new process', async () => {
    const t = await start({ approval: { 'tg-news': '{ window: 15m }' } });
    await t.pass();
    expect(t.telegramCards()).toHaveLength(2);
    await t.h.close();
    const config = loadConfig({ file: t.site.configFile, cwd: t.site.dir, env: { HERALD_SECRET: SECRET } });
    const h2 = await createHerald(config, { log: t.h.log, now: () => t.clock.now() });
    try {
      t.clock.advance(5 * MIN);
      await runPass(h2);
      expect(t.telegramCards()).toHaveLength(2);
      expect(t.posts().telegram).toEqual([]);
      t.clock.advance(10 * MIN);
      await runPass(h2);
      expect(t.posts().telegram).toHaveLength(2);
      expect(textOf(cardFor(t, /千兆工厂/))).toContain('✅ Released automatically');
    } finally {
      await h2.close();
      // The harness closes its own (already closed) Herald again: harmless.
    }
  });

  it('two processes at the end of a window, and an editor pressing Send now at that moment: one decision, one send', async () => {
    const t = await start({ approval: { 'tg-news': '{ window: 15m }' } });
    await t.pass();
    const card = cardFor(t, /千兆工厂/);
    const config = loadConfig({ file: t.site.configFile, cwd: t.site.dir, env: { HERALD_SECRET: SECRET } });
    const h2 = await createHerald(config, { log: t.h.log, now: () => t.clock.now() });
    try {
      t.clock.advance(15 * MIN);
      const [, , pressed] = await Promise.all([runPass(t.h), runPass(h2), t.press(card, dataOf(t, card, 'Send now'))]);
      await runPass(h2);
      expect(t.posts().telegram.filter((m) => textOf(m).includes('千兆工厂'))).toHaveLength(1);
      expect(t.posts().telegram).toHaveLength(2);
      const events = (await t.h.store.findApproval('tg-news', 'post', 'posts/europe-ai'))!.events.filter((e) => e.action !== 'planned');
      expect(events).toHaveLength(1);
      // The press either won (and sent) or was told who did.
      expect(String(pressed.body.text)).toMatch(events[0]!.action === 'send-now' ? /^Sent/ : /already released by Herald/);
    } finally {
      await h2.close();
    }
  });
});
