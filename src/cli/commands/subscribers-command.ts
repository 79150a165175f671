/** herald subscribers add | remove | list | import | export */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkEmail, CsvImportError, describeInvalidRow, exportSubscribersCsv, importSubscribersCsv, siteLanguageCode, siteLanguageCodes, splitTopics } from '../../pipeline/subscriber-import.ts';
import { act, EXIT, UsageError } from '../exit.ts';
import { type GlobalOptions, withHerald } from '../session.ts';

export function registerSubscribersCommand(program: Command, g: () => GlobalOptions): void {
  const sub = program.command('subscribers').description('manage email subscribers');

  sub
    .command('add <email>')
    .description('add (or update) an active subscriber')
    .option('--name <name>', 'their name, used in the greeting')
    .option('--topics <list>', 'comma-separated topics; none = every article')
    .option('--language <code>', "the site language they read in (one of the site's language codes); default: the site's default")
    .action(act(async (email: string, o: { name?: string; topics?: string; language?: string }) =>
      withHerald(g(), async (h) => {
        const address = checkEmail(email);
        if (!address) throw new UsageError(`"${email}" is not a valid email address`);
        const language = o.language === undefined ? undefined : siteLanguageCode(h, o.language);
        if (o.language !== undefined && language === undefined) {
          throw new UsageError(`"${o.language}" is not a language of the site (it has ${siteLanguageCodes(h).join(', ')})`);
        }
        const { created, subscriber } = await h.store.upsertSubscriber(
          { email: address, name: o.name, topics: o.topics === undefined ? undefined : splitTopics(o.topics, ','), language, status: 'active' },
          h.now(),
        );
        console.log(
          `${created ? 'added' : 'updated'} ${subscriber.email}${subscriber.topics.length ? ` (topics: ${subscriber.topics.join(', ')})` : ' (all topics)'}${subscriber.language ? ` [${subscriber.language}]` : ''}`,
        );
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
        const rows = all.map((s) => ({ email: s.email, name: s.name ?? null, topics: s.topics, language: s.language ?? null, status: s.status, createdAt: s.createdAt }));
        if (o.json) console.log(JSON.stringify(rows, null, 2));
        else {
          for (const r of rows) {
            console.log(`${r.status.padEnd(12)} ${r.email}${r.name ? ` (${r.name})` : ''}${r.language ? ` [${r.language}]` : ''}${r.topics.length ? `  topics: ${r.topics.join(', ')}` : ''}`);
          }
          console.log(`${rows.length} subscriber(s)`);
        }
        return EXIT.ok;
      }),
    ));

  sub
    .command('import <file>')
    .description(
      'import a CSV with header email,name,topics[,status][,language] (topics separated by ";"); existing addresses are updated, an unsubscribed or bounced status is honoured, and no one who unsubscribed or bounced is signed up again',
    )
    .action(act(async (file: string) =>
      withHerald(g(), async (h) => {
        let text: Buffer;
        try {
          text = readFileSync(file);
        } catch (e) {
          throw new UsageError(`${file}: not a readable CSV file: ${(e as Error).message}`);
        }
        let result: Awaited<ReturnType<typeof importSubscribersCsv>>;
        try {
          result = await importSubscribersCsv(h, text);
        } catch (e) {
          if (e instanceof CsvImportError) throw new UsageError(`${file}: ${e.message}`);
          throw e;
        }
        const { added, updated, kept } = result;
        const bad = result.invalid.map((r) => `${file}:${r.line}: ${describeInvalidRow(r)}`);
        for (const b of bad) console.error(b);
        console.log(`imported ${added + updated} subscriber(s): ${added} added, ${updated} updated, ${bad.length} invalid row(s) skipped${kept ? `; ${kept} existing unsubscribed or bounced address(es) kept as they were` : ''}`);
        return bad.length > 0 ? EXIT.failed : EXIT.ok;
      }),
    ));

  sub
    .command('export')
    .description('write every subscriber as CSV to stdout (email,name,topics,status; and language on a multilingual site)')
    .action(act(async () =>
      withHerald(g(), async (h) => {
        await exportSubscribersCsv(h, (chunk) => process.stdout.write(chunk));
        return EXIT.ok;
      }),
    ));
}
