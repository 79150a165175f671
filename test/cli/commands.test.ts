/** The editor's commands: send, preview, status, subscribers, and the daemon. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { herald, startHerald } from '../helpers/cli.ts';
import { makeSite, seedArticle, type TestSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

const T = '2025-07-02T09:00:00+08:00';
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

function eachSite(url: string, extra = ''): TestSite {
  const site = makeSite({
    channels: `  alerts:\n    type: email\n    smtp: "${url}"\n    from: "Alerts <alerts@example.com>"\n    mode: each\n    topics: [算力与芯片]\n${extra}`,
  });
  site.write('posts/chips.md', seedArticle({ title: '芯片新闻', date: '2025-07-02T08:00:00+08:00', slug: 'chips', topics: ['算力与芯片'] }));
  site.write('posts/sport.md', seedArticle({ title: '体育新闻', date: '2025-07-02T08:10:00+08:00', slug: 'sport', topics: ['体育'] }));
  return site;
}

describe('mode each and manual sends', () => {
  it('sends one email per matching article at once; `send` refuses a repeat unless --force', async () => {
    smtp = await startSmtpServer();
    const site = eachSite(smtp.url);
    await herald(['subscribers', 'add', 'Reader@Example.com', '--name', 'Reader', '--topics', '算力与芯片,体育'], { cwd: site.dir, env: site.env(T) });
    const r = await herald(['dispatch'], { cwd: site.dir, env: site.env(T) });
    expect(r.code).toBe(0);
    const [mail] = await smtp.parsed();
    expect(smtp.messages).toHaveLength(1); // the sport article does not match the channel
    expect(mail!.subject).toBe('芯片新闻');
    expect(mail!.messageId).toMatch(/^<herald\.alerts\.a\./);

    const again = await herald(['send', 'posts/chips', '--channel', 'alerts'], { cwd: site.dir, env: site.env(T) });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('posts/chips was already sent to alerts');
    const forced = await herald(['send', 'posts/chips.md', '--channel', 'alerts', '--force'], { cwd: site.dir, env: site.env(T) });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('alerts: 1 sent');
    expect(smtp.messages).toHaveLength(2);

    const missing = await herald(['send', 'nope', '--channel', 'alerts'], { cwd: site.dir, env: site.env(T) });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no article "nope"');
  });

  it('a manual send of an article waiting for a digest takes it out of the digest', async () => {
    smtp = await startSmtpServer();
    const site = makeSite({ channels: `  news:\n    type: email\n    smtp: "${smtp.url}"\n    from: "N <n@example.com>"\n    schedule: "0 8 * * *"\n` });
    site.write('a.md', '---\ntitle: Waiting one\ndate: 2025-07-02T08:30:00+08:00\n---\n\nx\n');
    site.write('b.md', '---\ntitle: Other one\ndate: 2025-07-02T08:40:00+08:00\n---\n\nx\n');
    await herald(['subscribers', 'add', 'r@example.com'], { cwd: site.dir, env: site.env(T) });
    await herald(['dispatch'], { cwd: site.dir, env: site.env(T) });
    expect((await herald(['send', 'a', '--channel', 'news'], { cwd: site.dir, env: site.env(T) })).code).toBe(0);
    await herald(['dispatch'], { cwd: site.dir, env: site.env('2025-07-03T08:05:00+08:00') });
    const mails = await smtp.parsed();
    expect(mails).toHaveLength(2);
    expect(mails[0]!.subject).toBe('Waiting one');
    expect(mails[1]!.html).toContain('Other one');
    expect(mails[1]!.html).not.toContain('Waiting one');
  });
});

describe('preview, status and dry runs', () => {
  it('preview writes the HTML to a file and prints its path; dry-run sends and records nothing', async () => {
    const site = makeSite({ channels: '  news:\n    type: email\n    from: "N <n@example.com>"\n    schedule: "0 8 * * *"\n' });
    site.write('posts/chips.md', seedArticle({ title: '芯片<新闻>', date: '2025-07-02T08:00:00+08:00', slug: 'chips', image: '/img/a b.jpg' }));
    const p = await herald(['preview', 'posts/chips', '--channel', 'news'], { cwd: site.dir, env: site.env(T) });
    expect(p.code).toBe(0);
    const file = p.stdout.trim().split('\n').pop()!;
    expect(existsSync(file)).toBe(true);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('芯片&lt;新闻&gt;');
    expect(html).toContain('https://news.example.com/img/a%20b.jpg');
    expect(html).toContain('Preview Reader');
    expect(html).not.toContain('%%HERALD_');
    const eml = await simpleParser(readFileSync(file.replace(/\.html$/, '.eml')));
    expect(eml.subject).toBe('芯片<新闻>');

    const d = await herald(['preview', '--digest', 'news'], { cwd: site.dir, env: site.env(T) });
    expect(d.code).toBe(0);
    expect(readFileSync(d.stdout.trim().split('\n').pop()!, 'utf8')).toContain('芯片&lt;新闻&gt;');

    const dry = await herald(['dispatch', '--dry-run'], { cwd: site.dir, env: site.env(T) });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('news: first run; 1 due (posts/chips)');
    const status = JSON.parse((await herald(['status', '--json'], { cwd: site.dir, env: site.env(T) })).stdout);
    expect(status.channels[0]).toMatchObject({ id: 'news', preview: true, deliveries: { sent: 0, pending: 0 } });
    expect(status.channels[0].firstRunAt).toBeUndefined(); // the dry run wrote nothing
  });

  it('preview mode writes .eml and .html to outbox/<channel>/ and says so once', async () => {
    const site = eachSite('');
    await herald(['subscribers', 'add', 'r@example.com'], { cwd: site.dir, env: site.env(T) });
    const r = await herald(['dispatch'], { cwd: site.dir, env: site.env(T) });
    expect(r.code).toBe(0);
    expect(r.stderr.match(/preview mode/g)).toHaveLength(1);
    const dir = path.join(site.dir, 'outbox/alerts');
    const files = (await import('node:fs')).readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.html'))).toHaveLength(1);
    const html = readFileSync(path.join(dir, files.find((f) => f.endsWith('.html'))!), 'utf8');
    expect(html).toContain('https://news.example.com/herald/unsubscribe/');
  });
});

describe('subscribers', () => {
  it('add, list, export, import updates without duplicates, remove', async () => {
    const site = makeSite({ channels: '  news: { type: email, from: "N <n@example.com>" }\n' });
    const env = site.env(T);
    expect((await herald(['subscribers', 'add', 'not-an-email'], { cwd: site.dir, env })).code).toBe(2);
    await herald(['subscribers', 'add', 'ada@example.com', '--name', 'Ada', '--topics', 'a,b'], { cwd: site.dir, env });
    const csv = path.join(site.dir, 'in.csv');
    writeFileSync(csv, 'email,name,topics\nADA@example.com,Ada L.,c;d\nlin@example.com,林,\n');
    const imp = await herald(['subscribers', 'import', csv], { cwd: site.dir, env });
    expect(imp.code).toBe(0);
    expect(imp.stdout).toContain('1 added, 1 updated, 0 invalid');
    const list = JSON.parse((await herald(['subscribers', 'list', '--json'], { cwd: site.dir, env })).stdout);
    expect(list).toEqual([
      expect.objectContaining({ email: 'ada@example.com', name: 'Ada L.', topics: ['c', 'd'], status: 'active' }),
      expect.objectContaining({ email: 'lin@example.com', name: '林', topics: [], status: 'active' }),
    ]);
    const exp = await herald(['subscribers', 'export'], { cwd: site.dir, env });
    expect(exp.stdout).toBe('email,name,topics,status\nada@example.com,Ada L.,c;d,active\nlin@example.com,林,,active\n');
    expect((await herald(['subscribers', 'remove', 'LIN@example.com'], { cwd: site.dir, env })).code).toBe(0);
    expect((await herald(['subscribers', 'remove', 'lin@example.com'], { cwd: site.dir, env })).code).toBe(1);
  });

  it('refuses a name with a control character in add and import, naming the option or the line', async () => {
    const site = makeSite({ channels: '  news: { type: email, from: "N <n@example.com>" }\n' });
    const env = site.env(T);
    const add = await herald(['subscribers', 'add', 'eve@example.com', '--name', 'Eve\r\nBcc: x@example.com'], { cwd: site.dir, env });
    expect(add.code).toBe(2);
    expect(add.stderr).toContain('--name: the name contains a control character');
    const csv = path.join(site.dir, 'names.csv');
    writeFileSync(csv, 'email,name\nok@example.com,Ok\nesc@example.com,"\u001b[2Jboo"\ntab@example.com,"a\tb"\n');
    const imp = await herald(['subscribers', 'import', csv], { cwd: site.dir, env });
    expect(imp.code).toBe(1);
    expect(imp.stderr).toContain(`${csv}:3: name "\\u001b[2Jboo" contains a control character`);
    expect(imp.stderr).toContain(`${csv}:4: name "a\\tb" contains a control character`);
    expect(imp.stdout).toContain('1 added, 0 updated, 2 invalid row(s) skipped');
    const list = JSON.parse((await herald(['subscribers', 'list', '--json'], { cwd: site.dir, env })).stdout) as Array<{ email: string }>;
    expect(list.map((r) => r.email)).toEqual(['ok@example.com']);
  });

  it('add never signs up again someone who unsubscribed; unsubscribe and history keep the consent record', async () => {
    const site = makeSite({ channels: '  news: { type: email, from: "N <n@example.com>" }\n' });
    const env = site.env(T);
    // Herald's clock starts at T and runs: every time is T plus a few seconds.
    const times = (text: string) => text.replace(/2025-07-02T01:0\d:\d\d\.\d{3}Z/g, '<t>');
    expect((await herald(['subscribers', 'add', 'ada@example.com', '--name', 'Ada'], { cwd: site.dir, env })).code).toBe(0);
    const unsub = await herald(['subscribers', 'unsubscribe', 'ADA@example.com'], { cwd: site.dir, env });
    expect(unsub.code).toBe(0);
    expect(unsub.stdout).toBe('unsubscribed ada@example.com\n');
    // Adding them again is refused, and says why.
    const again = await herald(['subscribers', 'add', 'ada@example.com', '--topics', 'x'], { cwd: site.dir, env });
    expect(again.code).toBe(1);
    expect(times(again.stderr)).toContain('ada@example.com unsubscribed on <t> (editor); Herald does not sign them up again.');
    const list = JSON.parse((await herald(['subscribers', 'list', '--json'], { cwd: site.dir, env })).stdout);
    expect(list).toEqual([expect.objectContaining({ email: 'ada@example.com', status: 'unsubscribed', unsubscribeSource: 'editor', topics: [] })]);
    expect((await herald(['subscribers', 'unsubscribe', 'nobody@example.com'], { cwd: site.dir, env })).code).toBe(1);

    const history = await herald(['subscribers', 'history', 'ada@example.com'], { cwd: site.dir, env });
    expect(history.code).toBe(0);
    expect(times(history.stdout)).toBe('ada@example.com: unsubscribed since <t> (editor)\n  <t>  created active  editor  cli\n  <t>  active → unsubscribed  editor  cli\n');
    const json = JSON.parse(times((await herald(['subscribers', 'history', 'ada@example.com', '--json'], { cwd: site.dir, env })).stdout));
    expect(json).toEqual({
      email: 'ada@example.com',
      status: 'unsubscribed',
      events: [
        { at: '<t>', to: 'active', source: 'editor', detail: 'cli' },
        { at: '<t>', from: 'active', to: 'unsubscribed', source: 'editor', detail: 'cli' },
      ],
    });
    const csv = path.join(site.dir, 'more.csv');
    writeFileSync(csv, 'email,name\nada@example.com,Ada\nlin@example.com,=Lin\n');
    await herald(['subscribers', 'import', csv], { cwd: site.dir, env });
    const all = await herald(['subscribers', 'history', '--all'], { cwd: site.dir, env });
    expect(times(all.stdout)).toBe(
      'at,email,from,to,source,ip,detail\n<t>,ada@example.com,,active,editor,,cli\n<t>,ada@example.com,active,unsubscribed,editor,,cli\n<t>,lin@example.com,,active,import,,"cli more.csv, line 3"\n',
    );
    expect((await herald(['subscribers', 'history'], { cwd: site.dir, env })).code).toBe(2);
    expect((await herald(['subscribers', 'history', 'nobody@example.com'], { cwd: site.dir, env })).code).toBe(1);
  });

  it('import honours a status column, counts only unsubscribed or bounced addresses as kept; export guards formulas', async () => {
    const site = makeSite({ channels: '  news: { type: email, from: "N <n@example.com>" }\n' });
    const env = site.env(T);
    await herald(['subscribers', 'add', 'bob@example.com', '--name', 'Bob'], { cwd: site.dir, env });
    const file = (name: string, text: string) => {
      writeFileSync(path.join(site.dir, name), text);
      return path.join(site.dir, name);
    };
    const active = await herald(['subscribers', 'import', file('active.csv', 'email\nbob@example.com\n')], { cwd: site.dir, env });
    expect(active.code).toBe(0);
    expect(active.stdout).toBe('imported 1 subscriber(s): 0 added, 1 updated, 0 invalid row(s) skipped\n');

    const statuses = file('statuses.csv', 'email,name,topics,status\nbob@example.com,Bob,,unsubscribed\nnew@example.com,=cmd(),,bounced\nx@example.com,,,nope\n');
    const imp = await herald(['subscribers', 'import', statuses], { cwd: site.dir, env });
    expect(imp.code).toBe(1);
    expect(imp.stderr).toContain(`${statuses}:4: "nope" is not a valid status (expected active, pending, unsubscribed, bounced or complained); row skipped`);
    expect(imp.stdout).toBe('imported 2 subscriber(s): 1 added, 1 updated, 1 invalid row(s) skipped\n');

    const again = await herald(['subscribers', 'import', file('again.csv', 'email,status\nbob@example.com,active\nnew@example.com,\n')], { cwd: site.dir, env });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('imported 2 subscriber(s): 0 added, 2 updated, 0 invalid row(s) skipped; 2 existing unsubscribed, bounced or complained address(es) kept as they were\n');

    const exp = await herald(['subscribers', 'export'], { cwd: site.dir, env });
    expect(exp.stdout).toBe("email,name,topics,status\nbob@example.com,Bob,,unsubscribed\nnew@example.com,'=cmd(),,bounced\n");
  });
});

describe('herald run', () => {
  it('sends at start, picks up a new file soon after it appears, sends a future-dated one at its time, stops cleanly on SIGINT', async () => {
    smtp = await startSmtpServer();
    const site = eachSite(smtp.url);
    await herald(['subscribers', 'add', 'r@example.com'], { cwd: site.dir, env: site.env() });
    // Real clock: articles dated "now" so they are due.
    const now = new Date().toISOString();
    site.write('posts/chips.md', seedArticle({ title: 'At start', date: now, slug: 'chips' }));
    // Due in 8 s: long before the next scan (5 minutes), so only the wake-up timer can send it.
    site.write('posts/soon.md', seedArticle({ title: 'Scheduled', date: new Date(Date.now() + 8000).toISOString(), slug: 'soon' }));
    const run = startHerald(['run'], { cwd: site.dir, env: site.env() });
    await smtp.waitForMessages(1, 30_000);
    site.write('posts/new.md', seedArticle({ title: 'Written later', date: now, slug: 'new' }));
    await smtp.waitForMessages(3, 30_000);
    run.child.kill('SIGINT');
    const done = await run.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toContain('stopped');
    const subjects = (await smtp.parsed()).map((m) => m.subject);
    expect(subjects).toEqual(['At start', 'Written later', 'Scheduled']);
  });
});
