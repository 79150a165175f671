/**
 * PostgreSQL for tests: the server on 127.0.0.1:5432 (user postgres, trust, database `test`),
 * or HERALD_TEST_PG. Every test store lives in a schema of its own, dropped when the file's
 * tests end. An unreachable server fails the tests (it never skips them).
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export const PG_URL = process.env.HERALD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

let admin: postgres.Sql | undefined;
const made: string[] = [];

function adminSql(): postgres.Sql {
  admin ??= postgres(PG_URL, { max: 2, onnotice: () => {}, connect_timeout: 5 });
  return admin;
}

/** A new empty schema; the URL that makes it the store's search_path. */
export async function freshSchema(label = 't'): Promise<{ schema: string; url: string }> {
  const schema = `herald_${label}_${randomBytes(5).toString('hex')}`;
  try {
    await adminSql().unsafe(`CREATE SCHEMA ${schema}`);
  } catch (e) {
    throw new Error(`PostgreSQL at ${PG_URL} is needed by these tests (start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start): ${(e as Error).message}`);
  }
  made.push(schema);
  return { schema, url: `${PG_URL}?search_path=${schema}` };
}

/** Raw SQL on a test schema (to look behind the store's back). */
export async function inSchema<T extends readonly object[] = postgres.Row[]>(url: string, query: string): Promise<T> {
  const schema = new URL(url).searchParams.get('search_path');
  return adminSql().begin(async (q) => {
    await q.unsafe(`SET LOCAL search_path TO ${schema}`);
    return (await q.unsafe(query)) as unknown as T;
  }) as Promise<T>;
}

/** Drops every schema this file made; call in afterAll. */
export async function dropSchemas(): Promise<void> {
  if (!admin) return;
  for (const s of made.splice(0)) await admin.unsafe(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await admin.end({ timeout: 5 });
  admin = undefined;
}
