/** Pure renderings of living posts: the "Updated" note, the "Retracted" notice, roundups within the platforms' limits. */
import { describe, expect, it } from 'vitest';
import type { DiscordPayload } from '../../src/channels/discord/discord-payload.ts';
import type { TelegramPayload } from '../../src/channels/telegram/telegram-payload.ts';
import { retractedDiscord, roundupDiscord, withDiscordNote } from '../../src/render/discord/living.ts';
import { retractedTelegram, roundupTelegram, withTelegramNote } from '../../src/render/telegram/living.ts';
import { telegramTextLength, validateTelegramHtml } from '../../src/render/telegram/telegram-html.ts';

const tgPost: TelegramPayload = {
  kind: 'telegram',
  chatId: -100,
  disableNotification: false,
  text: '<b><a href="https://e.com/a/">A &amp; B</a></b>',
  photo: { url: 'https://e.com/a.jpg', caption: '<b>A &amp; B</b>' },
  linkPreviewUrl: 'https://e.com/a/',
  linkPreview: true,
};

describe('Telegram', () => {
  it('adds the note to text and caption, escaped, but never past a limit', () => {
    const p = withTelegramNote(tgPost, 'Updated <10:42>');
    expect(p.text).toBe('<b><a href="https://e.com/a/">A &amp; B</a></b>\n\n<i>Updated &lt;10:42&gt;</i>');
    expect(p.photo?.caption).toContain('<i>Updated');
    const full = { ...tgPost, photo: { url: 'x', caption: 'c'.repeat(1020) } };
    expect(withTelegramNote(full, 'Updated 10:42').photo?.caption).toBe('c'.repeat(1020));
  });

  it('a retraction: the notice, the title struck through, no photo, no link preview', () => {
    const p = retractedTelegram(tgPost, 'A & <B>', 'Retracted');
    expect(p.text).toBe('<b>Retracted</b>\n<s>A &amp; &lt;B&gt;</s>');
    expect(p.photo).toBeUndefined();
    expect(p.linkPreviewUrl).toBeUndefined();
    expect(p.linkPreview).toBe(false);
  });

  it('a roundup is split between lines into messages within 4096 characters, every title once', () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ title: `Title ${i} ${'x'.repeat(300)}`, url: `https://e.com/${i}/?a=1&b=2` }));
    const p = roundupTelegram({ chatId: -100, disableNotification: true }, '30 new articles', items);
    const parts = [p.text, ...(p.continued ?? [])];
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(telegramTextLength(part)).toBeLessThanOrEqual(4096);
      expect(validateTelegramHtml(part)).toEqual([]);
    }
    for (let i = 0; i < 30; i++) expect(parts.join('\n').split(`>Title ${i} `).length - 1).toBe(1);
    expect(parts[0]).toMatch(/^<b>30 new articles<\/b>\n• <a href="https:\/\/e\.com\/0\/\?a=1&amp;b=2">/);
  });
});

describe('Discord', () => {
  const post: DiscordPayload = {
    kind: 'discord',
    embeds: [{ title: 'A', url: 'https://e.com/a/', footer: { text: 'Site' }, image: { url: 'https://e.com/a.jpg' }, color: 0x112233 }],
    allowed_mentions: { parse: [] },
  };

  it('puts the note in the footer; a retraction has no link and no image', () => {
    expect(withDiscordNote(post, 'Updated 10:42').embeds[0].footer?.text).toBe('Site · Updated 10:42');
    const r = retractedDiscord(post, 'A *b*', 'Retracted');
    expect(r.embeds[0]).toEqual({ title: 'Retracted', description: '~~A \\*b\\*~~', color: 0x112233 });
    expect(r.allowed_mentions).toEqual({ parse: [] });
  });

  it('a roundup is split into messages whose descriptions stay within 4096', () => {
    const items = Array.from({ length: 40 }, (_, i) => ({ title: `Title ${i}`, url: `https://e.com/${'p'.repeat(150)}/${i}/` }));
    const p = roundupDiscord({}, '40 new articles', items);
    const all = [p, ...(p.continued ?? [])];
    expect(all.length).toBeGreaterThan(1);
    expect(p.content).toBe('40 new articles');
    for (const m of all) expect(m.embeds[0].description!.length).toBeLessThanOrEqual(4096);
    expect(all.map((m) => m.embeds[0].description).join('\n').split('\n')).toHaveLength(40);
  });
});
