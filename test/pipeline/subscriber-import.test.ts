/** Subscriber CSV import/export rules (pipeline/subscriber-import.ts) against a real SQLite store. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { describeInvalidRow, exportSubscribersCsv, guardFormula, importSubscribersCsv, unguardFormula } from '../../src/pipeline/subscriber-import.ts';
import { openStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { SubscriberStatus } from '../../src/store/types.ts';

const now = new Date('2025-07-02T01:00:00Z');
let stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

/** What importSubscribersCsv and exportSubscribersCsv need of a Herald. */
async function herald() {
  const store = await openStore({ path: path.join(mkdtempSync(path.join(tmpdir(), 'herald-import-')), 'h.db') });
  stores.push(store);
  return { store, now: () => now };
}
type H = Awaited<ReturnType<typeof herald>>;

async function exported(h: H): Promise<string> {
  let out = '';
  await exportSubscribersCsv(h, (c) => (out += c));
  return out;
}

async function seed(h: H, rows: Array<[string, SubscriberStatus]>) {
  const ids: Record<string, number> = {};
  for (const [email, status] of rows) ids[email] = (await h.store.upsertSubscriber({ email, status }, now)).subscriber.id;
  return ids;
}

async function statusOf(h: H, email: string) {
  return (await h.store.getSubscriber(email))?.status;
}

describe('importSubscribersCsv: the "kept" count', () => {
  it('counts only existing unsubscribed or bounced addresses, not active or pending ones', async () => {
    const h = await herald();
    await seed(h, [
      ['bob@example.com', 'active'],
      ['pat@example.com', 'pending'],
      ['left@example.com', 'unsubscribed'],
      ['gone@example.com', 'bounced'],
    ]);
    expect(await importSubscribersCsv(h, 'email\nbob@example.com\n')).toEqual({ added: 0, updated: 1, kept: 0, invalid: [] });
    const r = await importSubscribersCsv(h, 'email\nbob@example.com\npat@example.com\nleft@example.com\ngone@example.com\nnew@example.com\n');
    expect(r).toEqual({ added: 1, updated: 4, kept: 2, invalid: [] });
    expect(await statusOf(h, 'bob@example.com')).toBe('active');
    expect(await statusOf(h, 'pat@example.com')).toBe('active');
    expect(await statusOf(h, 'left@example.com')).toBe('unsubscribed');
    expect(await statusOf(h, 'gone@example.com')).toBe('bounced');
    expect(await statusOf(h, 'new@example.com')).toBe('active');
  });
});

describe('large files', () => {
  it('are read in slices and written in batches, each a transaction, with progress; no character is cut at a slice edge', async () => {
    const rows = 5000;
    const lines = ['email,name,topics', ...Array.from({ length: rows }, (_, i) => `r${i}@example.com,读者 ${i} 😀,芯片;x`)];
    for (const input of [lines.join('\n'), Buffer.from(lines.join('\r\n'))]) {
      const h = await herald();
      const progress: Array<{ done: number; total: number }> = [];
      const r = await importSubscribersCsv(h, input, { batchSize: 700, onProgress: (p) => progress.push(p) });
      expect(r).toEqual({ added: rows, updated: 0, kept: 0, invalid: [] });
      const names = (await h.store.subscribers()).map((s) => s.name);
      expect(names).toEqual(Array.from({ length: rows }, (_, i) => `读者 ${i} 😀`));
      expect(progress.at(-1)).toEqual({ done: rows, total: rows });
      expect(progress.map((p) => p.done)).toEqual([700, 1400, 2100, 2800, 3500, 4200, 4900, 5000]);
    }
  });

  it('a file that stops being CSV halfway writes nothing', async () => {
    const h = await herald();
    const good = Array.from({ length: 3000 }, (_, i) => `r${i}@example.com,R`).join('\n');
    await expect(importSubscribersCsv(h, `email,name\n${good}\n"broken@example.com,unterminated\n`)).rejects.toThrow(/^not a readable CSV file: /);
    expect(await h.store.subscribers()).toEqual([]);
  });
});

describe('names', () => {
  it('skips and reports by line a row whose name has a control character (CR/LF, NUL, ESC, tab) or is too long', async () => {
    const h = await herald();
    await seed(h, [['known@example.com', 'active']]);
    await h.store.upsertSubscriber({ email: 'known@example.com', name: 'Known' }, now);
    const csv = stringify([
      ['email', 'name', 'topics'],
      ['ok@example.com', '  林小明 ', 'a'],
      ['crlf@example.com', 'Eve\r\nBcc: victim@example.com', ''],
      ['nul@example.com', 'A\u0000B', ''],
      ['esc@example.com', '\u001b[31mred', ''],
      ['tab@example.com', 'Tab\there', ''],
      ['known@example.com', 'Line\nBreak', ''],
      ['long@example.com', 'x'.repeat(101), ''],
      ['fine@example.com', 'O\'Brien $& %%HERALD_NAME%%', ''],
    ]);
    const r = await importSubscribersCsv(h, csv);
    expect(r).toEqual({
      added: 2,
      updated: 0,
      kept: 0,
      invalid: [
        { line: 3, value: 'Eve\r\nBcc: victim@example.com', column: 'name', problem: 'control' },
        { line: 4, value: 'A\u0000B', column: 'name', problem: 'control' },
        { line: 5, value: '\u001b[31mred', column: 'name', problem: 'control' },
        { line: 6, value: 'Tab\there', column: 'name', problem: 'control' },
        { line: 7, value: 'Line\nBreak', column: 'name', problem: 'control' },
        { line: 8, value: 'x'.repeat(101), column: 'name', problem: 'length' },
      ],
    });
    expect(r.invalid.map(describeInvalidRow)[0]).toBe('name "Eve\\r\\nBcc: victim@example.com" contains a control character (line break, tab, NUL, ESC, …); names must be one line of text; row skipped');
    expect(describeInvalidRow(r.invalid[5]!)).toBe(`name "${'x'.repeat(60)}…" is longer than 100 characters; row skipped`);
    expect((await h.store.subscribers()).map((s) => [s.email, s.name])).toEqual([
      ['known@example.com', 'Known'],
      ['ok@example.com', '林小明'],
      ['fine@example.com', "O'Brien $& %%HERALD_NAME%%"],
    ]);
  });
});

describe('formula guard', () => {
  const risky = ['=HYPERLINK("http://evil")', '+1', '-2', '@SUM(A1)', '\t=1', '\r=1', '＝1', '＋1', '－1', '＠1'];

  it('prefixes a cell that starts like a formula with one quote, and the import takes exactly that quote off', () => {
    for (const v of risky) {
      expect(guardFormula(v), JSON.stringify(v)).toBe(`'${v}`);
      expect(unguardFormula(guardFormula(v)), JSON.stringify(v)).toBe(v);
    }
    // Already text to a spreadsheet, but guarded once more so the round trip is exact.
    expect(guardFormula("'=1")).toBe("''=1");
    expect(unguardFormula("''=1")).toBe("'=1");
    for (const v of ['plain', "'plain", "O'Brien", '', ' =1', '1-2', 'a@b']) {
      expect(guardFormula(v), JSON.stringify(v)).toBe(v);
      expect(unguardFormula(v), JSON.stringify(v)).toBe(v);
    }
  });

  it('exports no cell a spreadsheet would run, and the export imports back unchanged into a fresh Herald', async () => {
    const a = await herald();
    const names = ['=HYPERLINK("http://evil")', '+1 555 0100', '-minus', '@SUM(A1)', "'=quoted already", "'plain", '＝全角', 'Plain, "Name"'];
    for (const [i, name] of names.entries()) {
      await a.store.upsertSubscriber({ email: `n${i}@example.com`, name, topics: i === 0 ? ['-a', '=b'] : [], status: 'active' }, now);
    }
    await a.store.upsertSubscriber({ email: '-dash@example.com', status: 'active' }, now);
    await a.store.upsertSubscriber({ email: '+plus@example.com', name: '@me', status: 'unsubscribed' }, now);
    const csv = await exported(a);

    const cells = (parseCsv(csv) as string[][]).slice(1).flat();
    const formula = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
    expect(cells.filter((c) => formula.test(c))).toEqual([]);
    expect(csv).toContain(`n0@example.com,"'=HYPERLINK(""http://evil"")",'-a;=b,active\n`);
    expect(csv).toContain("n1@example.com,'+1 555 0100,,active\n");
    expect(csv).toContain("n4@example.com,''=quoted already,,active\n");
    expect(csv).toContain("n5@example.com,'plain,,active\n");
    expect(csv).toContain("'-dash@example.com,,,active\n");
    expect(csv).toContain("'+plus@example.com,'@me,,unsubscribed\n");

    const b = await herald();
    expect(await importSubscribersCsv(b, csv)).toEqual({ added: 10, updated: 0, kept: 0, invalid: [] });
    expect(await b.store.getSubscriber('n0@example.com')).toMatchObject({ name: '=HYPERLINK("http://evil")', topics: ['-a', '=b'] });
    expect(await b.store.getSubscriber('n4@example.com')).toMatchObject({ name: "'=quoted already" });
    expect(await b.store.getSubscriber('n5@example.com')).toMatchObject({ name: "'plain" });
    expect(await b.store.getSubscriber('-dash@example.com')).toMatchObject({ email: '-dash@example.com' });
    expect(await exported(b)).toBe(csv);
    // And into the Herald it came from: nothing changes.
    expect(await importSubscribersCsv(a, csv)).toEqual({ added: 0, updated: 10, kept: 1, invalid: [] });
    expect(await exported(a)).toBe(csv);
  });
});

describe('status column', () => {
  /** A pending delivery to each of these subscribers. */
  async function pendingDeliveries(h: H, ids: Record<string, number>) {
    await h.store.applyPlan(
      {
        channelId: 'news',
        createChannelAt: now.toISOString(),
        decisions: [],
        deliveries: Object.entries(ids).map(([email, id]) => ({ channelId: 'news', kind: 'post' as const, subscriberId: id, recipient: email, dedupeKey: `k-${email}` })),
        fanouts: [],
      },
      now,
    );
  }
  async function deliveryOf(h: H, email: string) {
    const d = (await h.store.recentDeliveries({ limit: 100 })).find((x) => x.recipient === email);
    return d && { status: d.status, lastError: d.lastError };
  }

  it('honours each row: suppressions win, nobody who left is signed up again', async () => {
    const h = await herald();
    const ids = await seed(h, [
      ['act-unsub@example.com', 'active'],
      ['pend-unsub@example.com', 'pending'],
      ['act-bounce@example.com', 'active'],
      ['act-pending@example.com', 'active'],
      ['pend-active@example.com', 'pending'],
      ['pend-empty@example.com', 'pending'],
      ['pend-pending@example.com', 'pending'],
      ['unsub-active@example.com', 'unsubscribed'],
      ['bounce-unsub@example.com', 'bounced'],
      ['unsub-bounce@example.com', 'unsubscribed'],
      ['act-bad@example.com', 'active'],
    ]);
    await pendingDeliveries(h, ids);
    const csv = stringify([
      ['email', 'name', 'topics', 'status'],
      ['new-unsub@example.com', 'A', '', 'unsubscribed'],
      ['new-bounce@example.com', '', '', 'bounced'],
      ['new-pending@example.com', '', '', 'pending'],
      ['new-active@example.com', '', '', 'active'],
      ['new-empty@example.com', '', '', ''],
      ['act-unsub@example.com', 'Renamed', 'x', 'unsubscribed'],
      ['pend-unsub@example.com', '', '', ' Unsubscribed '],
      ['act-bounce@example.com', '', '', 'bounced'],
      ['act-pending@example.com', '', '', 'pending'],
      ['pend-active@example.com', '', '', 'active'],
      ['pend-empty@example.com', '', '', ''],
      ['pend-pending@example.com', '', '', 'pending'],
      ['unsub-active@example.com', '', '', 'active'],
      ['bounce-unsub@example.com', '', '', 'unsubscribed'],
      ['unsub-bounce@example.com', '', '', 'bounced'],
      ['act-bad@example.com', 'Nope', '', 'gone'],
      ['new-bad@example.com', '', '', 'subscribed'],
    ]);
    const r = await importSubscribersCsv(h, csv);
    expect(r).toEqual({
      added: 5,
      updated: 10,
      kept: 3,
      invalid: [
        { line: 17, value: 'gone', column: 'status' },
        { line: 18, value: 'subscribed', column: 'status' },
      ],
    });
    const expected: Record<string, SubscriberStatus | undefined> = {
      'new-unsub@example.com': 'unsubscribed',
      'new-bounce@example.com': 'bounced',
      'new-pending@example.com': 'pending',
      'new-active@example.com': 'active',
      'new-empty@example.com': 'active',
      'act-unsub@example.com': 'unsubscribed',
      'pend-unsub@example.com': 'unsubscribed',
      'act-bounce@example.com': 'bounced',
      'act-pending@example.com': 'active',
      'pend-active@example.com': 'active',
      'pend-empty@example.com': 'active',
      'pend-pending@example.com': 'pending',
      'unsub-active@example.com': 'unsubscribed',
      'bounce-unsub@example.com': 'bounced',
      'unsub-bounce@example.com': 'unsubscribed',
      'act-bad@example.com': 'active',
      'new-bad@example.com': undefined,
    };
    for (const [email, status] of Object.entries(expected)) expect(await statusOf(h, email), email).toBe(status);
    // The invalid row changed nothing, not even the name.
    expect((await h.store.getSubscriber('act-bad@example.com'))?.name).toBeUndefined();
    expect(await h.store.getSubscriber('act-unsub@example.com')).toMatchObject({ name: 'Renamed', topics: ['x'] });

    // An imported unsubscribe or bounce cancels what was pending for them; no one else's.
    expect(await deliveryOf(h, 'act-unsub@example.com')).toEqual({ status: 'failed', lastError: 'unsubscribed' });
    expect(await deliveryOf(h, 'pend-unsub@example.com')).toEqual({ status: 'failed', lastError: 'unsubscribed' });
    expect(await deliveryOf(h, 'act-bounce@example.com')).toEqual({ status: 'failed', lastError: 'bounced' });
    for (const email of ['act-pending@example.com', 'pend-active@example.com', 'act-bad@example.com']) {
      expect(await deliveryOf(h, email), email).toEqual({ status: 'pending', lastError: undefined });
    }
  });

  it('an export moved to a fresh Herald keeps everyone who unsubscribed or bounced suppressed', async () => {
    const a = await herald();
    await seed(a, [
      ['on@example.com', 'active'],
      ['wait@example.com', 'pending'],
      ['left@example.com', 'unsubscribed'],
      ['bounce@example.com', 'bounced'],
    ]);
    const csv = await exported(a);
    const b = await herald();
    expect(await importSubscribersCsv(b, csv)).toEqual({ added: 4, updated: 0, kept: 0, invalid: [] });
    expect(await b.store.subscriberCounts()).toEqual({ active: 1, pending: 1, unsubscribed: 1, bounced: 1, complained: 0 });
    expect(await exported(b)).toBe(csv);
  });

  it('without a status column, behaves as before: new and pending addresses are active', async () => {
    const h = await herald();
    await seed(h, [['wait@example.com', 'pending']]);
    expect(await importSubscribersCsv(h, 'email,name\nwait@example.com,W\nnew@example.com,N\n')).toEqual({ added: 1, updated: 1, kept: 0, invalid: [] });
    expect(await statusOf(h, 'wait@example.com')).toBe('active');
    expect(await statusOf(h, 'new@example.com')).toBe('active');
  });
});

describe('a reader acting while the import runs', () => {
  /** The store as the import sees it, with `meanwhile` run for each address right after the import looked them up. */
  function racing(h: H, meanwhile: (email: string) => Promise<void>) {
    const store = new Proxy(h.store, {
      get(target, prop, receiver) {
        if (prop === 'subscribersByEmails') {
          return async (emails: string[]) => {
            const seen = await target.subscribersByEmails(emails);
            for (const email of emails) await meanwhile(email);
            return seen;
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    return { store, now: h.now };
  }

  it('an unsubscribe between the import reading and writing an address is never undone', async () => {
    const h = await herald();
    const ids = await seed(h, [
      ['pending@example.com', 'pending'],
      ['active@example.com', 'active'],
    ]);
    const r = await importSubscribersCsv(
      racing(h, async (email) => void (await h.store.unsubscribe(ids[email]!, now, { source: 'link' }))),
      'email,name\npending@example.com,P\nactive@example.com,A\n',
    );
    expect(r.invalid).toEqual([]);
    expect(await statusOf(h, 'pending@example.com')).toBe('unsubscribed');
    expect(await statusOf(h, 'active@example.com')).toBe('unsubscribed');
  });

  it('an address that signs up between the lookup and the write is updated, not duplicated, and counted once', async () => {
    const h = await herald();
    const r = await importSubscribersCsv(
      racing(h, async (email) => void (await h.store.upsertSubscriber({ email, status: 'pending' }, now))),
      'email\nnew@example.com\n',
    );
    expect(r).toMatchObject({ added: 0, updated: 1 });
    expect(await statusOf(h, 'new@example.com')).toBe('active');
  });
});
