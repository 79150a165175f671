/**
 * `herald store migrate --from … --to …`: copies a whole store from one engine to the other
 * (SQLite → PostgreSQL to outgrow one machine, or back). Every table both schemas know is
 * copied row for row with its ids, so subscribers keep their tokens (unsubscribe links in
 * emails already sent keep working), deliveries their statuses and Message-IDs, and id
 * counters carry over (an id is never handed out twice). Counts are compared table by table
 * afterwards. A target that holds anything is refused unless `force`, which empties it first.
 */
import type Database from 'better-sqlite3';
import type postgres from 'postgres';
import { openStoreUrl, storeEngine } from './open.ts';
import type { PostgresStore } from './postgres/pg-store.ts';
import type { SqliteStore } from './sqlite/sqlite-store.ts';

type Row = Record<string, unknown>;

/** Parents before children (foreign keys); tables added later by other migrations follow in name order. */
const ORDER = [
  'articles',
  'channels',
  'digests',
  'decisions',
  'subscribers',
  'deliveries',
  'approvals',
  'approval_events',
  'chat_updates',
  'chat_actions',
  'subscriber_events',
  'resubscribe_requests',
  'confirmation_sends',
  'bounce_events',
  'post_revisions',
];
/** Not data: each engine's own bookkeeping, and what only lives while processes run. */
const SKIP = new Set(['schema_migrations', 'sqlite_sequence', 'heartbeats', 'web_sessions', 'rate_hits', 'pacing']);
/** Columns one engine has and the other need not (PostgreSQL gives confirmation_sends an id; SQLite uses its rowid). */
const OPTIONAL_COLUMNS = new Set(['confirmation_sends.id']);
const PAGE = 2000;

interface Side {
  label: string;
  tables(): Promise<string[]>;
  /** Column name → whether it is boolean. */
  columns(table: string): Promise<Map<string, boolean>>;
  count(table: string): Promise<number>;
  /** Rows in pages, in a stable order. */
  pages(table: string): AsyncIterable<Row[]>;
  insert(table: string, rows: Row[]): Promise<void>;
  /** The id counter of a table with generated ids (the highest id ever handed out). */
  counter(table: string): Promise<number | undefined>;
  setCounter(table: string, value: number): Promise<void>;
  empty(tables: string[]): Promise<void>;
  /** Runs the writes in one transaction. */
  atomically(fn: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

function sqliteSide(store: SqliteStore, label: string): Side {
  const db: Database.Database = store.db;
  const hasId = (table: string) => (db.prepare(`PRAGMA table_info(${table})`).all() as Row[]).some((c) => c.name === 'id' && c.pk === 1);
  return {
    label,
    async tables() {
      return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[]).filter((t) => !SKIP.has(t));
    },
    async columns(table) {
      return new Map((db.prepare(`PRAGMA table_info(${table})`).all() as Row[]).map((c) => [c.name as string, false]));
    },
    async count(table) {
      return db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
    },
    async *pages(table) {
      let page: Row[] = [];
      for (const r of db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).iterate() as Iterable<Row>) {
        page.push(r);
        if (page.length >= PAGE) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      const cols = Object.keys(rows[0] as Row);
      const st = db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`);
      for (const r of rows) st.run(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 1 : 0) : v])));
    },
    async counter(table) {
      if (!hasId(table)) return undefined;
      const seq = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(table) as number | undefined;
      const max = db.prepare(`SELECT MAX(id) FROM ${table}`).pluck().get() as number | null;
      return Math.max(seq ?? 0, max ?? 0);
    },
    async setCounter(table, value) {
      if (!hasId(table)) return;
      db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(table);
      if (value > 0) db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table, value);
    },
    async empty(tables) {
      for (const t of [...tables].reverse()) db.prepare(`DELETE FROM ${t}`).run();
      db.prepare(`DELETE FROM sqlite_sequence WHERE name IN (${tables.map(() => '?').join(', ')})`).run(...tables);
    },
    async atomically(fn) {
      db.exec('BEGIN IMMEDIATE');
      try {
        await fn();
        db.exec('COMMIT');
      } catch (e) {
        db.exec('ROLLBACK');
        throw e;
      }
    },
    close: () => store.close(),
  };
}

function postgresSide(store: PostgresStore, label: string): Side {
  let q: postgres.ISql = store.sql;
  const seqOf = async (table: string) => {
    const [r] = await q`SELECT pg_get_serial_sequence(${table}, 'id') AS s`.catch(() => [undefined]);
    return (r?.s as string | null | undefined) ?? undefined;
  };
  return {
    label,
    async tables() {
      const rows = await q`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`;
      return rows.map((r) => r.table_name as string).filter((t) => !SKIP.has(t));
    },
    async columns(table) {
      const rows = await q`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${table}`;
      return new Map(rows.map((r) => [r.column_name as string, r.data_type === 'boolean']));
    },
    async count(table) {
      const [r] = await q`SELECT COUNT(*) AS n FROM ${q(table)}`;
      return r?.n as number;
    },
    async *pages(table) {
      const [id] = await q`SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${table} AND column_name = 'id'`;
      // Keyset pages by a numeric id; otherwise (text ids, small tables) all at once in a stable order.
      if (id?.data_type !== 'bigint' && id?.data_type !== 'integer') {
        yield [...(await q`SELECT * FROM ${q(table)} ORDER BY 1, 2`)];
        return;
      }
      for (let after = 0; ; ) {
        const rows = await q`SELECT * FROM ${q(table)} WHERE id > ${after} ORDER BY id LIMIT ${PAGE}`;
        if (rows.length === 0) return;
        yield [...rows];
        after = rows[rows.length - 1]?.id as number;
      }
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      const cols = Object.keys(rows[0] as Row);
      await q`INSERT INTO ${q(table)} ${q(rows as Record<string, postgres.ParameterOrJSON<never>>[], cols)}`;
    },
    async counter(table) {
      const seq = await seqOf(table);
      if (!seq) return undefined;
      const [r] = await q.unsafe(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS v FROM ${seq}`);
      const [m] = await q`SELECT COALESCE(MAX(id), 0) AS n FROM ${q(table)}`;
      return Math.max(Number(r?.v ?? 0), Number(m?.n ?? 0));
    },
    async setCounter(table, value) {
      const seq = await seqOf(table);
      if (!seq) return;
      if (value > 0) await q`SELECT setval(${seq}, ${value}, true)`;
    },
    async empty(tables) {
      await q.unsafe(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
    },
    async atomically(fn) {
      await store.sql.begin(async (tx) => {
        q = tx;
        try {
          await fn();
        } finally {
          q = store.sql;
        }
      });
    },
    close: () => store.close(),
  };
}

async function openSide(url: string): Promise<Side> {
  const store = await openStoreUrl(url);
  const label = url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  return storeEngine(url) === 'postgres' ? postgresSide(store as PostgresStore, label) : sqliteSide(store as SqliteStore, label);
}

export interface TransferResult {
  /** Rows copied per table (equal in source and target afterwards). */
  tables: Array<{ table: string; rows: number }>;
}

export class TransferError extends Error {
  override name = 'TransferError';
}

export async function transferStore(fromUrl: string, toUrl: string, opts: { force?: boolean } = {}): Promise<TransferResult> {
  if (fromUrl === toUrl) throw new TransferError('--from and --to are the same store');
  const from = await openSide(fromUrl);
  let to: Side | undefined;
  try {
    to = await openSide(toUrl);
    const sourceTables = await from.tables();
    const targetTables = new Set(await to.tables());
    const missing = sourceTables.filter((t) => !targetTables.has(t));
    if (missing.length > 0) throw new TransferError(`${to.label} has no table ${missing.join(', ')}: run a Herald that knows them against it first`);
    const tables = [...ORDER.filter((t) => sourceTables.includes(t)), ...sourceTables.filter((t) => !ORDER.includes(t)).sort()];
    const emptyTarget = [...ORDER.filter((t) => targetTables.has(t)), ...[...targetTables].filter((t) => !ORDER.includes(t)).sort()];

    const holding: string[] = [];
    for (const t of emptyTarget) if ((await to.count(t)) > 0) holding.push(t);
    if (holding.length > 0 && !opts.force) {
      throw new TransferError(`${to.label} is not empty (${holding.join(', ')} hold rows); add --force to replace what it holds`);
    }

    const target = to;
    const out: TransferResult = { tables: [] };
    await target.atomically(async () => {
      if (holding.length > 0) await target.empty(emptyTarget);
      for (const table of tables) {
        const have = await from.columns(table);
        const want = await target.columns(table);
        const unknown = [...have.keys()].filter((c) => !want.has(c) && !OPTIONAL_COLUMNS.has(`${table}.${c}`));
        if (unknown.length > 0) throw new TransferError(`${target.label}: table ${table} has no column ${unknown.join(', ')}`);
        const cols = [...have.keys()].filter((c) => want.has(c));
        let rows = 0;
        for await (const page of from.pages(table)) {
          const converted = page.map((r) =>
            Object.fromEntries(cols.map((c) => [c, want.get(c) ? r[c] === true || r[c] === 1 : typeof r[c] === 'boolean' ? (r[c] ? 1 : 0) : (r[c] ?? null)])),
          );
          await target.insert(table, converted);
          rows += page.length;
        }
        const counter = await from.counter(table);
        if (counter !== undefined) await target.setCounter(table, counter);
        out.tables.push({ table, rows });
      }
      // Verified inside the transaction: a difference rolls the whole copy back.
      for (const { table, rows } of out.tables) {
        const [a, b] = [await from.count(table), await target.count(table)];
        if (a !== rows || b !== rows) throw new TransferError(`${table}: ${a} row(s) in ${from.label} but ${b} copied to ${target.label}; nothing was changed`);
      }
    });
    return out;
  } finally {
    await from.close();
    await to?.close();
  }
}
