/** herald store migrate: move the whole store to another engine (SQLite ↔ PostgreSQL). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { storeEngine } from '../../store/open.ts';
import { act, EXIT, UsageError } from '../exit.ts';
import type { GlobalOptions } from '../session.ts';

/** A sqlite: URL with its path made absolute (relative to the working directory, as a user typed it). */
function normalise(url: string, flag: string): string {
  if (storeEngine(url) === 'postgres') return url;
  if (!url.startsWith('sqlite:')) throw new UsageError(`${flag}: expected "sqlite:<path>" or "postgres://user@host:port/database", got "${url}"`);
  return `sqlite:${path.resolve(url.slice('sqlite:'.length))}`;
}

export function registerStoreCommands(program: Command, _g: () => GlobalOptions): void {
  const store = program.command('store').description('the store itself: move it to another engine');
  store
    .command('migrate')
    .description('copy everything (articles, deliveries with their states and Message-IDs, digests, subscribers with their tokens, approvals, …) from one store to another, then compare counts')
    .requiredOption('--from <url>', 'the store to copy: sqlite:<path> or postgres://…')
    .requiredOption('--to <url>', 'the store to fill: postgres://… or sqlite:<path>')
    .option('--force', 'empty the target first when it already holds data')
    .action(
      act(async (o: { from: string; to: string; force?: boolean }) => {
        const from = normalise(o.from, '--from');
        const to = normalise(o.to, '--to');
        if (storeEngine(from) === 'sqlite' && !existsSync(from.slice('sqlite:'.length))) throw new UsageError(`--from: no SQLite store at ${from.slice('sqlite:'.length)}`);
        const { transferStore, TransferError } = await import('../../store/transfer.ts');
        try {
          const r = await transferStore(from, to, { force: o.force });
          for (const t of r.tables) console.log(`${t.table}: ${t.rows} row(s)`);
          console.log(`copied ${r.tables.reduce((n, t) => n + t.rows, 0)} row(s) in ${r.tables.length} table(s); counts match. Set store.url to the new store before starting Herald again.`);
          return EXIT.ok;
        } catch (e) {
          if (e instanceof TransferError) {
            console.error(`herald store migrate: ${e.message}`);
            return EXIT.failed;
          }
          throw e;
        }
      }),
    );
}
