/** herald bounces [--json] | herald bounces fetch: the recorded bounces and complaints, and one read of the bounce mailbox. */
import type { Command } from 'commander';
import type { fetchBounces } from '../../bounces/mailbox.ts';
import type { BounceEvent } from '../../store/types.ts';
import { errorMessage } from '../../util/secrets.ts';
import { act, EXIT } from '../exit.ts';
import { type GlobalOptions, withHerald } from '../session.ts';

function describe(e: BounceEvent, email?: string): string {
  const who = e.recipient ?? email ?? (e.subscriberId === undefined ? '(no address)' : `subscriber #${e.subscriberId}`);
  const what = `${e.type}${e.code ? ` ${e.code}` : ''}`;
  const where = [e.channelId, e.deliveryId === undefined ? undefined : `delivery #${e.deliveryId}`].filter(Boolean).join(' ');
  const outcome = e.applied ? ` → ${e.applied}` : e.unmatched ? ` UNMATCHED: ${e.unmatched}` : '';
  return `${e.at}  ${e.source.padEnd(8)} ${what.padEnd(16)} ${who}${where ? ` (${where})` : ''}${outcome}${e.diagnostic ? `\n    ${e.diagnostic.slice(0, 300)}` : ''}`;
}

export function registerBouncesCommand(program: Command, g: () => GlobalOptions): void {
  const cmd = program
    .command('bounces')
    .description('every bounce, complaint and provider-reported unsubscribe recorded (newest first), matched or not')
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'at most this many (default 200)', '200')
    .action(
      act(async (o: { json?: boolean; limit: string }) =>
        withHerald(g(), async (h) => {
          const limit = Math.max(1, Math.min(100_000, Number.parseInt(o.limit, 10) || 200));
          const events = await h.store.bounceEvents({ limit });
          if (o.json) {
            console.log(JSON.stringify(events.map(({ id: _id, ...e }) => e), null, 2));
            return EXIT.ok;
          }
          for (const e of events) console.log(describe(e));
          const unmatched = events.filter((e) => e.unmatched).length;
          console.log(`${events.length} event(s)${unmatched ? `, ${unmatched} unmatched` : ''}`);
          return EXIT.ok;
        }),
      ),
    );

  cmd
    .command('fetch')
    .description('read the bounce mailbox (bounces.mailbox) once: record each report, move it to bounces.processed')
    .option('--json', 'machine-readable output')
    .action(
      act(async (o: { json?: boolean }) =>
        withHerald(g(), async (h) => {
          if (!h.config.bounces.mailbox) {
            console.error('herald: bounces.mailbox is not set in the config: there is no mailbox to fetch');
            return EXIT.usage;
          }
          let r: Awaited<ReturnType<typeof fetchBounces>>;
          try {
            // Loaded here: imapflow and mailparser would otherwise load with every command (--help included).
            const { fetchBounces: fetch } = await import('../../bounces/mailbox.ts');
            r = await fetch(h);
          } catch (e) {
            console.error(`herald: ${errorMessage(e)}`);
            return EXIT.failed;
          }
          if (o.json) console.log(JSON.stringify(r, null, 2));
          else {
            console.log(
              `read ${r.read} message(s): ${r.reports} report(s), ${r.recorded} event(s) recorded, ${r.suppressed} address(es) stopped, ${r.unmatched} unmatched; ${r.ignored} other message(s) left untouched`,
            );
            for (const p of r.problems) console.log(`  ${p}`);
          }
          return EXIT.ok;
        }),
      ),
    );
}
