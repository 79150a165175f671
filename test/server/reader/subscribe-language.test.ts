import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers.ts';
import { form } from '../helpers.ts';
import { clientIp, startReader } from './fixtures.ts';

let t: TestServer;
beforeEach(async () => {
  t = await startReader();
});
afterEach(async () => {
  await t.close();
});

function bilingual(): void {
  const base = { baseUrl: 'https://news.example.com/', contentDir: t.site.contentDir, weight: 0 };
  t.h.config.content.languages = [
    { ...base, code: 'zh', locale: 'zh-CN', prefix: '', name: '中文' },
    { ...base, code: 'en', locale: 'en', prefix: 'en' },
  ];
  t.h.config.content.defaultLanguage = 'zh';
}

const subscribe = (fields: Record<string, string | string[]>) => {
  const f = form(fields);
  return t.app.inject({ method: 'POST', url: '/subscribe', payload: f.payload, headers: { ...f.headers, ...clientIp() } });
};

describe('sign-up and the site languages', () => {
  it('offers no language choice on a one-language site', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/subscribe' });
    expect(res.body).not.toContain('name="language"');
    await subscribe({ email: 'one@example.com', language: 'en' });
    expect((await t.h.store.getSubscriber('one@example.com'))?.language).toBeUndefined();
  });

  it("offers the site's languages, the default (or ?lang=) chosen, and keeps the reader's choice", async () => {
    bilingual();
    const res = await t.app.inject({ method: 'GET', url: '/subscribe' });
    expect(res.body).toContain('<label for="language">邮件语言</label>');
    expect(res.body).toContain('<option value="zh" lang="zh" selected>中文</option>');
    expect(res.body).toContain('<option value="en" lang="en">English</option>');
    expect((await t.app.inject({ method: 'GET', url: '/subscribe?lang=en' })).body).toContain('<option value="en" lang="en" selected>English</option>');

    expect((await subscribe({ email: 'en@example.com', language: 'en' })).statusCode).toBe(200);
    expect((await t.h.store.getSubscriber('en@example.com'))?.language).toBe('en');
    // A language the site does not have falls back to the default.
    await subscribe({ email: 'xx@example.com', language: 'xx' });
    expect((await t.h.store.getSubscriber('xx@example.com'))?.language).toBe('zh');
  });
});
