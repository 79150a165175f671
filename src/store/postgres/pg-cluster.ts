/**
 * The Cluster on PostgreSQL. Leadership is a session-level advisory lock held on a connection
 * of its own: when the leader dies its connection closes, the server frees the lock, and the
 * next process that asks (every couple of seconds) takes it. Wake-ups are LISTEN/NOTIFY on
 * `herald_work`; pacing budgets are a row per key whose next free slot each post takes in turn.
 */
import postgres from 'postgres';
import { type Cluster, type Leadership, PASS_REQUEST, type ProcessInfo, type SessionRecord } from '../cluster.ts';
import type { Names } from './keys.ts';

/** Heartbeat rows of processes silent this long are removed. */
const FORGET_AFTER_MS = 3_600_000;

export function createPgCluster(sql: postgres.Sql, url: string, names: () => Names): Cluster {
  const toInfo = (r: postgres.Row): ProcessInfo => ({
    process: r.process as string,
    host: r.host as string,
    pid: r.pid as number,
    role: r.role as string,
    leader: r.leader as boolean,
    startedAt: r.started_at as Date,
    seenAt: r.seen_at as Date,
    silentMs: Math.max(0, Math.round(r.age_ms as number)),
  });

  return {
    // Heartbeats are written and judged by the database's clock: machines whose clocks differ agree on who is silent.
    async heartbeat(p) {
      await sql`INSERT INTO heartbeats (process, host, pid, role, leader, started_at, seen_at)
        VALUES (${p.process}, ${p.host}, ${p.pid}, ${p.role}, ${p.leader}, ${p.startedAt}, now())
        ON CONFLICT (process) DO UPDATE SET role = excluded.role, leader = excluded.leader, seen_at = excluded.seen_at`;
      await sql`DELETE FROM heartbeats WHERE seen_at < now() - make_interval(secs => ${FORGET_AFTER_MS / 1000})`;
    },
    async processes() {
      return (await sql`SELECT *, (EXTRACT(EPOCH FROM now() - seen_at) * 1000)::float8 AS age_ms FROM heartbeats ORDER BY seen_at DESC, process`).map(toInfo);
    },
    async forget(process) {
      await sql`DELETE FROM heartbeats WHERE process = ${process}`;
    },
    leadership(): Leadership {
      // Its own connection, never shared: the lock lives exactly as long as this session.
      let conn: postgres.Sql | undefined;
      const [k1, k2] = names().locks.leader;
      return {
        async check() {
          try {
            conn ??= postgres(url, { max: 1, onnotice: () => {}, idle_timeout: 0, max_lifetime: null, connection: { application_name: 'herald-leader' } });
            // Held by this very session? (a reconnect after a network break would have lost it)
            const [held] = await conn`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = ${k1} AND objid = ${k2} AND objsubid = 2 AND pid = pg_backend_pid() AND granted`;
            if (held) return true;
            const [r] = await conn`SELECT pg_try_advisory_lock(${k1}, ${k2}) AS ok`;
            return r?.ok === true;
          } catch {
            // The connection broke: whatever it held is gone with it.
            const c = conn;
            conn = undefined;
            await c?.end({ timeout: 1 }).catch(() => undefined);
            return false;
          }
        },
        async release() {
          const c = conn;
          conn = undefined;
          if (!c) return;
          await c`SELECT pg_advisory_unlock(${k1}, ${k2})`.catch(() => undefined);
          await c.end({ timeout: 2 }).catch(() => undefined);
        },
      };
    },
    async onWork(listener) {
      const { unlisten } = await sql.listen(names().work, (payload) => listener(payload));
      return async () => {
        await unlisten().catch(() => undefined);
      };
    },
    async requestPass() {
      await sql`SELECT pg_notify(${names().work}, ${PASS_REQUEST})`;
    },
    async paceSlot(key, intervalMs, nowMs) {
      const [r] = await sql`INSERT INTO pacing (key, next_at) VALUES (${key}, ${nowMs + intervalMs})
        ON CONFLICT (key) DO UPDATE SET next_at = GREATEST(pacing.next_at, ${nowMs}) + ${intervalMs}
        RETURNING next_at`;
      return (r?.next_at as number) - intervalMs;
    },
    async holdPace(key, untilMs) {
      await sql`INSERT INTO pacing (key, next_at) VALUES (${key}, ${untilMs})
        ON CONFLICT (key) DO UPDATE SET next_at = GREATEST(pacing.next_at, ${untilMs})`;
    },
    async hit(key, windowMs, nowMs) {
      const [r] = await sql`INSERT INTO rate_hits (key, hits, reset_at) VALUES (${key}, 1, ${nowMs + windowMs})
        ON CONFLICT (key) DO UPDATE SET
          hits = CASE WHEN rate_hits.reset_at <= ${nowMs} THEN 1 ELSE rate_hits.hits + 1 END,
          reset_at = CASE WHEN rate_hits.reset_at <= ${nowMs} THEN ${nowMs + windowMs} ELSE rate_hits.reset_at END
        RETURNING hits, reset_at`;
      return { hits: r?.hits as number, resetAt: r?.reset_at as number };
    },
    async resetHits(key) {
      await sql`DELETE FROM rate_hits WHERE key = ${key}`;
    },
    sessions: {
      async put(s: SessionRecord) {
        await sql`INSERT INTO web_sessions (id, data, created_at, last_seen_at) VALUES (${s.id}, ${JSON.stringify(s.data)}, ${s.createdAt}, ${s.lastSeenAt})
          ON CONFLICT (id) DO UPDATE SET data = excluded.data, last_seen_at = excluded.last_seen_at`;
      },
      async get(id) {
        const [r] = await sql`SELECT * FROM web_sessions WHERE id = ${id}`;
        return r && { id, data: JSON.parse(r.data as string) as Record<string, unknown>, createdAt: r.created_at as number, lastSeenAt: r.last_seen_at as number };
      },
      async remove(id) {
        await sql`DELETE FROM web_sessions WHERE id = ${id}`;
      },
      async sweep(idleBefore, createdBefore) {
        await sql`DELETE FROM web_sessions WHERE last_seen_at < ${idleBefore} OR created_at < ${createdBefore}`;
      },
    },
  };
}
