/**
 * Living posts end to end: markdown changes → `herald dispatch` → the local Bot API and
 * Discord API, which edit and delete messages as the real ones do.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { telegramTextLength } from '../../src/render/telegram/telegram-html.ts';
import { herald } from '../helpers/cli.ts';
import { type DiscordApi, startDiscordApi } from '../helpers/discord-api.ts';
import { dropSchemas, freshSchema, inSchema } from '../helpers/pg.ts';
import { makeSite, type TestSite } from '../helpers/site.ts';
import { startTelegramApi, type TestTelegramApi } from '../helpers/telegram-api.ts';

const TOKEN = '123456:ABC-secret-token';
const HOOK = '112233445566778899';
let tg: TestTelegramApi | undefined;
let dc: DiscordApi | undefined;
afterEach(async () => {
  await tg?.close();
  await dc?.close();
  tg = dc = undefined;
});
afterAll(() => dropSchemas());

/** Minutes after 2025-07-02T09:00:00Z. */
const at = (minutes: number) => new Date(Date.parse('2025-07-02T09:00:00Z') + minutes * 60_000).toISOString();

function page(o: { title: string; date?: string; image?: string; draft?: boolean; expiryDate?: string; extra?: string }): string {
  return `---
title: ${JSON.stringify(o.title)}
date: ${o.date ?? '2025-07-02T08:30:00Z'}
draft: ${o.draft ? 'true' : 'false'}
${o.image ? `image: ${JSON.stringify(o.image)}\n` : ''}${o.expiryDate ? `expiryDate: ${o.expiryDate}\n` : ''}summary: "What happened, in short."
tags: [news]
${o.extra ?? ''}---

Body.
`;
}

const EDITOR_TOKEN = '654321:EDITOR-token';

async function setup(life = '', discordLife = life, extra?: (apiRoot: string) => string): Promise<TestSite> {
  tg = await startTelegramApi({ tokens: [TOKEN, EDITOR_TOKEN] });
  dc = await startDiscordApi({ webhooks: [{ id: HOOK, token: 'whtoken-SECRET-123' }] });
  return makeSite({
    language: 'en',
    ...(extra ? { extra: extra(tg.apiRoot) } : {}),
    channels: `  tg:
    type: telegram
    token: "${TOKEN}"
    chat: "-1001234567890"
    apiRoot: ${tg.apiRoot}
    pace: { perChat: 6000, perToken: 100 }
${life}  dc:
    type: discord
    webhookUrl: ${dc.webhookUrl(HOOK)}
    apiRoot: ${dc.apiRoot}
${discordLife}`,
  });
}

async function dispatch(site: TestSite, minutes: number): Promise<string> {
  const r = await herald(['dispatch'], { cwd: site.dir, env: site.env(at(minutes)) });
  const out = r.stdout + r.stderr;
  expect(r.code, out).toBe(0);
  return out;
}

const tgEdits = () => tg!.calls.filter((c) => c.method.startsWith('editMessage'));
const dcPatches = () => dc!.requests.filter((q) => q.method === 'PATCH');

describe('corrections', () => {
  it('a title fix edits both posts once, after the settle time, with an "Updated" note', async () => {
    const site = await setup();
    site.write('posts/budget.md', page({ title: 'Budget pased' }));
    await dispatch(site, 0);
    expect(tg!.messages).toHaveLength(1);
    expect(dc!.messages).toHaveLength(1);

    // A first fix within the settle time (2m) waits; a second one joins it.
    site.write('posts/budget.md', page({ title: 'Budget passd' }));
    await dispatch(site, 1);
    expect(tgEdits()).toHaveLength(0);
    site.write('posts/budget.md', page({ title: 'Budget passed' }));
    const out = await dispatch(site, 3);
    expect(out).toContain('tg: 1 post(s) edited');
    expect(out).toContain('dc: 1 post(s) edited');

    expect(tgEdits().map((c) => c.method)).toEqual(['editMessageText']);
    const m = tg!.messages[0]!;
    expect(m.edits).toBe(1);
    expect(String(m.body.text)).toContain('Budget passed');
    expect(String(m.body.text)).toMatch(/<i>Updated \d{1,2}:\d{2}/);
    expect(tg!.messages).toHaveLength(1); // edited, never posted again

    expect(dcPatches()).toHaveLength(1);
    expect(dcPatches()[0]!.path).toBe(`/api/v10/webhooks/${HOOK}/whtoken-SECRET-123/messages/${dc!.messages[0]!.id}`);
    const embed = dc!.messages[0]!.embeds[0] as { title: string; footer: { text: string } };
    expect(embed.title).toBe('Budget passed');
    expect(embed.footer.text).toMatch(/Updated/);
    expect(dc!.messages).toHaveLength(1);

    // Nothing changed since: nothing more. A body change the post does not show: nothing either.
    site.write('posts/budget.md', page({ title: 'Budget passed' }).replace('Body.', 'A longer body.'));
    await dispatch(site, 10);
    expect(tgEdits()).toHaveLength(1);
    expect(dcPatches()).toHaveLength(1);

    const why = await herald(['why', 'posts/budget'], { cwd: site.dir, env: site.env(at(11)) });
    expect(why.stdout).toMatch(/edited .*title/);
  });

  it('a photo article whose image is removed becomes a text post (Telegram replaces it; Discord edits the embed)', async () => {
    const site = await setup();
    site.write('posts/photo.md', page({ title: 'With a photo', image: '/img/a.jpg' }));
    await dispatch(site, 0);
    expect(tg!.messages[0]!.method).toBe('sendPhoto');

    // A new image: the photo itself is changed.
    site.write('posts/photo.md', page({ title: 'With a photo', image: '/img/b.jpg' }));
    await dispatch(site, 5);
    expect(tgEdits().map((c) => c.method)).toEqual(['editMessageMedia']);
    expect(tg!.messages[0]!.body.photo).toBe('https://news.example.com/img/b.jpg');

    // No image: Telegram cannot turn a photo into text, so a text post replaces it (new one first).
    site.write('posts/photo.md', page({ title: 'With a photo' }));
    await dispatch(site, 10);
    const live = tg!.live();
    expect(live).toHaveLength(1);
    expect(live[0]!.method).toBe('sendMessage');
    expect(tg!.messages[0]!.deleted).toBe(true);
    const dcEmbed = dc!.messages[0]!.embeds[0] as { image?: unknown };
    expect(dcEmbed.image).toBeUndefined();
    expect(dc!.messages).toHaveLength(1);

    // Later fixes edit the replacement.
    site.write('posts/photo.md', page({ title: 'Without a photo' }));
    await dispatch(site, 15);
    expect(String(live[0]!.body.text)).toContain('Without a photo');
    expect(tg!.live()).toHaveLength(1);
  });

  it('an edit the platform refuses is recorded with its reason, not retried, and nothing is posted again', async () => {
    const site = await setup();
    site.write('posts/old.md', page({ title: 'Old title' }));
    await dispatch(site, 0);
    site.write('posts/old.md', page({ title: 'New title' }));
    tg!.failNext('editMessageText', { code: 400, description: "Bad Request: message can't be edited" });
    dc!.deleteByPerson(dc!.messages[0]!.id);
    const out = await dispatch(site, 5);
    expect(out).toContain("message can't be edited");
    expect(out).toMatch(/Unknown Message/);
    await dispatch(site, 10);
    site.write('posts/old.md', page({ title: 'Newer title' }));
    await dispatch(site, 15);
    expect(tgEdits()).toHaveLength(1);
    expect(dcPatches()).toHaveLength(1);
    expect(tg!.messages).toHaveLength(1);
    expect(dc!.messages).toHaveLength(1);
    const why = await herald(['why', 'posts/old'], { cwd: site.dir, env: site.env(at(16)) });
    expect(why.stdout).toMatch(/refused: edited: .*message can't be edited/);
  });

  it('an edit met by a rate limit (429 retry_after) is tried again in a later pass, and done once', async () => {
    const site = await setup();
    site.write('posts/rl.md', page({ title: 'Rate' }));
    await dispatch(site, 0);
    site.write('posts/rl.md', page({ title: 'Rate limited' }));
    tg!.failNext('editMessageText', { code: 429, description: 'Too Many Requests: retry after 30', parameters: { retry_after: 30 } });
    dc!.failNext({ status: 429, retryAfter: 3600 });
    const out = await dispatch(site, 5);
    expect(out).toMatch(/tg: failed: could not edit the post of posts\/rl \(tried again next pass\): .*retry in 30 s/);
    expect(tg!.messages[0]!.edits ?? 0).toBe(0);
    await dispatch(site, 6);
    await dispatch(site, 7);
    expect(tg!.messages[0]!.edits).toBe(1);
    expect(String(tg!.messages[0]!.body.text)).toContain('Rate limited');
    expect((dc!.messages[0]!.embeds[0] as { title: string }).title).toBe('Rate limited');
    expect(dcPatches().filter((q) => q.body !== undefined)).toHaveLength(2); // the refused one and the one that went through
  });

  it('a restart between a change and its edit: the edit still happens, once', async () => {
    const site = await setup();
    site.write('posts/r.md', page({ title: 'Before' }));
    await dispatch(site, 0);
    site.write('posts/r.md', page({ title: 'After' }));
    // This process sees the change during the settle time, then stops.
    await dispatch(site, 1);
    expect(tgEdits()).toHaveLength(0);
    // A new process after the settle time edits it; the next does nothing.
    await dispatch(site, 4);
    await dispatch(site, 6);
    expect(tgEdits()).toHaveLength(1);
    expect(dcPatches()).toHaveLength(1);
  });
});

describe('retractions', () => {
  it('mark: a draft again becomes a "Retracted" notice without link; published again it is restored, never posted twice', async () => {
    const site = await setup();
    site.write('posts/m.md', page({ title: 'Pulled story' }));
    await dispatch(site, 0);
    site.write('posts/m.md', page({ title: 'Pulled story', draft: true }));
    const out = await dispatch(site, 5);
    expect(out).toContain('tg: 1 retracted');
    const m = tg!.messages[0]!;
    expect(String(m.body.text)).toBe('<b>Retracted</b>\n<s>Pulled story</s>');
    expect(m.body.link_preview_options).toEqual({ is_disabled: true });
    const embed = dc!.messages[0]!.embeds[0] as { title: string; description: string; url?: string };
    expect(embed).toMatchObject({ title: 'Retracted', description: '~~Pulled story~~' });
    expect(embed.url).toBeUndefined();
    await dispatch(site, 6);
    expect(tgEdits()).toHaveLength(1);

    site.write('posts/m.md', page({ title: 'Pulled story' }));
    await dispatch(site, 10);
    expect(String(m.body.text)).toContain('href="https://news.example.com/posts/pulled-story/"');
    expect(tg!.messages).toHaveLength(1);
    expect(dc!.messages).toHaveLength(1);
  });

  it('delete: a deleted file deletes the posts; published again it is posted again, once', async () => {
    const site = await setup('    onRetract: delete\n');
    site.write('posts/d.md', page({ title: 'Gone soon' }));
    await dispatch(site, 0);
    const { rmSync } = await import('node:fs');
    rmSync(`${site.contentDir}/posts/d.md`);
    await dispatch(site, 5);
    expect(tg!.messages[0]!.deleted).toBe(true);
    expect(dc!.messages[0]!.deleted).toBe(true);
    expect(dc!.requests.filter((q) => q.method === 'DELETE')).toHaveLength(1);

    site.write('posts/d.md', page({ title: 'Gone soon' }));
    await dispatch(site, 10);
    await dispatch(site, 11);
    expect(tg!.live()).toHaveLength(1);
    expect(tg!.messages).toHaveLength(2);
    expect(dc!.live()).toHaveLength(1);
    expect(dc!.messages).toHaveLength(2);
  });

  it('an article made a draft again while its post still waits is not posted', async () => {
    const site = await setup();
    site.write('posts/w.md', page({ title: 'Waiting' }));
    tg!.failNext('sendMessage', { code: 502, description: 'Bad Gateway' });
    await dispatch(site, 0);
    expect(tg!.messages).toHaveLength(0);
    site.write('posts/w.md', page({ title: 'Waiting', draft: true }));
    const r = await herald(['dispatch'], { cwd: site.dir, env: site.env(at(5)) });
    expect(r.stdout + r.stderr).toContain('tg: not posted: posts/w was made a draft again before it went out');
    await dispatch(site, 10);
    expect(tg!.messages).toHaveLength(0);
  });

  it('ignore, and expiry only with retractOnExpiry; a broken file is no retraction', async () => {
    const site = await setup('    onRetract: ignore\n', '    retractOnExpiry: true\n');
    site.write('posts/e.md', page({ title: 'Expiring', expiryDate: '2025-07-02T09:03:00Z' }));
    site.write('posts/b.md', page({ title: 'Broken later' }));
    await dispatch(site, 0);
    site.write('posts/b.md', '---\ntitle: [unclosed\n---\n');
    await dispatch(site, 5);
    expect(tgEdits()).toHaveLength(0);
    // Discord (retractOnExpiry) marks the expired one; Telegram (ignore) leaves both.
    const patched = dcPatches();
    expect(patched).toHaveLength(1);
    expect(JSON.stringify(patched[0]!.body)).toContain('~~Expiring~~');
  });
});

describe('roundups', () => {
  it('12 articles at once: one roundup per channel (Telegram in two messages); each article is delivered through it', async () => {
    const site = await setup('    roundup: { threshold: 5, window: 10m }\n');
    // Long titles: twelve of them pass Telegram's 4096 characters.
    const title = (i: number) => `Story ${String(i).padStart(2, '0')}: ${'a long headline about the budget vote '.repeat(10).trim()}`;
    for (let i = 1; i <= 12; i++) site.write(`posts/s${i}.md`, page({ title: title(i), date: `2025-07-02T08:${String(10 + i).padStart(2, '0')}:00Z` }));
    const out = await dispatch(site, 0);
    expect(out).toContain('tg: 1 sent');
    expect(out).toContain('dc: 1 sent');

    expect(tg!.messages).toHaveLength(2);
    const text = tg!.messages.map((m) => String(m.body.text)).join('\n');
    expect(tg!.messages[0]!.body.text).toMatch(/^<b>12 new articles on /);
    for (let i = 1; i <= 12; i++) expect(text.split(title(i)).length - 1).toBe(1);
    expect(text).toContain('href="https://news.example.com/posts/');
    for (const m of tg!.messages) expect(telegramTextLength(String(m.body.text))).toBeLessThanOrEqual(4096);

    // Discord: the links are long too (slugs of the titles); its roundup also takes two messages, each embed within 4096.
    expect(dc!.messages).toHaveLength(2);
    expect(dc!.messages[0]!.content).toMatch(/12 new articles on/);
    const descriptions = dc!.messages.map((m) => (m.embeds[0] as { description: string }).description);
    for (const d of descriptions) expect(d.length).toBeLessThanOrEqual(4096);
    for (let i = 1; i <= 12; i++) expect(descriptions.join('\n').split(`Story ${String(i).padStart(2, '0')}`).length - 1).toBe(1);

    // Nothing more next time; `why` names the roundup for an article in it.
    await dispatch(site, 1);
    expect(tg!.messages).toHaveLength(2);
    const why = await herald(['why', 'posts/s7'], { cwd: site.dir, env: site.env(at(2)) });
    expect(why.stdout).toMatch(/tg: Sent at .*message \d+,\d+/);
    expect(why.stdout).toMatch(/sent in a roundup \(12 articles/);

    // A thirteenth within the window, alone: a post of its own (a roundup of one is no roundup).
    site.write('posts/s13.md', page({ title: 'Story 13', date: '2025-07-02T09:01:00Z' }));
    await dispatch(site, 3);
    expect(tg!.messages).toHaveLength(3);
    expect(dc!.messages).toHaveLength(3);
    expect(tg!.messages[2]!.body.text).toContain('Story 13');

    // Two more, with the channel's recent posts over the threshold: a roundup of two.
    site.write('posts/s14.md', page({ title: 'Story 14', date: '2025-07-02T09:02:00Z' }));
    site.write('posts/s15.md', page({ title: 'Story 15', date: '2025-07-02T09:03:00Z' }));
    await dispatch(site, 5);
    expect(tg!.messages).toHaveLength(4);
    expect(tg!.messages[3]!.body.text).toMatch(/^<b>2 new articles on [\s\S]*Story 14[\s\S]*Story 15/);
  });

  it('articles released together from an approval window make one roundup', async () => {
    const editors = (root: string) => `editors:\n  telegram:\n    token: "${EDITOR_TOKEN}"\n    users: [1001]\n    chat: "-100999"\n    apiRoot: ${root}\n`;
    const site = await setup('    roundup: { threshold: 2 }\n    approval: { window: 10m }\n', '', editors);
    const posts = () => tg!.messages.filter((m) => m.chatId === '-1001234567890');
    for (let i = 1; i <= 3; i++) site.write(`posts/w${i}.md`, page({ title: `Waiting ${i}`, date: `2025-07-02T08:0${i}:00Z` }));
    await dispatch(site, 0);
    expect(posts()).toHaveLength(0);
    expect(tg!.messages.filter((m) => m.chatId === '-100999')).toHaveLength(3); // the editors' cards
    expect(dc!.messages).toHaveLength(3); // no window, no roundup there
    await dispatch(site, 11);
    expect(posts()).toHaveLength(1);
    expect(String(posts()[0]!.body.text)).toMatch(/^<b>3 new articles on [\s\S]*Waiting 1[\s\S]*Waiting 2[\s\S]*Waiting 3/);
    await dispatch(site, 12);
    expect(posts()).toHaveLength(1);
  });
});

describe('on PostgreSQL', () => {
  /** The same site, its store a fresh PostgreSQL schema. */
  async function pgSetup(): Promise<{ site: TestSite; url: string }> {
    const site = await setup();
    const { url } = await freshSchema('living');
    writeFileSync(site.configFile, readFileSync(site.configFile, 'utf8').replace('url: sqlite:data/herald.db', `url: "${url}"`));
    return { site, url };
  }

  it('a restart between a change and its edit: the edit still happens, once; a retraction and its restore', async () => {
    const { site, url } = await pgSetup();
    site.write('posts/r.md', page({ title: 'Before' }));
    await dispatch(site, 0);
    site.write('posts/r.md', page({ title: 'After' }));
    await dispatch(site, 1);
    expect(tgEdits()).toHaveLength(0);
    await dispatch(site, 4);
    await dispatch(site, 6);
    expect(tgEdits()).toHaveLength(1);
    expect(dcPatches()).toHaveLength(1);
    expect(String(tg!.messages[0]!.body.text)).toContain('After');

    site.write('posts/r.md', page({ title: 'After', draft: true }));
    expect(await dispatch(site, 10)).toContain('tg: 1 retracted');
    site.write('posts/r.md', page({ title: 'After' }));
    await dispatch(site, 15);
    await dispatch(site, 16);
    expect(tgEdits()).toHaveLength(3);
    expect(tg!.messages).toHaveLength(1);
    expect(dc!.messages).toHaveLength(1);
    const why = await herald(['why', 'posts/r'], { cwd: site.dir, env: site.env(at(17)) });
    expect(why.stdout).toMatch(/edited .*title/);
    // Recorded in PostgreSQL: posted, edited, retracted, restored, for each of the two posts.
    const [r] = await inSchema<Array<{ n: string }>>(url, "SELECT COUNT(*) AS n FROM post_revisions WHERE result = 'ok'");
    expect(Number(r?.n)).toBeGreaterThanOrEqual(8);
  });
});
