import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { preferencesToken } from '../../../src/server/reader/links.ts';
import type { Subscriber } from '../../../src/store/types.ts';
import { unsubscribeUrl } from '../../../src/util/tokens.ts';
import type { TestServer } from '../helpers.ts';
import { form } from '../helpers.ts';
import { runPass } from '../../../src/pipeline/dispatch.ts';
import { pathOf, startReader } from './fixtures.ts';

let t: TestServer;
let ada: Subscriber;
let url: string;
beforeEach(async () => {
  t = await startReader();
  ada = (await t.h.store.upsertSubscriber({ email: 'ada@example.com', name: 'Ada', topics: ['AI', '旧主题'], status: 'active' }, t.clock.now)).subscriber;
  url = `/preferences/${preferencesToken(t.h.secret, ada.publicId)}`;
});
afterEach(async () => {
  await t.close();
});

const formKeyOf = (html: string) => /name="form_key" value="([^"]+)"/.exec(html)?.[1] ?? '';
const current = async () => (await t.h.store.getSubscriberById(ada.id))!;

async function save(fields: Record<string, string | string[]>, at = url) {
  const page = await t.app.inject({ method: 'GET', url: at });
  const f = form({ form_key: formKeyOf(page.body), ...fields });
  return t.app.inject({ method: 'POST', url: at, payload: f.payload, headers: f.headers });
}

describe('GET /preferences/:token', () => {
  it('shows the reader their settings, with the site topics and their own', async () => {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>您的订阅</h1>');
    expect(res.body).toContain('ad…@example.com');
    expect(res.body).toContain('<label for="name">');
    expect(res.body).toContain('value="Ada"');
    expect(res.body).toMatch(/value="AI" checked/);
    expect(res.body).toMatch(/value="体育">/);
    // A topic no article carries any more stays visible, so saving does not drop it unseen.
    expect(res.body).toMatch(/value="旧主题" checked/);
    expect(res.body).toContain('<label for="paused">');
    expect(formKeyOf(res.body)).not.toBe('');
  });

  it('is also reached with the unsubscribe token every email carries', async () => {
    const viaEmail = pathOf(unsubscribeUrl(t.h.config.server.publicUrl, t.h.secret, ada.publicId)).replace('/unsubscribe/', '/preferences/');
    const res = await t.app.inject({ method: 'GET', url: viaEmail });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('value="Ada"');
    expect((await save({ name: 'Ada L.' }, viaEmail)).statusCode).toBe(200);
    expect((await current()).name).toBe('Ada L.');
  });

  it('answers a forged token with 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${url.slice(0, -4)}abcd` });
    expect(res.statusCode).toBe(404);
  });
});

describe('POST /preferences/:token', () => {
  it('changes name and topics, ignoring topics that are not on offer', async () => {
    const res = await save({ name: '  林小明 ', topics: ['体育', '算力与芯片', 'injected'] });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('您的设置已保存。');
    expect(res.body).toContain('role="status"');
    const s = await current();
    expect(s.name).toBe('林小明');
    expect(s.topics).toEqual(['体育', '算力与芯片']);
    expect(s.status).toBe('active');
  });

  it('clears the name when left empty', async () => {
    await save({ name: '', topics: ['AI'] });
    expect((await current()).name).toBeUndefined();
  });

  it('pauses (cancelling what is pending) and resumes', async () => {
    await t.h.store.applyPlan(
      {
        channelId: 'news',
        decisions: [],
        deliveries: [{ channelId: 'news', kind: 'digest', subscriberId: ada.id, recipient: ada.email, dedupeKey: 'd1' }],
        fanouts: [],
      },
      t.clock.now,
    );
    const paused = await save({ name: 'Ada', topics: ['AI'], paused: '1' });
    expect(paused.statusCode).toBe(200);
    expect(paused.body).toMatch(/id="paused" name="paused" value="1" checked/);
    expect(await current()).toMatchObject({ paused: true, status: 'active' });
    const [d] = await t.h.store.recentDeliveries({ limit: 1 });
    expect(d).toMatchObject({ status: 'failed', lastError: 'paused' });

    await save({ name: 'Ada', topics: ['AI'] });
    expect((await current()).paused).toBe(false);
  });

  it('refuses a post without the form key (cross-site) and changes nothing', async () => {
    for (const key of [undefined, 'wrong', preferencesToken(t.h.secret, ada.publicId)]) {
      const f = form(key === undefined ? { name: 'Mallory' } : { name: 'Mallory', form_key: key });
      const res = await t.app.inject({ method: 'POST', url, payload: f.payload, headers: f.headers });
      expect(res.statusCode).toBe(403);
    }
    expect((await current()).name).toBe('Ada');
  });

  it('answers an invalid name with 400, keeping the input', async () => {
    const res = await save({ name: 'x'.repeat(101), topics: ['体育'] });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('aria-invalid="true"');
    expect(res.body).toContain(`value="${'x'.repeat(101)}"`);
    expect(res.body).toMatch(/value="体育" checked/);
    expect((await current()).name).toBe('Ada');
  });

  it('offers unsubscribing, through the one-click endpoint', async () => {
    const page = await t.app.inject({ method: 'GET', url });
    const action = /<form method="post" action="\.\.\/(unsubscribe\/[^"]+)"/.exec(page.body)?.[1];
    expect(action).toBeDefined();
    const res = await t.app.inject({ method: 'POST', url: `/${action}` });
    expect(res.statusCode).toBe(200);
    expect((await current()).status).toBe('unsubscribed');
    // From then on the page says so, and saving changes nothing.
    const after = await t.app.inject({ method: 'GET', url });
    expect(after.body).toContain('该地址已退订');
    const f = form({ form_key: formKeyOf(page.body), name: 'Ada again', paused: '1' });
    const post = await t.app.inject({ method: 'POST', url, payload: f.payload, headers: f.headers });
    expect(post.statusCode).toBe(409);
    expect(await current()).toMatchObject({ name: 'Ada', status: 'unsubscribed' });
  });

  it('every digest links each reader to their own preferences page, in the HTML and the text part', async () => {
    const r = await runPass(t.h, { channels: ['news'], forceDigest: 'news' });
    expect(r.ok).toBe(true);
    await t.smtp.waitForMessages(1);
    const [mail] = await t.smtp.parsed();
    const html = String(mail!.html);
    const link = /href="(https:\/\/news\.example\.com\/herald\/preferences\/[^"]+)"/.exec(html)?.[1];
    expect(link).toBeDefined();
    expect(mail!.text).toContain(link);
    const page = await t.app.inject({ method: 'GET', url: pathOf(link!) });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('value="Ada"');
  });
});

describe('breaking-news alerts on the preferences page', () => {
  it('is not offered without a channel that sends alerts, and saving keeps the choice on record', async () => {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.body).not.toContain('name="alerts"');
    await t.h.store.updatePreferences(ada.id, { name: 'Ada', topics: ['AI'], paused: false, alerts: true }, t.clock.now);
    await save({ name: 'Ada', topics: ['AI'] });
    expect((await current()).alerts).toBe(true);
  });

  it('is offered, off by default, where a digest channel emails breaking news; ticking and unticking it is saved', async () => {
    await t.close();
    t = await startReader({
      channels: `  news:\n    type: email\n    smtp: {smtp}\n    from: "测试新闻 <news@example.com>"\n    schedule: "0 8 * * *"\n    breaking: email\n`,
    });
    ada = (await t.h.store.upsertSubscriber({ email: 'ada@example.com', name: 'Ada', topics: [], status: 'active' }, t.clock.now)).subscriber;
    url = `/preferences/${preferencesToken(t.h.secret, ada.publicId)}`;
    expect(ada.alerts).toBe(false);
    const page = await t.app.inject({ method: 'GET', url });
    expect(page.body).toMatch(/<input type="checkbox" id="alerts" name="alerts" value="1">/);
    expect(page.body).toContain('<label for="alerts">突发新闻即时邮件提醒（摘要之外）</label>');
    await save({ name: 'Ada', alerts: '1' });
    expect((await current()).alerts).toBe(true);
    expect((await t.app.inject({ method: 'GET', url })).body).toMatch(/name="alerts" value="1" checked/);
    await save({ name: 'Ada' });
    expect((await current()).alerts).toBe(false);
  });
});
