/**
 * Reading reports: the shapes real servers send (Postfix, Gmail, Outlook, Yahoo ARF, Exim),
 * and bad input that must be reported, never thrown.
 */
import { describe, expect, it } from 'vitest';
import { classifyReply } from '../../src/bounces/classify.ts';
import { parseReport } from '../../src/bounces/parse-report.ts';
import { readVerp, verpAddress } from '../../src/bounces/verp.ts';
import { eximPlain, gmailDsn, outlookDsn, postfixDelay, postfixDsn, readerReply, yahooArf } from './reports.ts';

const o = { returnPath: 'bounces+d7-0123456789abcdef@news.example.com', messageId: '<herald.news.7@news.example.com>', to: 'gone@example.net' };
const raw = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'));

describe('classifying SMTP replies', () => {
  it.each([
    [{ code: 550, text: '550 5.1.1 <x@y>: user unknown' }, 'hard'],
    [{ code: 550, text: '550 no such user' }, 'hard'],
    [{ code: 550, text: '550 5.0.0 rejected' }, 'hard'],
    [{ code: 452, text: '452 4.2.2 mailbox full' }, 'soft'],
    [{ code: 552, text: '552 5.2.2 over quota' }, 'soft'],
    [{ code: 554, text: '554 5.7.1 message rejected as spam' }, 'soft'],
    [{ code: 421, text: '421 4.7.0 try later' }, 'soft'],
    [{ code: 250, text: '250 ok' }, undefined],
  ] as const)('%j → %s', (reply, kind) => {
    expect(classifyReply(reply)).toBe(kind);
  });
});

describe('VERP tokens', () => {
  it('round-trips, survives lower-casing, and refuses a forged or foreign token', () => {
    const a = verpAddress('bounces@news.example.com', 'secret-1', { kind: 'delivery', id: 42 });
    expect(a).toMatch(/^bounces\+d42-[0-9a-f]{16}@news\.example\.com$/);
    expect(readVerp(a.toUpperCase(), 'bounces@news.example.com', 'secret-1')).toEqual({ ok: true, ref: { kind: 'delivery', id: 42 } });
    expect(readVerp(a.replace('d42', 'd43'), 'bounces@news.example.com', 'secret-1')).toMatchObject({ ok: false });
    expect(readVerp(a, 'bounces@news.example.com', 'other-secret')).toMatchObject({ ok: false });
    expect(readVerp('editor@news.example.com', 'bounces@news.example.com', 'secret-1')).toBeUndefined();
    expect(readVerp('bounces+x@other.example', 'bounces@news.example.com', 'secret-1')).toBeUndefined();
  });
});

describe('parsing reports', () => {
  it('Postfix DSN: hard 5.1.1, the original Message-ID and the VERP address', async () => {
    const r = await parseReport(raw(postfixDsn(o)));
    expect(r).toMatchObject({ kind: 'dsn', originalMessageId: o.messageId, recipients: [{ type: 'hard', recipient: o.to, code: '5.1.1' }] });
    expect(r.recipients[0]?.diagnostic).toContain('User unknown in virtual mailbox table');
    expect(r.returnPaths).toContain(o.returnPath);
    expect(r.problem).toBeUndefined();
  });

  it('Gmail DSN: nested alternative parts, folded Diagnostic-Code', async () => {
    const r = await parseReport(raw(gmailDsn(o)));
    expect(r).toMatchObject({ kind: 'dsn', originalMessageId: o.messageId, recipients: [{ type: 'hard', recipient: o.to, code: '5.1.1' }] });
    expect(r.recipients[0]?.diagnostic).toMatch(/does not exist/);
  });

  it('Outlook NDR: mailbox full is soft; headers-only original', async () => {
    const r = await parseReport(raw(outlookDsn(o)));
    expect(r).toMatchObject({ kind: 'dsn', originalMessageId: o.messageId, recipients: [{ type: 'soft', recipient: o.to, code: '5.2.2' }] });
  });

  it('Yahoo ARF: a complaint for the original recipient, VERP from Original-Mail-From', async () => {
    const r = await parseReport(raw(yahooArf(o)));
    expect(r).toMatchObject({ kind: 'arf', originalMessageId: o.messageId, recipients: [{ type: 'complaint', recipient: o.to, code: 'abuse' }] });
    expect(r.returnPaths).toContain(o.returnPath);
  });

  it('Exim plain-text bounce: address, reply and the copied headers', async () => {
    const r = await parseReport(raw(eximPlain(o)));
    expect(r).toMatchObject({ kind: 'plain', originalMessageId: o.messageId, recipients: [{ type: 'hard', recipient: o.to, code: '5.1.1' }] });
  });

  it('a delay notice is a report with no bounce; a reader reply is no report', async () => {
    expect(await parseReport(raw(postfixDelay(o)))).toMatchObject({ kind: 'dsn', recipients: [] });
    const reply = await parseReport(raw(readerReply('bounces@news.example.com')));
    expect(reply).toMatchObject({ kind: 'none', recipients: [] });
  });

  it('bad input is reported as a problem, never thrown', async () => {
    const malformed = postfixDsn(o).replace(/Reporting-MTA[\s\S]*?(?=\n--8F2A)/, 'this is not a delivery status at all\n');
    expect(await parseReport(raw(malformed))).toMatchObject({ kind: 'dsn', recipients: [], problem: expect.stringContaining('no recipient') });
    const full = postfixDsn(o);
    const truncated = full.slice(0, full.indexOf('Content-Description: Delivery report'));
    expect(await parseReport(raw(truncated))).toMatchObject({ kind: 'dsn', recipients: [], problem: expect.stringContaining('truncated') });
    for (const junk of [Buffer.alloc(0), Buffer.from([0, 1, 2, 255, 254, 10, 13]), raw('Content-Type: multipart/report; boundary=\n\n--\n--\n')]) {
      const r = await parseReport(junk);
      expect(r.recipients).toEqual([]);
    }
  });
});
