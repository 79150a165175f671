/** Dashboard deliveries: counts per channel, recent and failed rows with reasons, and "retry failed". */
import { describe, expect, it } from 'vitest';
import { type AdminHarness, dashboardPerTest, flashOf, textOf } from './helpers.ts';

const admin = dashboardPerTest();
const loggedIn = admin.loggedIn;
let t: AdminHarness;

/** The counts row of one channel: [sent, pending, sending, failed] and whether it has a retry button. */
function countsOf(html: string, channel: string): { counts: number[]; retry: boolean } {
  const m = new RegExp(`<tr><th scope="row">${channel} <span class="muted small">\\w+</span></th>((?:<td>\\d+</td>){4})\\s*<td>([\\s\\S]*?)</td></tr>`).exec(html);
  if (!m) throw new Error(`no counts row for ${channel}`);
  return { counts: [...m[1]!.matchAll(/<td>(\d+)<\/td>/g)].map((x) => Number(x[1])), retry: m[2]!.includes('action="/admin/deliveries/retry"') };
}

/** Rows of the table under a heading, as text cells. */
function tableAfter(html: string, headingId: string): string[][] {
  const start = html.indexOf(`<h2 id="${headingId}">`);
  if (start < 0) throw new Error(`no ${headingId}`);
  const rest = html.slice(start);
  const end = rest.indexOf('</table>');
  if (end < 0) return [];
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(rest.slice(0, end))?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => textOf(c[1]!)));
}

describe('GET /admin/deliveries', () => {
  it('with nothing sent yet: zero counts and empty tables', async () => {
    t = await loggedIn();
    const r = await t.get('/admin/deliveries');
    expect(r.statusCode).toBe(200);
    for (const c of ['newsletter', 'tg-news', 'discord-news']) expect(countsOf(r.body, c)).toEqual({ counts: [0, 0, 0, 0], retry: false });
    expect(r.body).toContain('No failed deliveries.');
    expect(r.body).toContain('Nothing delivered yet.');
    expect(r.body).not.toContain('Send all failed and deferred deliveries now');
  });

  it('shows counts and the recent rows with time and provider message id', async () => {
    t = await loggedIn();
    await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' });
    await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'newsletter' });
    await t.smtp.waitForMessages(2);
    const r = await t.get('/admin/deliveries');
    expect(countsOf(r.body, 'tg-news').counts).toEqual([1, 0, 0, 0]);
    expect(countsOf(r.body, 'newsletter').counts).toEqual([2, 0, 0, 0]);
    expect(countsOf(r.body, 'discord-news').counts).toEqual([0, 0, 0, 0]);
    const recent = tableAfter(r.body, 'recent-heading');
    // Newest first: id, channel, what, recipient, status, time, message id.
    expect(recent.map((x) => [x[0], x[1], x[2], x[3], x[4]])).toEqual([
      ['3', 'newsletter', 'posts/europe-ai', 'bob@example.com', 'sent'],
      ['2', 'newsletter', 'posts/europe-ai', 'alice@example.com', 'sent'],
      ['1', 'tg-news', 'posts/europe-ai', 'chat:@news', 'sent'],
    ]);
    expect(recent[2]![5]).toBe('Jul 2, 2025, 9:00 AM');
    expect(recent[2]![6]).toBe(String(t.tg.messages[0]!.messageId));
    expect(recent.map((x) => x[6]).slice(0, 2).sort()).toEqual(['Q1', 'Q2']);
    expect(r.body).toContain('<a href="/admin/articles/posts%2Feurope-ai">posts/europe-ai</a>');
    expect(r.body).toContain('No failed deliveries.');
  });

  it('a failed delivery shows with its reason; retry puts it back to pending and sends it once the fault is gone', async () => {
    t = await loggedIn();
    // The fake Telegram API refuses the next post (once): a permanent error for this delivery.
    t.tg.failNext('sendPhoto', { code: 400, description: "Bad Request: can't parse entities: unsupported start tag" });
    const send = await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' });
    expect(flashOf((await t.follow(send)).body)).toMatchObject({ kind: 'error', text: 'posts/europe-ai: sending to tg-news did not fully succeed.' });
    expect(t.tg.messages).toHaveLength(0);

    const page = await t.get('/admin/deliveries');
    expect(countsOf(page.body, 'tg-news')).toEqual({ counts: [0, 0, 0, 1], retry: true });
    expect(countsOf(page.body, 'newsletter').retry).toBe(false);
    expect(page.body).toContain('Send all failed and deferred deliveries now');
    const failed = tableAfter(page.body, 'failed-heading');
    expect(failed).toHaveLength(1);
    // id, channel, what, recipient, attempts, reason
    expect(failed[0]!.slice(0, 5)).toEqual(['1', 'tg-news', 'posts/europe-ai', 'chat:@news', '1']);
    expect(failed[0]![5]).toBe("tg-news: Telegram could not parse the post's HTML (400: Bad Request: can't parse entities: unsupported start tag); check the template");
    const recent = tableAfter(page.body, 'recent-heading');
    expect(recent[0]![4]).toBe(`failed ${failed[0]![5]}`);

    // The fault is gone (failNext was one-shot): retrying that channel sends it.
    const retry = await t.post('/admin/deliveries/retry', { channel: 'tg-news' });
    expect(retry.headers.location).toBe('/admin/deliveries');
    const after = await t.follow(retry);
    const flash = flashOf(after.body)!;
    expect(flash.kind).toBe('ok');
    expect(flash.text).toBe('Due now: 1 failed, 0 deferred.');
    expect(flash.lines).toContain('tg-news: 2 sent, 0 failed, 0 left pending for a later attempt');
    await t.tg.waitForMessages(1);
    expect(t.tg.messages[0]!.body.caption).toContain('Europe’s AI &lt;gigafactory&gt; rush');
    // The retried delivery is the same row, now sent (with the newly due second post after it).
    const rows = await t.h.store.deliveriesForArticle('posts/europe-ai');
    expect(rows.map((d) => [d.id, d.status, d.attempts])).toEqual([[1, 'sent', 1]]);
    expect(countsOf(after.body, 'tg-news')).toEqual({ counts: [2, 0, 0, 0], retry: false });
    expect(after.body).toContain('No failed deliveries.');
    // Only the channel asked for was run.
    expect(t.smtp.rcptAttempts).toBe(0);
  });

  it('an email the SMTP server refuses permanently shows its reason; "retry all" tries again and reports it', async () => {
    t = await loggedIn();
    // A refusal of the message (policy), not of the address: Bob stays a subscriber, so a retry tries him again.
    t.smtp.rejectRecipient('bob@example.com', 554, '5.7.1 message refused by policy');
    await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'newsletter' });
    await t.smtp.waitForMessages(1);
    const page = await t.get('/admin/deliveries');
    expect(countsOf(page.body, 'newsletter')).toEqual({ counts: [1, 0, 0, 1], retry: true });
    const failed = tableAfter(page.body, 'failed-heading');
    expect(failed.map((x) => [x[1], x[3], x[5]])).toEqual([['newsletter', 'bob@example.com', 'newsletter: recipient rejected (554 5.7.1 message refused by policy)']]);
    // The articles page tells the same story.
    const list = await t.get('/admin/articles');
    expect(list.body).toContain('<span class="channel">newsletter</span>: <span class="badge state-partly-failed">partly failed</span>');

    // Retry all, with the server still refusing: tried again, reported again.
    const retry = await t.post('/admin/deliveries/retry', {});
    const flash = flashOf((await t.follow(retry)).body)!;
    expect(flash.kind).toBe('error');
    expect(flash.text).toBe('Due now: 1 failed, 0 deferred.');
    expect(flash.lines.some((l) => l.includes('554 5.7.1 message refused by policy') && l.includes('bob@example.com'))).toBe(true);
    expect(t.smtp.rcptAttempts).toBe(3);
    expect(t.smtp.messages.map((m) => m.envelope.to)).toEqual([['alice@example.com']]);
    const bob = (await t.h.store.recentDeliveries({ status: 'failed', limit: 10 }))[0]!;
    expect(bob.recipient).toBe('bob@example.com');
  });

  it('retry with nothing failed says so', async () => {
    t = await loggedIn();
    const r = await t.post('/admin/deliveries/retry', { channel: 'newsletter' });
    const flash = flashOf((await t.follow(r)).body)!;
    expect(flash.text).toBe('Due now: 0 failed, 0 deferred.');
  });

  it('retry for an unknown channel → error flash, nothing reset or sent', async () => {
    t = await loggedIn();
    t.tg.failNext('sendPhoto', { code: 400, description: "Bad Request: can't parse entities: x" });
    await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' });
    const r = await t.post('/admin/deliveries/retry', { channel: 'no-such-channel' });
    expect(r.headers.location).toBe('/admin/deliveries');
    const page = await t.follow(r);
    expect(flashOf(page.body)).toEqual({ kind: 'error', text: 'Unknown channel "no-such-channel".', lines: [] });
    expect(countsOf(page.body, 'tg-news').counts).toEqual([0, 0, 0, 1]);
    expect(t.tg.calls).toHaveLength(1);
  });
});
