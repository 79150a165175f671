/** scanSite across processes: the parse cache and the scan snapshot in a real store. */
import { utimesSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { createHerald, type Herald } from '../../src/pipeline/herald.ts';
import { listSite, scanSite } from '../../src/pipeline/scan.ts';
import { makeSite, SECRET, seedArticle, type TestSite } from '../helpers/site.ts';

const HOUR_AGO = Date.now() / 1000 - 3600;
const opened: Herald[] = [];
afterEach(async () => {
  for (const h of opened.splice(0)) await h.close();
});

/** A new Herald on the site's store, as each CLI command opens one; counts parse cache loads. */
async function open(site: TestSite): Promise<{ h: Herald; loads: () => number }> {
  const h = await createHerald(loadConfig({ file: site.configFile, cwd: site.dir, env: { HERALD_SECRET: SECRET } }), { log: pino({ level: 'silent' }) });
  opened.push(h);
  let loads = 0;
  const parsedPages = h.store.parsedPages.bind(h.store);
  h.store.parsedPages = () => {
    loads++;
    return parsedPages();
  };
  return { h, loads: () => loads };
}

/** A file written an hour ago (its folders too): older than the clock's resolution, so sizes and times are trusted. */
function write(site: TestSite, rel: string, text: string, at = HOUR_AGO): void {
  site.write(rel, text);
  for (let p = rel; p !== '.'; p = path.dirname(p)) utimesSync(path.join(site.contentDir, p), at, at);
  utimesSync(site.contentDir, at, at);
}

describe('scanSite', () => {
  it('takes an unchanged site whole from the store, and sees any change, in the next process', async () => {
    const site = makeSite({ channels: '  tg:\n    type: telegram\n    token: ""\n    chat: "@news"\n' });
    for (let i = 0; i < 5; i++) write(site, `posts/p${i}.md`, seedArticle({ title: `文章 ${i}`, date: '2025-07-02T08:00:00+08:00', slug: `p${i}`, topics: ['算力与芯片'] }));
    const first = await open(site);
    const scanned = await scanSite(first.h);
    expect(scanned.articles.map((a) => a.title).sort()).toEqual(['文章 0', '文章 1', '文章 2', '文章 3', '文章 4']);
    expect(first.loads()).toBe(1);

    const second = await open(site);
    expect(await scanSite(second.h)).toEqual(scanned);
    expect(second.loads()).toBe(0);

    write(site, 'posts/p2.md', seedArticle({ title: '改过的标题', date: '2025-07-02T08:00:00+08:00', slug: 'p2', topics: ['算力与芯片'] }), HOUR_AGO + 60);
    const third = await open(site);
    const changed = await scanSite(third.h);
    expect(third.loads()).toBe(1);
    expect(changed.articles.find((a) => a.file === 'posts/p2.md')?.title).toBe('改过的标题');

    // The snapshot kept by the third is the site as it now is.
    const fourth = await open(site);
    expect(await scanSite(fourth.h)).toEqual(changed);
    expect(fourth.loads()).toBe(0);
    // A process that scans again uses what it holds (a daemon's rescans), and still sees changes.
    write(site, 'posts/p5.md', seedArticle({ title: '新文章', date: '2025-07-02T08:30:00+08:00', slug: 'p5', topics: ['算力与芯片'] }));
    expect((await scanSite(fourth.h)).articles.map((a) => a.title)).toContain('新文章');
    expect(fourth.loads()).toBe(1);
  });

  it('lists only the fields asked for from an unchanged site, and every field when it must read pages', async () => {
    const site = makeSite({ channels: '  tg:\n    type: telegram\n    token: ""\n    chat: "@news"\n' });
    for (let i = 0; i < 3; i++) write(site, `posts/p${i}.md`, seedArticle({ title: `文章 ${i}`, date: '2025-07-02T08:00:00+08:00', slug: `p${i}`, topics: ['算力与芯片'] }));
    const whole = await scanSite((await open(site)).h);
    const pick = (a: (typeof whole.articles)[number]) => ({ id: a.id, file: a.file, language: a.language, title: a.title, url: a.url, topics: a.topics });
    const listed = await listSite((await open(site)).h, ['title', 'topics']);
    expect(listed.articles.map((a) => ({ ...a }))).toEqual(whole.articles.map(pick));
    // In the article's own key order, as a whole article has them.
    expect(listed.articles.map((a) => Object.keys(a))).toEqual(whole.articles.map((a) => Object.keys(pick(a)).sort((x, y) => Object.keys(a).indexOf(x) - Object.keys(a).indexOf(y))));
    // The snapshot still holds whole articles for the next whole scan.
    expect(await scanSite((await open(site)).h)).toEqual(whole);
    // A changed page is read again: the listing then holds every field (a superset, never less).
    write(site, 'posts/p1.md', seedArticle({ title: '改过', date: '2025-07-02T08:00:00+08:00', slug: 'p1', topics: ['算力与芯片'] }), HOUR_AGO + 60);
    const relisted = await listSite((await open(site)).h, ['title']);
    expect(relisted.articles.find((a) => a.file === 'posts/p1.md')).toMatchObject({ title: '改过', summary: expect.any(String) });
  });
});
