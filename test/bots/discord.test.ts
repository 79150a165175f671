/**
 * The Discord interactions endpoint against the local Discord imitation: Ed25519 signatures
 * (a test key; forged, stale and missing ones get 401), PING, the /herald command registered
 * by bulk overwrite, refusals, deferred answers completed by editing and follow-ups,
 * ephemeral previews with the embed, buttons.
 */
import { describe, expect, it } from 'vitest';
import { heraldCommand } from '../../src/bots/discord/commands-spec.ts';
import { findArticle } from '../../src/pipeline/article-ref.ts';
import { channelKind } from '../../src/pipeline/channel-kinds.ts';
import { APP_ID, DORA, editorsPerTest, EVE, GUILD_ID, type EditorsHarness } from './harness.ts';

const start = editorsPerTest();

async function click(t: EditorsHarness, message: { id: string; channel_id: string }, label: string, components: unknown[] | undefined, member = DORA) {
  const b = t.dc.buttonsOf({ components }).find(([l]) => l === label);
  if (!b) throw new Error(`no ${label} button`);
  const r = await t.dc.interact(t.interactionsUrl, t.dc.click(message, b[1], member, GUILD_ID));
  await t.bots.idle();
  return r;
}

describe('editors on Discord (interactions endpoint)', () => {
  it('verifies every request: PING is answered; a forged, stale or unsigned request gets 401', async () => {
    const t = await start();
    const ping = await t.dc.interact(t.interactionsUrl, { type: 1 });
    expect(ping).toMatchObject({ status: 200, response: { type: 1 } });
    const forged = await t.dc.interact(t.interactionsUrl, { type: 1 }, { forge: true });
    expect(forged.status).toBe(401);
    const stale = await t.dc.interact(t.interactionsUrl, { type: 1 }, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale.status).toBe(401);
    const bare = await fetch(t.interactionsUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":1}' });
    expect(bare.status).toBe(401);
    // A signed body changed on the way.
    const tampered = await t.dc.interact(t.interactionsUrl, t.dc.slash('hold', { article: 'europe-ai' }, EVE, GUILD_ID), { forge: true });
    expect(tampered.status).toBe(401);
    expect(t.logs.filter((l) => l.includes('rejected a Discord interaction')).length).toBe(4);
  });

  it('`herald run` registers /herald for the guild by bulk overwrite; doing it again changes nothing', async () => {
    const t = await start();
    const puts = () => t.dc.requests.filter((r) => r.method === 'PUT');
    expect(puts()).toHaveLength(1);
    expect(puts()[0]!.path).toBe(`/api/v10/applications/${APP_ID}/guilds/${GUILD_ID}/commands`);
    const [command] = t.dc.commands.get(GUILD_ID) as Array<{ name: string; options: Array<{ name: string; options: Array<{ name: string; required: boolean; choices?: unknown[] }> }> }>;
    expect(command!.name).toBe('herald');
    expect(command!.options.map((o) => o.name)).toEqual(['status', 'articles', 'why', 'preview', 'send', 'digest', 'retry', 'hold', 'release', 'help']);
    const send = command!.options.find((o) => o.name === 'send')!;
    expect(send.options.map((o) => [o.name, o.required])).toEqual([
      ['article', true],
      ['channel', true],
    ]);
    expect(send.options[1]!.choices).toEqual(['tg-news', 'discord-news', 'newsletter'].map((id) => ({ name: id, value: id })));
    expect(command!.options.find((o) => o.name === 'digest')!.options[0]!.choices).toEqual([{ name: 'newsletter', value: 'newsletter' }]);
    const before = JSON.stringify(t.dc.commands.get(GUILD_ID));
    const again = new AbortController();
    await t.bots.start(again.signal, { server: true });
    again.abort();
    expect(puts()).toHaveLength(2);
    expect(puts()[1]!.body).toEqual(puts()[0]!.body);
    expect(JSON.stringify(t.dc.commands.get(GUILD_ID))).toBe(before);
    expect(puts()[0]!.body).toEqual([heraldCommand(t.h.config.channels)]);
  });

  it('refuses anyone without an editors’ role, and logs it; nothing happens', async () => {
    const t = await start();
    const r = await t.dc.interact(t.interactionsUrl, t.dc.slash('hold', { article: 'europe-ai' }, EVE, GUILD_ID));
    expect(r.response).toEqual({ type: 4, data: { content: 'Sorry, only Herald’s editors can do that.', flags: 64, allowed_mentions: { parse: [] } } });
    expect(t.logs.some((l) => l.includes('refused a Discord command from user 777000000000000666 (eve)'))).toBe(true);
    expect(await t.h.store.approvalsForArticle('posts/europe-ai')).toEqual([]);
    // An editor in another guild where the application is installed: refused too.
    const foreign = await t.dc.interact(t.interactionsUrl, t.dc.slash('status', {}, DORA, '123123123123123123'));
    expect(foreign.response).toMatchObject({ type: 4, data: { flags: 64 } });
  });

  it('answers a command deferred, then by editing the answer', async () => {
    const t = await start();
    await t.pass();
    const r = await t.discord('why', { article: 'europe-ai' });
    expect(r.response).toEqual({ type: 5, data: { flags: 0 } });
    expect(r.original!.content).toContain('**tg-news**: Sent at 2025-07-02 09:00 UTC+08:00');
    expect(r.original!.content).toContain('(<https://news.example.com/posts/europe-ai/>)');
    expect(r.original!.content).toContain('**newsletter**: Waiting for the next digest');
    // A command's failure is answered with the reason.
    const bad = await t.discord('digest', { channel: 'tg-news' });
    expect(bad.original!.content).toBe('⚠️ /herald digest failed: tg-news is not an email digest channel');
  });

  it('preview is an ephemeral answer with the embed exactly as the channel posts it; an email comes as a file', async () => {
    const t = await start();
    const r = await t.discord('preview', { article: 'europe-ai', channel: 'discord-news' });
    expect(r.response).toEqual({ type: 5, data: { flags: 64 } });
    expect(r.original!.content).toContain('🔍 Preview of **欧洲的AI“千兆工厂”热潮** for **discord-news** (discord)');
    expect(r.followUps).toHaveLength(1);
    const c = t.h.channel('discord-news')!;
    const found = await findArticle(t.h, 'europe-ai');
    if (found.outcome !== 'found') throw new Error('not found');
    const { payload } = await channelKind(c).preview!(t.h, c, found.article);
    expect(r.followUps[0]).toMatchObject({ flags: 64, embeds: (payload as { embeds: unknown[] }).embeds });
    expect(t.posts().discord).toEqual([]);

    const mail = await t.discord('preview', { article: 'europe-ai', channel: 'newsletter' });
    expect(mail.original!.content).toMatch(/Size: \d+ bytes as sent \(HTML \d+ bytes\)/);
    const [file] = mail.original!.attachments!;
    expect(file!.filename).toBe('newsletter-posts_europe-ai.html');
    expect(file!.data.toString('utf8')).toContain('欧洲的AI“千兆工厂”热潮');
  });

  it('send asks with buttons; the click is acknowledged at once and the answer edited with the outcome', async () => {
    const t = await start();
    const ask = await t.discord('send', { article: 'europe-ai', channel: 'discord-news' });
    expect(ask.original!.content).toContain('Send **欧洲的AI“千兆工厂”热潮** to **discord-news** now?');
    const message = { id: `orig-${ask.token}`, channel_id: '700000000000000001' };
    const r = await click(t, message, 'Send', ask.original!.components);
    expect(r.response).toEqual({ type: 6 });
    expect(t.posts().discord).toHaveLength(1);
    const edit = t.dc.interactions.find((i) => i.token === r.token)!;
    expect(edit.original!.content).toContain('Sent by Dora (discord): posts/europe-ai → discord-news.');
    expect(edit.original!.components).toEqual([]);
    // Pressed again: nothing sent, an ephemeral word why.
    const again = await click(t, message, 'Send', ask.original!.components);
    expect(t.posts().discord).toHaveLength(1);
    expect(t.dc.interactions.find((i) => i.token === again.token)!.followUps).toEqual([expect.objectContaining({ content: 'Already answered by Dora (discord).', flags: 64 })]);
  });

  it('splits a long answer: the first part edits the answer, the rest are follow-ups, each within 2000 characters', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 30; i++) {
      const n = String(i).padStart(2, '0');
      many[`bulk/b${n}.md`] = `---\ntitle: "${`Bulk article ${n} with a long title `.repeat(3)}"\ndate: 2025-07-01T10:${n}:00+08:00\n---\n\nBody.\n`;
    }
    const t = await start({ articles: many });
    const r = await t.discord('articles', { n: 30 });
    expect(r.followUps.length).toBeGreaterThan(0);
    const parts = [r.original!.content!, ...r.followUps.map((f) => f.content!)];
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(2000);
    expect(parts.join('\n').match(/`bulk\/b\d\d`/g)).toHaveLength(28);
  });
});
