/** herald subscribers add | remove | list | import | export */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { act, EXIT, UsageError } from '../exit.ts';
import { type GlobalOptions, withHerald } from '../session.ts';

const emailSchema = z.email();

export function splitTopics(v: string | undefined, sep: string): string[] {
  return (v ?? '')
    .split(sep)
    .map((t) => t.trim())
    .filter(Boolean);
}

function checkEmail(v: string): string | undefined {
  const e = v.trim();
  return emailSchema.safeParse(e).success ? e : undefined;
}

export function registerSubscribersCommand(program: Command, g: () => GlobalOptions): void {
  const sub = program.command('subscribers').description('manage email subscribers');

  sub
    .command('add <email>')
    .description('add (or update) an active subscriber')
    .option('--name <name>', 'their name, used in the greeting')
    .option('--topics <list>', 'comma-separated topics; none = every article')
    .action(act(async (email: string, o: { name?: string; topics?: string }) =>
      withHerald(g(), async (h) => {
        const address = checkEmail(email);
        if (!address) throw new UsageError(`"${email}" is not a valid email address`);
        const { created, subscriber } = await h.store.upsertSubscriber(
          { email: address, name: o.name, topics: o.topics === undefined ? undefined : splitTopics(o.topics, ','), status: 'active' },
          h.now(),
        );
        console.log(`${created ? 'added' : 'updated'} ${subscriber.email}${subscriber.topics.length ? ` (topics: ${subscriber.topics.join(', ')})` : ' (all topics)'}`);
        return EXIT.ok;
      }),
    ));

  sub
    .command('remove <email>')
    .description('delete a subscriber (pending deliveries to them are cancelled)')
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
    .description('list subscribers')
    .option('--json', 'machine-readable output')
    .action(act(async (o: { json?: boolean }) =>
      withHerald(g(), async (h) => {
        const all = [];
        for (let after = 0; ; ) {
          const page = await h.store.subscribers({ afterId: after, limit: 1000 });
          if (page.length === 0) break;
          all.push(...page);
          after = page[page.length - 1]!.id;
        }
        const rows = all.map((s) => ({ email: s.email, name: s.name ?? null, topics: s.topics, status: s.status, createdAt: s.createdAt }));
        if (o.json) console.log(JSON.stringify(rows, null, 2));
        else {
          for (const r of rows) console.log(`${r.status.padEnd(12)} ${r.email}${r.name ? ` (${r.name})` : ''}${r.topics.length ? `  topics: ${r.topics.join(', ')}` : ''}`);
          console.log(`${rows.length} subscriber(s)`);
        }
        return EXIT.ok;
      }),
    ));

  sub
    .command('import <file>')
    .description('import a CSV with header email,name,topics (topics separated by ";"); existing addresses are updated')
    .action(act(async (file: string) =>
      withHerald(g(), async (h) => {
        let records: string[][];
        try {
          records = parseCsv(readFileSync(file), { bom: true, relax_column_count: true, skip_empty_lines: false }) as string[][];
        } catch (e) {
          throw new UsageError(`${file}: not a readable CSV file: ${(e as Error).message}`);
        }
        const header = (records[0] ?? []).map((c) => c.trim().toLowerCase());
        const col = (name: string) => header.indexOf(name);
        if (col('email') < 0) throw new UsageError(`${file}: line 1 must be a header with an "email" column (email,name,topics), got "${header.join(',')}"`);
        let added = 0;
        let updated = 0;
        let kept = 0;
        const bad: string[] = [];
        const now = h.now();
        for (let i = 1; i < records.length; i++) {
          const row = records[i] as string[];
          const line = i + 1; // the header is line 1
          if (row.every((c) => c.trim() === '')) continue;
          const raw = row[col('email')] ?? '';
          const email = checkEmail(raw);
          if (!email) {
            bad.push(`${file}:${line}: "${raw}" is not a valid email address; row skipped`);
            continue;
          }
          const name = col('name') >= 0 ? row[col('name')]?.trim() || undefined : undefined;
          const topics = col('topics') >= 0 ? splitTopics(row[col('topics')], ';') : undefined;
          // Someone who unsubscribed stays unsubscribed: an import never signs them up again.
          const existing = await h.store.getSubscriber(email);
          const status = !existing || existing.status === 'pending' ? 'active' : undefined;
          if (existing && status === undefined) kept++;
          const { created } = await h.store.upsertSubscriber({ email, name, topics, status }, now);
          if (created) added++;
          else updated++;
        }
        for (const b of bad) console.error(b);
        console.log(`imported ${added + updated} subscriber(s): ${added} added, ${updated} updated, ${bad.length} invalid row(s) skipped${kept ? `; ${kept} existing unsubscribed or bounced address(es) kept as they were` : ''}`);
        return bad.length > 0 ? EXIT.failed : EXIT.ok;
      }),
    ));

  sub
    .command('export')
    .description('write every subscriber as CSV to stdout (email,name,topics,status)')
    .action(act(async () =>
      withHerald(g(), async (h) => {
        process.stdout.write(stringify([['email', 'name', 'topics', 'status']]));
        for (let after = 0; ; ) {
          const page = await h.store.subscribers({ afterId: after, limit: 1000 });
          if (page.length === 0) break;
          process.stdout.write(stringify(page.map((s) => [s.email, s.name ?? '', s.topics.join(';'), s.status])));
          after = page[page.length - 1]!.id;
        }
        return EXIT.ok;
      }),
    ));
}
