/** herald subscribers add | remove | unsubscribe | list | history | import | export */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { SUBSCRIBER_STATUSES } from '../../store/subscriber-status.ts';
import type { BounceEvent, Subscriber, SubscriberStatus } from '../../store/types.ts';
import { act, EXIT, UsageError } from '../exit.ts';
import { printJsonArray } from '../print-json.ts';
import { type GlobalOptions, withHerald } from '../session.ts';

/** What the commands run, loaded when one runs (`herald --help` loads none of it). */
const load = async () => ({
  ...(await import('../../pipeline/consent-export.ts')),
  ...(await import('../../pipeline/subscriber-import.ts')),
  ...(await import('../../pipeline/subscriber-name.ts')),
  ...(await import('../../store/subscriber-status.ts')),
  ...(await import('../progress.ts')),
});

export function registerSubscribersCommand(program: Command, g: () => GlobalOptions): void {
  const sub = program.command('subscribers').description('manage email subscribers');

  sub
    .command('add <email>')
    .description('add (or update) an active subscriber; never one who unsubscribed, bounced or complained')
    .option('--name <name>', 'their name, used in the greeting')
    .option('--topics <list>', 'comma-separated topics; none = every article')
    .option('--language <code>', "the site language they read in (one of the site's language codes); default: the site's default")
    .action(act(async (email: string, o: { name?: string; topics?: string; language?: string }) =>
      withHerald(g(), async (h) => {
        const { checkEmail, siteLanguageCode, siteLanguageCodes, splitTopics, checkName, describeNameProblem, isSuppressed } = await load();
        const address = checkEmail(email);
        if (!address) throw new UsageError(`"${email}" is not a valid email address`);
        const name = checkName(o.name);
        if (!name.ok) throw new UsageError(`--name: the name ${describeNameProblem(name.problem)}`);
        const language = o.language === undefined ? undefined : siteLanguageCode(h, o.language);
        if (o.language !== undefined && language === undefined) {
          throw new UsageError(`"${o.language}" is not a language of the site (it has ${siteLanguageCodes(h).join(', ')})`);
        }
        const refuse = (s: Subscriber) => {
          console.error(`${suppressedLine(s)}; Herald does not sign them up again. They can sign up on the web page (double opt-in).`);
          return EXIT.failed;
        };
        const existing = await h.store.getSubscriber(address);
        if (existing && isSuppressed(existing.status)) return refuse(existing);
        const { created, subscriber } = await h.store.upsertSubscriber(
          { email: address, name: name.name, topics: o.topics === undefined ? undefined : splitTopics(o.topics, ','), language, status: 'active' },
          h.now(),
          { source: 'editor', detail: 'cli' },
        );
        // Unsubscribed in between: the store kept them so.
        if (isSuppressed(subscriber.status)) return refuse(subscriber);
        console.log(
          `${created ? 'added' : 'updated'} ${subscriber.email}${subscriber.topics.length ? ` (topics: ${subscriber.topics.join(', ')})` : ' (all topics)'}${subscriber.language ? ` [${subscriber.language}]` : ''}`,
        );
        return EXIT.ok;
      }),
    ));

  sub
    .command('unsubscribe <email>')
    .description('unsubscribe someone for them (recorded as the editor\'s); their pending deliveries are cancelled')
    .action(act(async (email: string) =>
      withHerald(g(), async (h) => {
        const { isSuppressed } = await load();
        const s = await h.store.getSubscriber(email);
        if (!s) {
          console.error(`no subscriber ${email}`);
          return EXIT.failed;
        }
        const r = await h.store.unsubscribe(s.id, h.now(), { source: 'editor', detail: 'cli' });
        if (isSuppressed(s.status)) console.log(`${suppressedLine(s)}; nothing changed`);
        else console.log(`unsubscribed ${s.email}${r && r.cancelled > 0 ? ` (${r.cancelled} pending deliveries cancelled)` : ''}`);
        return EXIT.ok;
      }),
    ));

  sub
    .command('remove <email>')
    .description('delete a subscriber and their consent history (pending deliveries to them are cancelled)')
    .action(act(async (email: string) =>
      withHerald(g(), async (h) => {
        if (await h.store.removeSubscriber(email)) {
          console.log(`removed ${email}`);
          return EXIT.ok;
        }
        console.error(`no subscriber ${email}`);
        return EXIT.failed;
      }),
    ));

  sub
    .command('list')
    .description('list subscribers (bounced and complained ones with the reason and date)')
    .option('--json', 'machine-readable output')
    .option('--status <status>', `only this status: ${SUBSCRIBER_STATUSES.join(', ')}`)
    .action(act(async (o: { json?: boolean; status?: string }) =>
      withHerald(g(), async (h) => {
        if (o.status !== undefined && !SUBSCRIBER_STATUSES.includes(o.status as SubscriberStatus)) {
          throw new UsageError(`--status: expected one of ${SUBSCRIBER_STATUSES.join(', ')}, got "${o.status}"`);
        }
        const status = o.status as SubscriberStatus | undefined;
        const all = [];
        for (let after = 0; ; ) {
          const page = await h.store.subscribers({ afterId: after, limit: 1000, ...(status ? { status } : {}) });
          if (page.length === 0) break;
          all.push(...page);
          after = page[page.length - 1]!.id;
        }
        // Why a bounced or complained address stopped: the report that stopped it.
        const reasons = new Map<number, BounceEvent>();
        for (const s of all) {
          if (s.status !== 'bounced' && s.status !== 'complained') continue;
          const events = await h.store.bounceEvents({ subscriberId: s.id, limit: 50 });
          const e = events.find((x) => x.applied === s.status) ?? events[0];
          if (e) reasons.set(s.id, e);
        }
        const rows = all.map((s) => ({
          email: s.email,
          name: s.name ?? null,
          topics: s.topics,
          language: s.language ?? null,
          status: s.status,
          createdAt: s.createdAt,
          confirmedAt: s.confirmedAt ?? null,
          unsubscribedAt: s.unsubscribedAt ?? null,
          unsubscribeSource: s.unsubscribeSource ?? null,
          ...(reasons.has(s.id) ? { reason: reasonOf(reasons.get(s.id) as BounceEvent) } : {}),
        }));
        if (o.json) printJsonArray(rows);
        else {
          for (const r of rows) {
            console.log(`${r.status.padEnd(12)} ${r.email}${r.name ? ` (${r.name})` : ''}${r.language ? ` [${r.language}]` : ''}${r.topics.length ? `  topics: ${r.topics.join(', ')}` : ''}`);
            if (r.reason) console.log(`             since ${r.unsubscribedAt ?? r.reason.at}: ${r.reason.text}`);
          }
          console.log(`${rows.length} subscriber(s)`);
        }
        return EXIT.ok;
      }),
    ));

  sub
    .command('history [email]')
    .description('consent records: every status change of one subscriber (when, from, to, source), or with --all of everyone as CSV')
    .option('--all', 'every subscriber\'s records, as CSV (at,email,from,to,source,ip,detail)')
    .option('--json', 'machine-readable output')
    .action(act(async (email: string | undefined, o: { all?: boolean; json?: boolean }) =>
      withHerald(g(), async (h) => {
        const { describeConsentEvent, exportConsentCsv } = await load();
        if (o.all) {
          if (email !== undefined) throw new UsageError('give an address or --all, not both');
          if (o.json) {
            const all = [];
            for (let after = 0; ; ) {
              const page = await h.store.consentEvents({ afterId: after, limit: 1000 });
              if (page.length === 0) break;
              all.push(...page);
              after = page[page.length - 1]!.id;
            }
            console.log(JSON.stringify(all.map(({ id: _id, subscriberId: _s, ...e }) => e), null, 2));
          } else await exportConsentCsv(h, (chunk) => process.stdout.write(chunk));
          return EXIT.ok;
        }
        if (email === undefined) throw new UsageError('give the subscriber\'s address, or --all');
        const s = await h.store.getSubscriber(email);
        if (!s) {
          console.error(`no subscriber ${email}`);
          return EXIT.failed;
        }
        const events = await h.store.consentHistory(s.id);
        if (o.json) console.log(JSON.stringify({ email: s.email, status: s.status, events: events.map(({ id: _id, subscriberId: _s, email: _e, ...e }) => e) }, null, 2));
        else {
          console.log(`${s.email}: ${s.status}${s.unsubscribedAt ? ` since ${s.unsubscribedAt}${s.unsubscribeSource ? ` (${s.unsubscribeSource})` : ''}` : ''}`);
          for (const e of events) console.log(`  ${describeConsentEvent(e)}`);
        }
        return EXIT.ok;
      }),
    ));

  sub
    .command('import <file>')
    .description(
      'import a CSV with header email,name,topics[,status][,language] (topics separated by ";"); existing addresses are updated, an unsubscribed, bounced or complained status is honoured, and no one who unsubscribed, bounced or complained is signed up again',
    )
    .action(act(async (file: string) =>
      withHerald(g(), async (h) => {
        const { CsvImportError, describeInvalidRow, importSubscribersCsv, logImportProgress, progressFor } = await load();
        let text: Buffer;
        try {
          text = readFileSync(file);
        } catch (e) {
          throw new UsageError(`${file}: not a readable CSV file: ${(e as Error).message}`);
        }
        let result: Awaited<ReturnType<typeof importSubscribersCsv>>;
        let bar: ReturnType<typeof progressFor> | undefined;
        const log = logImportProgress(h.log, `importing ${path.basename(file)}`);
        try {
          result = await importSubscribersCsv(h, text, {
            by: { source: 'import', detail: `cli ${path.basename(file)}` },
            onProgress: (p) => {
              bar ??= progressFor(p.total, 'importing');
              if (bar.shown) bar.update(p.done);
              else log(p);
            },
          });
        } catch (e) {
          if (e instanceof CsvImportError) throw new UsageError(`${file}: ${e.message}`);
          throw e;
        } finally {
          bar?.stop();
        }
        const { added, updated, kept } = result;
        const bad = result.invalid.map((r) => `${file}:${r.line}: ${describeInvalidRow(r)}`);
        for (const b of bad) console.error(b);
        console.log(`imported ${added + updated} subscriber(s): ${added} added, ${updated} updated, ${bad.length} invalid row(s) skipped${kept ? `; ${kept} existing unsubscribed, bounced or complained address(es) kept as they were` : ''}`);
        return bad.length > 0 ? EXIT.failed : EXIT.ok;
      }),
    ));

  sub
    .command('export')
    .description('write every subscriber as CSV to stdout (email,name,topics,status; and language on a multilingual site)')
    .action(act(async () =>
      withHerald(g(), async (h) => {
        const { exportSubscribersCsv } = await load();
        await exportSubscribersCsv(h, (chunk) => process.stdout.write(chunk));
        return EXIT.ok;
      }),
    ));
}

/** "x@example.com unsubscribed on 2025-07-02T… (one-click)". */
function suppressedLine(s: Subscriber): string {
  return `${s.email} ${s.status === 'bounced' ? 'bounced' : s.status === 'complained' ? 'complained (marked an email as spam)' : 'unsubscribed'}${s.unsubscribedAt ? ` on ${s.unsubscribedAt}` : ''}${s.unsubscribeSource ? ` (${s.unsubscribeSource})` : ''}`;
}

/** "hard bounce 5.1.1 via imap: 550 5.1.1 user unknown" */
function reasonOf(e: BounceEvent): { at: string; source: string; type: string; code: string | null; text: string } {
  const kind = e.type === 'complaint' ? 'complaint' : e.type === 'unsubscribe' ? 'unsubscribe' : `${e.type} bounce`;
  const text = `${kind}${e.code ? ` ${e.code}` : ''} via ${e.source}${e.diagnostic ? `: ${e.diagnostic.slice(0, 200)}` : ''}`;
  return { at: e.at, source: e.source, type: e.type, code: e.code ?? null, text };
}
