/**
 * The store contract runs on every engine: `describe.each(ENGINES)` with an engine's
 * `open()` (a fresh, empty store; `open(other)` a second connection to the same one) and a
 * few raw-SQL helpers for what the contract cannot see.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/pg-store.ts';
import { openStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/types.ts';
import { dropSchemas, freshSchema, inSchema } from './pg.ts';

export interface Engine {
  name: 'sqlite' | 'postgres';
  /** A fresh empty store, or (given one) another connection to the same database. */
  open(same?: Store): Promise<Store>;
  /** The store.url that opens `s` again (for processes and commands). */
  url(s: Store): string;
  exec(s: Store, sql: string): Promise<void>;
  count(s: Store, table: string): Promise<number>;
  /** Closes the stores of this test (afterEach). */
  closeAll(): Promise<void>;
  /** Drops what the file made (afterAll). */
  dispose(): Promise<void>;
}

function sqliteEngine(): Engine {
  let open: SqliteStore[] = [];
  const db = (s: Store) => (s as SqliteStore).db;
  return {
    name: 'sqlite',
    async open(same) {
      const file = same ? (same as SqliteStore).file : path.join(mkdtempSync(path.join(tmpdir(), 'herald-store-')), 'h.db');
      const s = await openStore({ path: file });
      open.push(s);
      return s;
    },
    url: (s) => `sqlite:${(s as SqliteStore).file}`,
    async exec(s, sql) {
      db(s).exec(sql);
    },
    async count(s, table) {
      return db(s).prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
    },
    async closeAll() {
      for (const s of open.splice(0)) await s.close();
    },
    async dispose() {
      open = [];
    },
  };
}

function postgresEngine(): Engine {
  const open: PostgresStore[] = [];
  return {
    name: 'postgres',
    async open(same) {
      const url = same ? (same as PostgresStore).url : (await freshSchema('store')).url;
      const s = await openPostgresStore(url, { max: 4 });
      open.push(s);
      return s;
    },
    url: (s) => (s as PostgresStore).url,
    async exec(s, sql) {
      await inSchema((s as PostgresStore).url, sql);
    },
    async count(s, table) {
      const [r] = await inSchema<Array<{ n: string }>>((s as PostgresStore).url, `SELECT COUNT(*) AS n FROM ${table}`);
      return Number(r?.n);
    },
    async closeAll() {
      for (const s of open.splice(0)) await s.close();
    },
    dispose: dropSchemas,
  };
}

export const ENGINES: Engine[] = [sqliteEngine(), postgresEngine()];
