/**
 * Bounces at send time: the SMTP server refuses chosen recipients. A hard refusal (550 5.1.1)
 * stops the address at once, in every email channel; soft ones (452 4.2.2) count once per
 * email, however often that email is retried, until `bounces.soft` is reached.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { herald } from '../helpers/cli.ts';
import { makeSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

const T = '2025-07-02T09:00:00+08:00';
const LATER = '2025-07-02T11:00:00+08:00';
const MUCH_LATER = '2025-07-02T14:00:00+08:00';
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

const channel = (id: string, url: string) => `  ${id}:\n    type: email\n    smtp: "${url}"\n    from: "News <news@example.com>"\n    mode: each\n`;

describe('send-time bounces', () => {
  it('550 5.1.1 stops the address at once in every channel; 452 4.2.2 counts once per email until the soft limit', async () => {
    smtp = await startSmtpServer();
    smtp.rejectRecipient('gone@example.net', 550, '5.1.1 <gone@example.net>: user unknown');
    smtp.rejectRecipient('full@example.net', 452, '4.2.2 <full@example.net>: mailbox full');
    const site = makeSite({ channels: channel('news', smtp.url) + channel('alerts', smtp.url), extra: 'bounces:\n  soft: 3\n' });
    site.write('a.md', '---\ntitle: Article A\ndate: 2025-07-02T08:00:00+08:00\n---\n\nBody.\n');
    const run = (args: string[], now = T) => herald(args, { cwd: site.dir, env: site.env(now) });
    writeFileSync(path.join(site.dir, 'readers.csv'), 'email,name,topics\nok@example.net,,\ngone@example.net,,\nfull@example.net,,\n');
    expect((await run(['subscribers', 'import', path.join(site.dir, 'readers.csv')])).code).toBe(0);

    // Nothing reads later bounces here: `check` says so.
    expect((await run(['check'])).stdout).toContain('warning: nothing reads bounces or complaints that arrive after sending (set bounces.mailbox or bounces.webhooks)');

    const first = await run(['dispatch']);
    expect(first.code).toBe(1);
    // gone@ was refused at most once per channel (the two channels send at the same time), never retried.
    const tried = (a: string) => smtp?.rcptTo.filter((x) => x === a).length ?? 0;
    expect(tried('gone@example.net')).toBeGreaterThanOrEqual(1);
    expect(tried('gone@example.net')).toBeLessThanOrEqual(2);
    const goneTries = tried('gone@example.net');
    expect(smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['ok@example.net', 'ok@example.net']);
    const list = async () => Object.fromEntries((JSON.parse((await run(['subscribers', 'list', '--json'])).stdout) as Array<{ email: string; status: string }>).map((s) => [s.email, s.status]));
    expect(await list()).toEqual({ 'ok@example.net': 'active', 'gone@example.net': 'bounced', 'full@example.net': 'active' });

    type Ev = { source: string; type: string; code?: string; diagnostic?: string; recipient?: string; applied?: string; deliveryId?: number; channelId?: string };
    const events = async () => JSON.parse((await run(['bounces', '--json'])).stdout) as Ev[];
    const e1 = await events();
    const gone = e1.filter((e) => e.recipient === 'gone@example.net');
    expect(gone).toHaveLength(goneTries);
    expect(gone.filter((e) => e.applied === 'bounced')).toEqual([
      expect.objectContaining({ source: 'smtp', type: 'hard', code: '5.1.1', diagnostic: expect.stringContaining('user unknown') }),
    ]);
    expect(e1.filter((e) => e.recipient === 'full@example.net').map((e) => [e.type, e.code, e.channelId]).sort()).toEqual([
      ['soft', '4.2.2', 'alerts'],
      ['soft', '4.2.2', 'news'],
    ]);
    const history = await run(['subscribers', 'history', 'gone@example.net']);
    expect(history.stdout).toMatch(/active → bounced.*bounce.*hard bounce via smtp: 5\.1\.1/);

    // The same two emails retried and refused again: still two soft bounced emails, still active.
    await run(['dispatch'], LATER);
    expect((await events()).filter((e) => e.recipient === 'full@example.net')).toHaveLength(4);
    expect((await list())['full@example.net']).toBe('active');

    // A third email soft-bounces: the limit (3) is reached; the retries still pending are cancelled.
    site.write('b.md', '---\ntitle: Article B\ndate: 2025-07-02T13:30:00+08:00\n---\n\nBody.\n');
    await run(['dispatch'], MUCH_LATER);
    expect((await list())['full@example.net']).toBe('bounced');
    const st = JSON.parse((await run(['status', '--json'], MUCH_LATER)).stdout) as { channels: Array<{ id: string; deliveries: { pending: number } }> };
    expect(st.channels.map((c) => c.deliveries.pending)).toEqual([0, 0]);
    // ok@ got A and B in both channels; gone@ was never tried again after its bounce.
    expect(smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual(Array(4).fill('ok@example.net'));
    expect(tried('gone@example.net')).toBe(goneTries);
    // Once bounced, full@ is not tried again either.
    const fullTries = tried('full@example.net');
    site.write('c.md', '---\ntitle: Article C\ndate: 2025-07-02T13:45:00+08:00\n---\n\nBody.\n');
    await run(['dispatch'], MUCH_LATER);
    expect(tried('full@example.net')).toBe(fullTries);
    expect(smtp.messages).toHaveLength(6);
  }, 300_000);
});
