/** Dashboard subscribers: counts, search, CSV export and import. */
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { type AdminHarness, dashboardPerTest, flashOf, textOf } from './helpers.ts';

const admin = dashboardPerTest();
const loggedIn = admin.loggedIn;
let t: AdminHarness;

/** The counts table: status → number. */
function countsOf(html: string): Record<string, number> {
  const table = /<table class="counts">([\s\S]*?)<\/table>/.exec(html)![1]!;
  const heads = [...table.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1]!);
  const cells = [...table.matchAll(/<td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
  return Object.fromEntries(heads.map((h, i) => [h, cells[i]!]));
}

/** Search results as [email, name, topics, status]. */
function resultsOf(html: string): string[][] {
  const body = /<caption id="results-caption">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1];
  if (body === undefined) return [];
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].slice(0, 4).map((c) => textOf(c[1]!)));
}

async function seed(h: AdminHarness['h']): Promise<void> {
  const now = h.now();
  await h.store.upsertSubscriber({ email: 'wei.zhang@example.org', name: 'Zhang Wei', topics: ['chips', 'policy'], status: 'active' }, now);
  await h.store.upsertSubscriber({ email: 'pending@example.com', status: 'pending' }, now);
  await h.store.upsertSubscriber({ email: 'left@example.com', name: 'Left', status: 'unsubscribed' }, now);
  await h.store.upsertSubscriber({ email: 'left2@example.com', status: 'unsubscribed' }, now);
  await h.store.upsertSubscriber({ email: 'bounce@example.net', status: 'bounced' }, now);
}

describe('GET /admin/subscribers', () => {
  it('shows the counts by status', async () => {
    t = await loggedIn();
    expect(countsOf((await t.get('/admin/subscribers')).body)).toEqual({ active: 2, pending: 0, unsubscribed: 0, bounced: 0, complained: 0 });
    await seed(t.h);
    const r = await t.get('/admin/subscribers');
    expect(r.statusCode).toBe(200);
    expect(countsOf(r.body)).toEqual({ active: 3, pending: 1, unsubscribed: 2, bounced: 1, complained: 0 });
    // Without a query, no list of addresses.
    expect(r.body).not.toContain('alice@example.com');
    expect(r.body).not.toContain('results-caption');
  });

  it('searches address and name by substring, case-insensitively', async () => {
    t = await loggedIn();
    await seed(t.h);
    const byEmail = await t.get('/admin/subscribers?q=ALI');
    expect(resultsOf(byEmail.body)).toEqual([['alice@example.com', 'Alice', 'all topics', 'active']]);
    expect(byEmail.body).toContain('<caption id="results-caption">1 subscriber matches &#34;ALI&#34;</caption>');
    expect(byEmail.body).toContain('<input id="q" name="q" type="search" value="ALI" maxlength="200">');

    const byName = await t.get('/admin/subscribers?q=zhang%20w');
    expect(resultsOf(byName.body)).toEqual([['wei.zhang@example.org', 'Zhang Wei', 'chips, policy', 'active']]);

    const domain = await t.get('/admin/subscribers?q=example.com');
    expect(resultsOf(domain.body).map((x) => x[0])).toEqual(['alice@example.com', 'bob@example.com', 'pending@example.com', 'left@example.com', 'left2@example.com']);
    expect(resultsOf(domain.body).map((x) => x[3])).toEqual(['active', 'active', 'pending', 'unsubscribed', 'unsubscribed']);

    // LIKE wildcards are plain characters.
    for (const q of ['%', '_', 'left_']) {
      const r = await t.get(`/admin/subscribers?q=${encodeURIComponent(q)}`);
      expect(resultsOf(r.body), q).toEqual([]);
      expect(textOf(r.body)).toContain(`No subscriber matches "${q}".`);
    }
    // The query is shown escaped, never as markup.
    const xss = await t.get(`/admin/subscribers?q=${encodeURIComponent('"><script>alert(1)</script>')}`);
    expect(xss.statusCode).toBe(200);
    expect(xss.body).not.toContain('<script>');
    expect(xss.body).toContain('value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    // A blank or repeated query is no search.
    for (const q of ['q=%20%20', 'q=a&q=b']) {
      const r = await t.get(`/admin/subscribers?${q}`);
      expect(r.statusCode).toBe(200);
      expect(r.body).not.toContain('results-caption');
    }
  });
});

describe('GET /admin/subscribers/export.csv', () => {
  it('downloads every subscriber as CSV, fields escaped', async () => {
    t = await loggedIn();
    await seed(t.h);
    await t.h.store.upsertSubscriber({ email: 'quote@example.com', name: 'Doe, "JJ"', topics: ['a b', 'c'], status: 'active' }, t.h.now());
    const r = await t.get('/admin/subscribers/export.csv');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toBe('attachment; filename="subscribers-2025-07-02.csv"');
    expect(r.headers['cache-control']).toBe('no-store');
    const lines = r.body.split('\n');
    expect(lines[0]).toBe('email,name,topics,status');
    expect(lines).toContain('alice@example.com,Alice,,active');
    expect(lines).toContain('bob@example.com,Bob,chips,active');
    expect(lines).toContain('wei.zhang@example.org,Zhang Wei,chips;policy,active');
    expect(lines).toContain('left@example.com,Left,,unsubscribed');
    expect(lines).toContain('bounce@example.net,,,bounced');
    // A comma and quotes in a name: quoted, quotes doubled.
    expect(lines).toContain('quote@example.com,"Doe, ""JJ""",a b;c,active');
    expect(parseCsv(r.body, { columns: true })).toHaveLength(8);
  });

  it('guards cells a spreadsheet would run as a formula; the guarded file imports back unchanged', async () => {
    t = await loggedIn();
    await t.h.store.upsertSubscriber({ email: 'evil@example.com', name: '=HYPERLINK("http://evil")', topics: ['-x', '@y'], status: 'active' }, t.h.now());
    await t.h.store.upsertSubscriber({ email: 'plus@example.com', name: '+1 555 0100', status: 'unsubscribed' }, t.h.now());
    const r = await t.get('/admin/subscribers/export.csv');
    const lines = r.body.split('\n');
    expect(lines).toContain(`evil@example.com,"'=HYPERLINK(""http://evil"")",'-x;@y,active`);
    expect(lines).toContain("plus@example.com,'+1 555 0100,,unsubscribed");
    const cells = (parseCsv(r.body) as string[][]).flat();
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);

    const again = await t.post('/admin/subscribers/import', { csv: r.body });
    expect(flashOf((await t.follow(again)).body)).toEqual({
      kind: 'ok',
      text: 'Imported 4 subscriber(s): 0 added, 4 updated, 0 invalid row(s) skipped.',
      lines: ['1 existing unsubscribed, bounced or complained address(es) kept as they were.'],
    });
    expect(await t.h.store.getSubscriber('evil@example.com')).toMatchObject({ name: '=HYPERLINK("http://evil")', topics: ['-x', '@y'] });
    expect((await t.get('/admin/subscribers/export.csv')).body).toBe(r.body);
  });

  it('needs a session: no addresses for anyone else', async () => {
    t = await admin.start();
    const r = await t.get('/admin/subscribers/export.csv');
    expect(r.statusCode).toBe(303);
    expect(r.body).not.toContain('alice@example.com');
  });
});

const INVALID = 'is not a valid email address; row skipped';
const BAD_STATUS = 'is not a valid status (expected active, pending, unsubscribed, bounced or complained); row skipped';

describe('POST /admin/subscribers/import', () => {
  it('adds and updates, keeps who unsubscribed, and reports invalid lines by number', async () => {
    t = await loggedIn();
    await t.h.store.upsertSubscriber({ email: 'left@example.com', status: 'unsubscribed' }, t.h.now());
    const csv = ['email,name,topics', 'new@example.com,New Reader,chips;policy', 'not-an-email,Nobody,', '', 'BOB@example.com,Robert,', 'left@example.com,Back Again,', ',empty,'].join('\n');
    const r = await t.post('/admin/subscribers/import', { csv });
    expect(r.headers.location).toBe('/admin/subscribers');
    const page = await t.follow(r);
    const flash = flashOf(page.body)!;
    expect(flash.kind).toBe('error');
    expect(flash.text).toBe('Imported 3 subscriber(s): 1 added, 2 updated, 2 invalid row(s) skipped.');
    // Only Left is kept as they were: Bob was active, and an active address is no "kept" one.
    expect(flash.lines).toEqual([
      '1 existing unsubscribed, bounced or complained address(es) kept as they were.',
      `line 3: "not-an-email" ${INVALID}`,
      `line 7: "" ${INVALID}`,
    ]);

    const added = await t.h.store.getSubscriber('new@example.com');
    expect(added).toMatchObject({ name: 'New Reader', topics: ['chips', 'policy'], status: 'active' });
    // Addresses compare case-insensitively: Bob was updated, not duplicated.
    expect(await t.h.store.getSubscriber('bob@example.com')).toMatchObject({ name: 'Robert', status: 'active' });
    expect(await t.h.store.getSubscriber('left@example.com')).toMatchObject({ status: 'unsubscribed' });
    expect(countsOf(page.body)).toEqual({ active: 3, pending: 0, unsubscribed: 1, bounced: 0, complained: 0 });
    expect(await t.h.store.getSubscriber('not-an-email')).toBeUndefined();
  });

  it('someone who unsubscribed or bounced stays so, and the report says so', async () => {
    t = await loggedIn();
    await t.h.store.upsertSubscriber({ email: 'left@example.com', status: 'unsubscribed' }, t.h.now());
    await t.h.store.upsertSubscriber({ email: 'bounce@example.net', status: 'bounced' }, t.h.now());
    const r = await t.post('/admin/subscribers/import', { csv: 'email,name\nleft@example.com,Back\nbounce@example.net,\n' });
    expect(flashOf((await t.follow(r)).body)).toEqual({
      kind: 'ok',
      text: 'Imported 2 subscriber(s): 0 added, 2 updated, 0 invalid row(s) skipped.',
      lines: ['2 existing unsubscribed, bounced or complained address(es) kept as they were.'],
    });
    expect(await t.h.store.getSubscriber('left@example.com')).toMatchObject({ name: 'Back', status: 'unsubscribed' });
    expect(await t.h.store.getSubscriber('bounce@example.net')).toMatchObject({ status: 'bounced' });
  });

  it('honours a status column: suppressions win, no one is signed up again, a bad status is reported by line', async () => {
    t = await loggedIn();
    await seed(t.h);
    const csv = [
      'email,name,topics,status',
      'alice@example.com,Alice,,unsubscribed',
      'bob@example.com,Bob,chips,bounced',
      'left@example.com,Left,,active',
      'pending@example.com,,,',
      'new-left@example.com,,,unsubscribed',
      'new-wait@example.com,,,pending',
      'wei.zhang@example.org,Zhang Wei,,subscribed',
    ].join('\n');
    const page = await t.follow(await t.post('/admin/subscribers/import', { csv }));
    expect(flashOf(page.body)).toEqual({
      kind: 'error',
      text: 'Imported 6 subscriber(s): 2 added, 4 updated, 1 invalid row(s) skipped.',
      lines: ['1 existing unsubscribed, bounced or complained address(es) kept as they were.', `line 8: "subscribed" ${BAD_STATUS}`],
    });
    expect(await t.h.store.getSubscriber('alice@example.com')).toMatchObject({ status: 'unsubscribed' });
    expect(await t.h.store.getSubscriber('bob@example.com')).toMatchObject({ status: 'bounced' });
    expect(await t.h.store.getSubscriber('left@example.com')).toMatchObject({ status: 'unsubscribed' });
    expect(await t.h.store.getSubscriber('pending@example.com')).toMatchObject({ status: 'active' });
    expect(await t.h.store.getSubscriber('new-left@example.com')).toMatchObject({ status: 'unsubscribed' });
    expect(await t.h.store.getSubscriber('new-wait@example.com')).toMatchObject({ status: 'pending' });
    expect(await t.h.store.getSubscriber('wei.zhang@example.org')).toMatchObject({ topics: ['chips', 'policy'], status: 'active' });
    expect(countsOf(page.body)).toEqual({ active: 2, pending: 1, unsubscribed: 4, bounced: 2, complained: 0 });
  });

  it('a name with a control character or over 100 characters is reported by line and skipped; the rest is imported', async () => {
    t = await loggedIn();
    const csv = stringify([
      ['email', 'name'],
      ['crlf@example.com', 'Eve\r\nBcc: victim@example.com'],
      ['esc@example.com', '\u001b]8;;http://evil\u0007x'],
      ['long@example.com', 'n'.repeat(101)],
      ['ok@example.com', 'Ok Reader'],
    ]);
    const flash = flashOf((await t.follow(await t.post('/admin/subscribers/import', { csv }))).body)!;
    expect(flash).toEqual({
      kind: 'error',
      text: 'Imported 1 subscriber(s): 1 added, 0 updated, 3 invalid row(s) skipped.',
      lines: [
        'line 2: the name "Eve\\r\\nBcc: victim@example.com" contains a control character (line break, tab, …); row skipped',
        'line 3: the name "\\u001b]8;;http://evil\\u0007x" contains a control character (line break, tab, …); row skipped',
        `line 4: the name "${'n'.repeat(60)}…" is longer than 100 characters; row skipped`,
      ],
    });
    expect((await t.h.store.subscribers()).map((s) => s.email)).toEqual(['alice@example.com', 'bob@example.com', 'ok@example.com']);
  });

  it('a clean import is an ok flash', async () => {
    t = await loggedIn();
    const r = await t.post('/admin/subscribers/import', { csv: '\uFEFFEmail,Name\r\nc1@example.com,"Smith, Ann"\r\nc2@example.com,\r\n' });
    expect(flashOf((await t.follow(r)).body)).toEqual({ kind: 'ok', text: 'Imported 2 subscriber(s): 2 added, 0 updated, 0 invalid row(s) skipped.', lines: [] });
    expect(await t.h.store.getSubscriber('c1@example.com')).toMatchObject({ name: 'Smith, Ann', status: 'active' });
  });

  it('empty import, no email column, unreadable CSV → error flash, nothing imported', async () => {
    t = await loggedIn();
    for (const csv of ['', '   \n\n', null]) {
      const r = await t.post('/admin/subscribers/import', csv === null ? {} : { csv });
      expect(r.headers.location).toBe('/admin/subscribers');
      expect(flashOf((await t.follow(r)).body)).toEqual({ kind: 'error', text: 'Nothing to import; paste the CSV text first.', lines: [] });
    }
    const noHeader = await t.post('/admin/subscribers/import', { csv: 'name,topics\nx,y\n' });
    expect(flashOf((await t.follow(noHeader)).body)).toEqual({
      kind: 'error',
      text: 'Nothing was imported.',
      lines: ['line 1 must be a header with an "email" column (email,name,topics), got "name,topics"'],
    });
    const broken = await t.post('/admin/subscribers/import', { csv: 'email,name\n"x@example.com,unterminated\n' });
    const flash = flashOf((await t.follow(broken)).body)!;
    expect(flash.text).toBe('Nothing was imported.');
    expect(flash.lines[0]).toMatch(/^not a readable CSV file: /);
    expect((await t.h.store.subscriberCounts()).active).toBe(2);
  });

  it('a body over the import limit → 413 page, nothing imported', async () => {
    t = await loggedIn();
    const big = `email\n${'someone@example.com\n'.repeat(Math.ceil((5 * 1024 * 1024) / 20) + 10)}`;
    const r = await t.post('/admin/subscribers/import', { csv: big });
    expect(r.statusCode).toBe(413);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('<h1>Too large</h1>');
    expect(r.body).toContain('What you sent is too large.');
    expect(await t.h.store.getSubscriber('someone@example.com')).toBeUndefined();
    // Larger than an ordinary form is fine, though: the import has its own, higher limit.
    const medium = `email\n${Array.from({ length: 5000 }, (_, i) => `reader${i}@example.com`).join('\n')}\n`;
    expect(medium.length).toBeGreaterThan(64 * 1024);
    const ok = await t.post('/admin/subscribers/import', { csv: medium });
    expect(flashOf((await t.follow(ok)).body)).toMatchObject({ kind: 'ok', text: 'Imported 5000 subscriber(s): 5000 added, 0 updated, 0 invalid row(s) skipped.' });
  });

  it('a long report is capped on the page', async () => {
    t = await loggedIn();
    const csv = `email\n${Array.from({ length: 150 }, (_, i) => `bad${i}`).join('\n')}\n`;
    const flash = flashOf((await t.follow(await t.post('/admin/subscribers/import', { csv }))).body)!;
    expect(flash.lines).toHaveLength(101);
    expect(flash.lines[0]).toBe(`line 2: "bad0" ${INVALID}`);
    expect(flash.lines[100]).toBe('… and 50 more');
  });

  it('import then export round-trips', async () => {
    t = await loggedIn();
    const imported = [
      ['email', 'name', 'topics'],
      ['rt1@example.com', 'Doe, "JJ"', 'chips;policy'],
      ['rt2@example.com', '', ''],
      ['rt3@example.com', '王 小明', '算力与芯片'],
      ['rt4@example.com', 'Doe, "Line"', 'a b'],
    ];
    const csv = stringify(imported);
    const r = await t.post('/admin/subscribers/import', { csv });
    expect(flashOf((await t.follow(r)).body)).toMatchObject({ kind: 'ok', text: 'Imported 4 subscriber(s): 4 added, 0 updated, 0 invalid row(s) skipped.' });
    const exported = await t.get('/admin/subscribers/export.csv');
    const rows = (text: string) => parseCsv(text, { columns: true }) as Array<Record<string, string>>;
    const mine = rows(exported.body).filter((x) => x.email!.startsWith('rt'));
    expect(mine.map((x) => [x.email, x.name, x.topics])).toEqual(imported.slice(1));
    expect(mine.every((x) => x.status === 'active')).toBe(true);
    // The export imports back as it is: everyone updated, nothing changed.
    const again = await t.post('/admin/subscribers/import', { csv: exported.body });
    expect(flashOf((await t.follow(again)).body)).toMatchObject({ kind: 'ok', text: 'Imported 6 subscriber(s): 0 added, 6 updated, 0 invalid row(s) skipped.' });
    expect((await t.get('/admin/subscribers/export.csv')).body).toBe(exported.body);
  });
});

describe('one subscriber and their consent history', () => {
  it('shows every status change with its source, from the search results; the editor can unsubscribe them (recorded as theirs)', async () => {
    t = await loggedIn();
    const h = t.h;
    const { subscriber } = await h.store.signUp({ email: 'reader@example.com', name: 'Reader', topics: ['chips'] }, h.now(), { ip: '203.0.113.5' });
    await h.store.confirmSubscriber(subscriber.id, { issuedAt: h.now() }, h.now(), { ip: '203.0.113.5' });
    const search = await t.get('/admin/subscribers?q=reader');
    const href = /<a href="(\/admin\/subscribers\/\d+)">reader@example\.com<\/a>/.exec(search.body)?.[1];
    expect(href).toBe(`/admin/subscribers/${subscriber.id}`);

    const page = await t.get(href!);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>reader@example.com</h1>');
    const rows = [...page.body.matchAll(/<tr><th scope="row">([\s\S]*?)<\/tr>/g)].map((m) => textOf(m[1]!).replace(/^.*? (→|active|pending)/, '$1'));
    expect(rows).toEqual(['→ pending sign-up form 203.0.113.5', 'pending → active confirmation link 203.0.113.5']);

    // Unsubscribing needs the session's CSRF token…
    expect((await t.post(`${href}/unsubscribe`, { _csrf: 'forged' })).statusCode).toBe(403);
    expect((await h.store.getSubscriberById(subscriber.id))!.status).toBe('active');
    // …and is then recorded as the editor's, with the pending deliveries cancelled.
    const done = await t.follow(await t.post(`${href}/unsubscribe`));
    expect(flashOf(done.body)).toEqual({ kind: 'ok', text: 'reader@example.com is unsubscribed.', lines: [] });
    expect(done.body).not.toContain('Unsubscribe this address');
    expect(await h.store.getSubscriberById(subscriber.id)).toMatchObject({ status: 'unsubscribed', unsubscribeSource: 'editor' });
    const last = (await h.store.consentHistory(subscriber.id)).at(-1)!;
    expect(last).toMatchObject({ from: 'active', to: 'unsubscribed', source: 'editor', detail: 'dashboard (editor)' });
    expect(textOf(done.body)).toContain('active → unsubscribed editor dashboard (editor)');
    // Again: nothing changes.
    expect(flashOf((await t.follow(await t.post(`${href}/unsubscribe`))).body)).toMatchObject({ kind: 'info', text: 'reader@example.com was already unsubscribed; nothing changed.' });

    // The history as CSV: this subscriber's, and everyone's.
    const one = await t.get(`${href}/history.csv`);
    expect(one.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(one.headers['content-disposition']).toMatch(/^attachment; filename="consent-history-\d+-\d{4}-\d{2}-\d{2}\.csv"$/);
    const records = parseCsv(one.body, { columns: true }) as Array<Record<string, string>>;
    expect(records.map((r) => [r.email, r.from, r.to, r.source, r.ip, r.detail])).toEqual([
      ['reader@example.com', '', 'pending', 'signup', '203.0.113.5', ''],
      ['reader@example.com', 'pending', 'active', 'confirm', '203.0.113.5', ''],
      ['reader@example.com', 'active', 'unsubscribed', 'editor', '', 'dashboard (editor)'],
    ]);
    const all = parseCsv((await t.get('/admin/subscribers/history.csv')).body, { columns: true }) as Array<Record<string, string>>;
    expect(all.map((r) => [r.email, r.to, r.source])).toEqual([
      ['alice@example.com', 'active', 'editor'],
      ['bob@example.com', 'active', 'editor'],
      ['reader@example.com', 'pending', 'signup'],
      ['reader@example.com', 'active', 'confirm'],
      ['reader@example.com', 'unsubscribed', 'editor'],
    ]);
  });

  it('an import records its changes as the import’s, with the line and the editor', async () => {
    t = await loggedIn();
    await t.post('/admin/subscribers/import', { csv: 'email,status\nalice@example.com,unsubscribed\nnew@example.com,\n' });
    const alice = (await t.h.store.getSubscriber('alice@example.com'))!;
    expect((await t.h.store.consentHistory(alice.id)).at(-1)).toMatchObject({ from: 'active', to: 'unsubscribed', source: 'import', detail: 'dashboard (editor), line 2' });
    const added = (await t.h.store.getSubscriber('new@example.com'))!;
    expect(await t.h.store.consentHistory(added.id)).toMatchObject([{ to: 'active', source: 'import', detail: 'dashboard (editor), line 3' }]);
  });

  it('an unknown or malformed id is a 404 page', async () => {
    t = await loggedIn();
    for (const url of ['/admin/subscribers/999', '/admin/subscribers/abc', '/admin/subscribers/999/history.csv']) {
      const r = await t.get(url);
      expect(r.statusCode, url).toBe(404);
      expect(r.body).toContain('No such subscriber.');
    }
    expect((await t.post('/admin/subscribers/999/unsubscribe')).statusCode).toBe(404);
  });

  it('needs a session: no addresses, no history for anyone else, and no unsubscribing', async () => {
    t = await admin.start();
    for (const url of ['/admin/subscribers/1', '/admin/subscribers/1/history.csv', '/admin/subscribers/history.csv']) {
      const r = await t.get(url);
      expect(r.statusCode, url).toBe(303);
      expect(r.body).not.toContain('alice@example.com');
    }
    expect((await t.post('/admin/subscribers/1/unsubscribe', { _csrf: 'x' })).statusCode).toBe(303);
    expect((await t.h.store.getSubscriber('alice@example.com'))!.status).toBe('active');
  });
});
