import { simpleParser } from 'mailparser';
import { describe, expect, it, vi } from 'vitest';
import { escapeHtml, prepareMessage, type PrepareMessageInput } from '../../src/render/email/prepared-message.ts';
import { renderDigest } from '../../src/render/email/render-email.ts';
import { PLACEHOLDERS } from '../../src/render/placeholders.ts';
import { engine, zhArticle, zhSite } from './fixtures.ts';

const G = PLACEHOLDERS.greeting;
const N = PLACEHOLDERS.name;
const U = PLACEHOLDERS.unsubscribeUrl;
const PREFS = PLACEHOLDERS.preferencesUrl;

const longLine = `${'Lorem ipsum dolor sit amet, 中文字符混排 consectetur adipiscing elit '.repeat(6)}end`;
// The placeholder lands exactly where a 76-column QP line would break.
const atBoundary = `${'x'.repeat(74)}${U}${'y'.repeat(80)}`;
const TEXT = `${G}\n\n你好，世界！这是一封测试邮件。\n${longLine}\n${atBoundary}\nName: ${N}.\nTrailing space \nUnsubscribe: ${U}\n.leading dot line\n`;
const HTML = `<!doctype html><html><body><p>${G}</p><p>你好，世界！</p><p>${longLine}</p><p>${atBoundary}</p><a href="${U}">退订</a> <b>${N}</b>${U}</body></html>`;

const base: PrepareMessageInput = {
  from: '码农周刊 <news@blog.example.cn>',
  replyTo: { address: 'editor@example.com', name: 'The "Editor"' },
  subject: 'Rust 异步编程入门：从 Future 到 Tokio — a very long subject line that needs folding for sure',
  html: HTML,
  text: TEXT,
  date: new Date('2024-05-03T01:02:03Z'),
  listId: { name: 'Herald test', id: 'news.example.com' },
  feedbackId: 'news:digest:example.com',
  headers: { 'X-Campaign': 'test' },
  greeting: { named: '{name}，您好！', anonymous: '您好！' },
};

const recipient = {
  to: { address: 'ada@example.com', name: 'Ada <&"> 洛芙莱斯' },
  messageId: '<digest-1.ada@herald.example.com>',
  unsubscribeUrl: 'https://example.com/u/abc123?t=x&y=1',
  unsubscribeMailto: 'unsubscribe@example.com',
};

function expected(s: string, values: { greeting: string; name: string; url: string }, html: boolean): string {
  const v = html ? { greeting: escapeHtml(values.greeting), name: escapeHtml(values.name), url: escapeHtml(values.url) } : values;
  return s.replaceAll(G, v.greeting).replaceAll(N, v.name).replaceAll(U, v.url);
}

describe('prepareMessage', () => {
  it('builds a message that decodes exactly to the substituted text and HTML', async () => {
    const raw = await prepareMessage(base).build(recipient);
    const mail = await simpleParser(raw);
    const values = { greeting: 'Ada <&"> 洛芙莱斯，您好！', name: 'Ada <&"> 洛芙莱斯', url: recipient.unsubscribeUrl };
    expect(mail.text).toBe(expected(TEXT, values, false));
    expect(mail.html).toBe(expected(HTML, values, true));
    expect(mail.html).toContain('<p>Ada &lt;&amp;&quot;&gt; 洛芙莱斯，您好！</p>');
    expect(mail.html).toContain('href="https://example.com/u/abc123?t=x&amp;y=1"');
  });

  it('writes correct headers', async () => {
    const raw = await prepareMessage(base).build(recipient);
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe(base.subject);
    expect(mail.from?.value).toEqual([{ address: 'news@blog.example.cn', name: '码农周刊' }]);
    expect(mail.replyTo?.value).toEqual([{ address: 'editor@example.com', name: 'The "Editor"' }]);
    const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
    expect(to?.value).toEqual([{ address: 'ada@example.com', name: 'Ada <&"> 洛芙莱斯' }]);
    expect(mail.messageId).toBe('<digest-1.ada@herald.example.com>');
    expect(mail.date?.toISOString()).toBe('2024-05-03T01:02:03.000Z');
    const head = raw.toString('latin1').split('\r\n\r\n')[0] ?? '';
    expect(head).toContain('List-Id: Herald test <news.example.com>\r\n');
    expect(head).toContain('Feedback-ID: news:digest:example.com\r\n');
    expect(head).toContain('X-Campaign: test\r\n');
    const cjk = (await prepareMessage({ ...base, listId: { name: '码农周刊', id: 'news.blog.example.cn' } }).build(recipient)).toString('latin1');
    expect(cjk).toMatch(/\r\nList-Id: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <news\.blog\.example\.cn>\r\n/);
    const list = (await simpleParser(cjk)).headers.get('list') as unknown as { id: { id: string; name: string } };
    expect(list.id.id).toBe('news.blog.example.cn');
    expect(Buffer.from(/\?B\?(.+)\?=/.exec(list.id.name)?.[1] ?? '', 'base64').toString()).toBe('码农周刊');
    expect(head).toContain('MIME-Version: 1.0\r\n');
    expect(head).toContain('Date: Fri, 03 May 2024 01:02:03 +0000\r\n');
    expect(head).toContain('List-Unsubscribe: <https://example.com/u/abc123?t=x&y=1>,\r\n <mailto:unsubscribe@example.com>\r\n');
    expect(head).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');
    expect(head).toMatch(/Content-Type: multipart\/alternative;\s+boundary="----=_Herald_[0-9a-f]{24}"/);
    // Non-ASCII never appears raw in headers.
    expect(/[\u0080-\uffff]/.test(head)).toBe(false);
  });

  it('declares both parts as utf-8 quoted-printable (when asked), text first', async () => {
    const s = (await prepareMessage({ ...base, encoding: { text: 'quoted-printable', html: 'quoted-printable' } }).build(recipient)).toString('latin1');
    const textAt = s.indexOf('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n');
    const htmlAt = s.indexOf('Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n');
    expect(textAt).toBeGreaterThan(0);
    expect(htmlAt).toBeGreaterThan(textAt);
    expect(s.endsWith('--\r\n')).toBe(true);
  });

  for (const encoding of ['quoted-printable', 'base64'] as const) {
    it(`keeps every line within 76 characters, 7-bit, CRLF only (${encoding})`, async () => {
      const raw = await prepareMessage({ ...base, encoding: { text: encoding, html: encoding } }).build(recipient);
      const body = raw.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n');
      for (const line of body.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
      expect(raw.every((b) => b < 0x80)).toBe(true);
      expect(/\r(?!\n)|(?<!\r)\n/.test(raw.toString('latin1'))).toBe(false);
    });

    it(`decodes to the substituted text and HTML with ${encoding} bodies, whatever the value lengths`, async () => {
      const p = prepareMessage({ ...base, encoding: { text: encoding, html: encoding } });
      expect(p.parts.html.encoding).toBe(encoding);
      // Values of every length modulo 3 on both sides of each splice (base64 groups).
      for (const name of ['', 'A', 'Ab', 'Abc', '洛', '洛芙', 'Ada <&"> 洛芙莱斯']) {
        for (const url of ['https://e.x/u/1', 'https://e.x/u/12', 'https://e.x/u/123']) {
          const mail = await simpleParser(await p.build({ ...recipient, to: { address: 'ada@example.com', name }, unsubscribeUrl: url }));
          const greeting = name === '' ? '您好！' : `${name}，您好！`;
          expect(mail.text).toBe(expected(TEXT, { greeting, name, url }, false));
          expect(mail.html).toBe(expected(HTML, { greeting, name, url }, true));
        }
      }
    });
  }

  it('picks the smaller encoding for each part: base64 for CJK text, quoted-printable for Latin text', async () => {
    const cjk = '欧盟委员会的AI“千兆工厂”计划收到了来自16个成员国60个站点的76份意向书。'.repeat(40);
    const latin = 'The European Commission received 76 expressions of interest from 16 member states. '.repeat(40);
    const p = prepareMessage({ ...base, text: `${G}\n${cjk}\n${U}\n`, html: `<p>${G}</p><p>${latin}</p><a href="${U}">x</a>` });
    expect(p.parts.text.encoding).toBe('base64');
    expect(p.parts.html.encoding).toBe('quoted-printable');
    const qp = prepareMessage({ ...base, text: `${G}\n${cjk}\n${U}\n`, encoding: { text: 'quoted-printable' } });
    expect(p.parts.text.staticBytes).toBeLessThan(qp.parts.text.staticBytes * 0.6);
    const mail = await simpleParser(await p.build(recipient));
    expect(mail.text).toBe(`Ada <&"> 洛芙莱斯，您好！\n${cjk}\n${recipient.unsubscribeUrl}\n`);
  });

  it('uses the anonymous greeting and an empty name when the name is unknown', async () => {
    const mail = await simpleParser(await prepareMessage(base).build({ ...recipient, to: { address: 'x@example.com' } }));
    expect(mail.text?.startsWith('您好！\n\n')).toBe(true);
    expect(mail.text).toContain('Name: .');
    const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
    expect(to?.text).toBe('x@example.com');
  });

  it('prefers an explicit greeting name over the To name', async () => {
    const mail = await simpleParser(await prepareMessage(base).build({ ...recipient, name: 'Ada' }));
    expect(mail.text?.startsWith('Ada，您好！')).toBe(true);
  });

  for (const encoding of ['quoted-printable', 'base64'] as const) {
    it(`handles placeholders at the very start and end, adjacent ones and short segments between them (${encoding})`, async () => {
      const p = prepareMessage({ ...base, text: `${G}${N}${U}`, html: `${U}`, encoding: { text: encoding, html: encoding } });
      const mail = await simpleParser(await p.build(recipient));
      const name = 'Ada <&"> 洛芙莱斯';
      expect(mail.text).toBe(`${name}，您好！${name}${recipient.unsubscribeUrl}`);
      expect(mail.html).toBe(escapeHtml(recipient.unsubscribeUrl));
      const short = prepareMessage({ ...base, text: `a${G}b${N}cd${U}é${PREFS}xyz`, html: `<${U}>`, encoding: { text: encoding, html: encoding } });
      for (const n of ['', 'A', 'Ab', 'Abc']) {
        const m = await simpleParser(await short.build({ ...recipient, to: { address: 'x@example.com', name: n }, preferencesUrl: 'https://e.x/p' }));
        expect(m.text).toBe(`a${n === '' ? '您好！' : `${n}，您好！`}b${n}cd${recipient.unsubscribeUrl}éhttps://e.x/pxyz`);
      }
    });
  }

  it('omits List-Unsubscribe-Post for a non-https URL and mailto when absent', async () => {
    const head = (await prepareMessage(base).build({ ...recipient, unsubscribeUrl: 'http://localhost:8080/u/1', unsubscribeMailto: undefined })).toString('latin1');
    expect(head).toContain('List-Unsubscribe: <http://localhost:8080/u/1>\r\n');
    expect(head).not.toContain('List-Unsubscribe-Post');
  });

  it('encodes an IDN domain as punycode and exposes the envelope sender', async () => {
    const p = prepareMessage({ ...base, from: 'news@bücher.example' });
    expect(p.envelopeFrom).toBe('news@xn--bcher-kva.example');
    const head = (await p.build({ ...recipient, to: { address: 'leser@bücher.example' } })).toString('latin1');
    expect(head).toContain('From: news@xn--bcher-kva.example\r\n');
    expect(head).toContain('To: leser@xn--bcher-kva.example\r\n');
  });

  it('rejects header injection', async () => {
    const p = prepareMessage(base);
    expect(() => prepareMessage({ ...base, subject: 'Hi\r\nBcc: victim@example.com' })).toThrow(/line breaks/);
    expect(() => prepareMessage({ ...base, from: 'a@example.com\nBcc: b@example.com' })).toThrow(/line breaks/);
    expect(() => prepareMessage({ ...base, headers: { 'X-Tag': 'a\r\nBcc: x@example.com' } })).toThrow(/line breaks/);
    expect(() => prepareMessage({ ...base, headers: { 'Bad Name': 'x' } })).toThrow(/not valid/);
    expect(() => prepareMessage({ ...base, headers: { subject: 'x' } })).toThrow(/set by Herald/);
    expect(() => prepareMessage({ ...base, headers: { 'dkim-signature': 'x' } })).toThrow(/set by Herald/);
    expect(() => prepareMessage({ ...base, listId: { name: 'x', id: 'a b' } })).toThrow(/List-Id/);
    expect(() => prepareMessage({ ...base, feedbackId: 'a b' })).toThrow(/Feedback-ID/);
    await expect(p.build({ ...recipient, to: { address: 'a@example.com', name: 'Eve\r\nBcc: x@example.com' } })).rejects.toThrow(/line breaks/);
    await expect(p.build({ ...recipient, to: { address: 'a@example.com\r\nBcc: x@example.com' } })).rejects.toThrow(/line breaks/);
    await expect(p.build({ ...recipient, messageId: '<a@b>\r\nBcc: x@example.com' })).rejects.toThrow(/line breaks/);
    await expect(p.build({ ...recipient, unsubscribeUrl: 'https://x/\r\nBcc: x@example.com' })).rejects.toThrow(/line breaks/);
    await expect(p.build({ ...recipient, unsubscribeUrl: 'https://x/a b' })).rejects.toThrow(/URI/);
    await expect(p.build({ ...recipient, to: { address: 'not-an-address' } })).rejects.toThrow(/not a valid email address/);
  });

  it('builds a real rendered digest that round-trips', async () => {
    const r = await renderDigest(engine(), { site: zhSite, articles: [zhArticle], moreCount: 2, date: new Date('2024-05-03T00:00:00Z') });
    const p = prepareMessage({ from: 'news@blog.example.cn', subject: r.subject, html: r.html, text: r.text, date: new Date(), greeting: r.greeting });
    const prefs = 'https://blog.example.cn/herald/preferences/tok?a=1&b=2';
    const mail = await simpleParser(await p.build({ ...recipient, preferencesUrl: prefs, to: { address: 'li@example.com', name: '李雷' } }));
    expect(mail.subject).toBe(r.subject);
    expect(mail.text).toBe(r.text.replace(G, '李雷，您好！').replace(U, recipient.unsubscribeUrl).replace(PREFS, prefs));
    expect(mail.html).toBe(r.html.replace(G, '李雷，您好！').replace(U, escapeHtml(recipient.unsubscribeUrl)).replace(PREFS, escapeHtml(prefs)));
  });
});

describe('per-recipient cost', () => {
  for (const encoding of ['quoted-printable', 'base64'] as const) {
    it(`shares the static buffers and only allocates per-recipient parts (${encoding}, 20,000 messages)`, async () => {
      const p = prepareMessage({ ...base, encoding: { text: encoding, html: encoding } });
      const spy = vi.spyOn(Buffer, 'concat');
      const a = await p.build(recipient);
      const b = await p.build({ ...recipient, to: { address: 'bob@example.com' }, messageId: '<2@x>' });
      const lists = spy.mock.calls.map((c) => c[0] as Buffer[]).filter((l) => l.length > 10);
      spy.mockRestore();
      const [listA, listB] = lists.slice(-2) as [Buffer[], Buffer[]];
      expect(listA.length).toBe(listB.length);
      // Static pieces are the very same Buffer objects in every build; everything else is small.
      const sharedA = listA.filter((buf, i) => buf === listB[i]);
      expect(sharedA.length).toBeGreaterThan(3);
      const perRecipient = listA.filter((buf, i) => buf !== listB[i]).reduce((n, x) => n + x.length, 0);
      // Four headers plus 10 placeholder values in this fixture.
      expect(perRecipient).toBeLessThan(1500);
      // base64 counts a few bytes next to each splice as shared, though they are encoded with the value.
      if (encoding === 'quoted-printable') expect(a.length - perRecipient).toBe(p.staticBytes);
      else expect(Math.abs(a.length - perRecipient - p.staticBytes)).toBeLessThan(p.parts.text.slots * 8 + p.parts.html.slots * 8);
      expect(b.length).toBeLessThan(a.length);

      let bytes = 0;
      for (let i = 0; i < 20_000; i++) {
        bytes += (await p.build({ ...recipient, to: { address: `user${i}@example.com`, name: `User ${i}` }, messageId: `<${i}@herald>` })).length;
      }
      expect(bytes).toBeGreaterThan(20_000 * p.staticBytes);
    });
  }
});
