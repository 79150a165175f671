/**
 * Every kind of message Herald builds, signed with RSA-SHA256 and Ed25519-SHA256 side by
 * side, verified by two verifiers nobody here wrote (python3-dkim and mailauth) against
 * the published public key; one changed byte must fail them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { dkimKeyFrom } from '../../src/channels/email/dkim-keys.ts';
import { dkimPublicRecord, relaxedHeader, SIGNED_HEADERS } from '../../src/render/email/dkim.ts';
import { prepareMessage, type PrepareMessageInput, type RecipientParts } from '../../src/render/email/prepared-message.ts';
import { renderDigest, renderSingle } from '../../src/render/email/render-email.ts';
import { PLACEHOLDERS } from '../../src/render/placeholders.ts';
import { tamperBody, verifyWithDkimpy, verifyWithMailauth } from '../helpers/dkim-verify.ts';
import { engine, zhArticle, zhSite } from './fixtures.ts';

const rsa = dkimKeyFrom('news.example.com', 'herald-rsa', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
const ed = dkimKeyFrom('news.example.com', 'herald-ed', generateKeyPairSync('ed25519').privateKey);
const records = Object.fromEntries([rsa, ed].map((k) => dkimPublicRecord(k)).map((r) => [r.name, r.value]));

const G = PLACEHOLDERS.greeting;
const U = PLACEHOLDERS.unsubscribeUrl;
const P = PLACEHOLDERS.preferencesUrl;

const recipient: RecipientParts = {
  to: { address: 'li@example.com', name: '李雷  "Lei"' },
  messageId: '<d1.li@news.example.com>',
  unsubscribeUrl: 'https://news.example.com/herald/unsubscribe/abc.def',
  preferencesUrl: 'https://news.example.com/herald/preferences/abc.def',
  unsubscribeMailto: 'unsubscribe@news.example.com',
};

const base = (over: Partial<PrepareMessageInput> = {}): PrepareMessageInput => ({
  from: '测试新闻 <news@news.example.com>',
  replyTo: 'editor@news.example.com',
  subject: '欧洲的AI“千兆工厂”热潮 — 第 12 期，一个需要折行的很长很长的中文主题行',
  text: `${G}\n\n正文  with  double  spaces and trailing space \n\tand a tab\nUnsubscribe: ${U}\nPreferences: ${P}\n`,
  html: `<p>${G}</p><p>欧盟委员会收到了76份意向书。</p><a href="${U}">退订</a> <a href="${P}">偏好</a>`,
  date: new Date('2025-07-03T00:00:00Z'),
  listId: { name: '测试新闻', id: 'news.news.example.com' },
  feedbackId: 'news:digest:news.example.com',
  greeting: { named: '{name}，您好！', anonymous: '您好！' },
  dkim: [rsa, ed],
  ...over,
});

async function expectVerified(raw: Buffer) {
  const [py, ma] = await Promise.all([verifyWithDkimpy(raw, records), verifyWithMailauth(raw, records)]);
  expect(py.results, py.log).toEqual([true, true]);
  expect(ma.results, ma.log).toEqual([true, true]);
  expect(ma.info.join(' ')).toContain('header.s=herald-rsa');
  expect(ma.info.join(' ')).toContain('header.s=herald-ed');
}

async function expectTamperFails(raw: Buffer) {
  const bad = tamperBody(raw);
  const [py, ma] = await Promise.all([verifyWithDkimpy(bad, records), verifyWithMailauth(bad, records)]);
  expect(py.results).toEqual([false, false]);
  expect(ma.results).toEqual([false, false]);
}

describe('DKIM signatures', () => {
  for (const encoding of ['quoted-printable', 'base64'] as const) {
    it(`verify with python3-dkim and mailauth, ${encoding} bodies, spliced per-recipient values`, async () => {
      const p = prepareMessage(base({ encoding: { text: encoding, html: encoding } }));
      expect(p.parts.text.encoding).toBe(encoding);
      // Different recipients: different spliced values (lengths modulo 3 too, for base64).
      const people: RecipientParts[] = [
        recipient,
        { ...recipient, to: { address: 'a@example.com' }, messageId: '<2@x.example.com>', unsubscribeUrl: 'https://news.example.com/u/a1' },
        { ...recipient, to: { address: 'ab@example.com', name: 'Ab' }, messageId: '<3@x.example.com>', unsubscribeUrl: 'https://news.example.com/u/ab12', unsubscribeMailto: undefined },
        { ...recipient, to: { address: 'abc@example.com', name: '王' }, messageId: '<4@x.example.com>', unsubscribeUrl: 'http://localhost:8080/u/abc123' },
      ];
      for (const r of people) {
        const raw = await p.build(r);
        await expectVerified(raw);
        const mail = await simpleParser(raw);
        expect(mail.text).toContain(r.unsubscribeUrl);
        expect(mail.html).toContain(`href="${r.unsubscribeUrl}"`);
      }
      await expectTamperFails(await p.build(recipient));
    });
  }

  it('verify a rendered Chinese digest and a single-article email (CJK subject, per-recipient parts)', async () => {
    const digest = await renderDigest(engine(), { site: zhSite, articles: [zhArticle, { ...zhArticle, id: 'b', title: '第二篇' }], moreCount: 3, date: new Date('2025-07-03T00:00:00Z') });
    const single = await renderSingle(engine(), { site: zhSite, article: zhArticle });
    for (const r of [digest, single]) {
      const p = prepareMessage(base({ subject: r.subject, html: r.html, text: r.text, greeting: r.greeting }));
      const raw = await p.build(recipient);
      await expectVerified(raw);
      await expectTamperFails(raw);
    }
  });

  it('fails when a signed header changes or a second From/Subject/List-Unsubscribe is added', async () => {
    const raw = (await prepareMessage(base()).build(recipient)).toString('latin1');
    const variants = [
      raw.replace('Date: Thu, 03 Jul 2025 00:00:00 +0000', 'Date: Thu, 03 Jul 2025 00:00:01 +0000'),
      raw.replace('\r\nTo: ', '\r\nFrom: evil@example.net\r\nTo: '),
      raw.replace('\r\nTo: ', '\r\nSubject: Win a prize\r\nTo: '),
      raw.replace('\r\nTo: ', '\r\nList-Unsubscribe: <https://evil.example.net/>\r\nTo: '),
      raw.replace('\r\nTo: ', '\r\nReply-To: evil@example.net\r\nTo: '),
    ];
    for (const v of variants) {
      expect(v).not.toBe(raw);
      const py = await verifyWithDkimpy(Buffer.from(v, 'latin1'), records);
      expect(py.results).toEqual([false, false]);
    }
  });

  it('signs the h= list of the issue, over-signing From, Subject and the List-Unsubscribe pair', async () => {
    const mail = await simpleParser(await prepareMessage(base()).build(recipient));
    const sigs = mail.headerLines.filter((l) => l.key === 'dkim-signature').map((l) => relaxedHeader(l.line));
    expect(sigs).toHaveLength(2);
    const h = /; h=([^;]+)/.exec(sigs[0] as string)?.[1]?.replace(/\s+/g, '');
    expect(h).toBe(SIGNED_HEADERS.join(':'));
    expect(h).toBe(
      'From:To:Subject:Date:Message-ID:MIME-Version:Content-Type:Reply-To:List-Id:List-Unsubscribe:List-Unsubscribe-Post:Feedback-ID:From:Subject:List-Unsubscribe:List-Unsubscribe-Post',
    );
    expect(sigs[0]).toContain('a=rsa-sha256; c=relaxed/relaxed; d=news.example.com');
    expect(sigs[1]).toContain('a=ed25519-sha256; c=relaxed/relaxed; d=news.example.com');
  });

  it('publishes Ed25519 keys as the raw 32-byte key (RFC 8463) and RSA keys as SubjectPublicKeyInfo', () => {
    const e = dkimPublicRecord(ed);
    expect(e.name).toBe('herald-ed._domainkey.news.example.com');
    expect(Buffer.from(/p=(.+)$/.exec(e.value)?.[1] ?? '', 'base64')).toHaveLength(32);
    expect(dkimPublicRecord(rsa).value).toMatch(/^v=DKIM1; k=rsa; p=MIIBIjAN/);
  });
});
