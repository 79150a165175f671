/**
 * The Store on PostgreSQL (postgres.js, pooled), for a list that outgrows one machine or several
 * Herald processes on one ledger. Same contract as the SQLite store (the store tests run on both);
 * organised like sqlite-store.ts, section for section, so a method added there has its place here.
 *
 * Where SQLite serialises writers with one write lock, this store says what it needs: claims skip
 * rows another process holds (FOR UPDATE SKIP LOCKED), checks-then-writes lock the row they check
 * (FOR UPDATE), inserts that may race use ON CONFLICT, and a scan takes a transaction advisory lock
 * so two processes never give one file two ids. Planning writes a page of deliveries per statement
 * (unnest) and locks what they name (subscribers, digests: the foreign keys' work, one statement
 * per page instead of a trigger query per row; migration 1003), and every commit that adds work
 * notifies `herald_work` (LISTEN/NOTIFY) so idle senders wake at once.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Article } from '../../content/article.ts';
import type { CachedPage } from '../../content/parse-cache.ts';
import { assignArticleIds, type IdentityRow, sourceKey } from '../article-ids.ts';
import { type Row, opt, summariesFrom, toApproval, toApprovalEvent, toBounceEvent, toConsentEvent, toDelivery, toDigest, toFanoutReader, toSubscriber, withRevisions } from '../rows.ts';
import { isSuppressed } from '../subscriber-status.ts';
import type {
  ChannelDeliverySummaries,
  Actor,
  Approval,
  ApprovalCardRef,
  ApprovalChange,
  ApprovalEvent,
  BounceEvent,
  BouncePolicy,
  BounceStats,
  ChannelPlan,
  ChannelState,
  ChatAction,
  ConfirmationLimits,
  ConfirmLink,
  ConfirmOutcome,
  ConsentContext,
  ConsentEvent,
  Decision,
  Delivery,
  DeliveryCounts,
  DeliverySummary,
  Digest,
  NewApproval,
  NewBounceEvent,
  NewRevision,
  PostRecord,
  PostRevision,
  PostShown,
  SignUpOutcome,
  StoredArticle,
  Store,
  Subscriber,
  SubscriberFanout,
  SubscriberStatus,
  SubscriberUpsert,
} from '../types.ts';
import { type Cluster, HEARTBEAT_DEAD_MS } from '../cluster.ts';
import { type Names, namesFor } from './keys.ts';
import { pgMigrations } from './migrations.ts';
import { createPgCluster } from './pg-cluster.ts';

/** A pool or a transaction: private helpers run in their caller's transaction. */
type Q = postgres.ISql;
const iso = (d: Date) => d.toISOString();

function toStoredArticle(r: Row): StoredArticle {
  return {
    article: JSON.parse(r.data as string) as Article,
    firstSeenAt: r.first_seen_at as string,
    lastSeenAt: r.last_seen_at as string,
    goneAt: opt(r.gone_at),
  };
}

function toChatAction(r: Row): ChatAction {
  return {
    id: r.id as number,
    kind: r.kind as string,
    data: JSON.parse(r.data as string) as Record<string, unknown>,
    createdAt: r.created_at as string,
    usedAt: opt(r.used_at),
    usedBy: opt(r.used_by),
  };
}

/** Subscribers read per page while fanning out, and deliveries written per statement. */
const FANOUT_PAGE = 10_000;

export interface PgStoreOptions {
  /** Pool size (default 10). */
  max?: number;
}

/** Opens a pool; bigint columns come back as numbers (ids stay far below 2^53). */
export function connect(url: string, opts: PgStoreOptions = {}): postgres.Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    // A database that does not answer is reported within seconds, not after the driver's 30.
    connect_timeout: 10,
    onnotice: () => {},
    transform: { undefined: null },
    types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
    connection: { application_name: 'herald' },
  }) as unknown as postgres.Sql;
}

/** The URL with any password hidden, for messages. */
export function showUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

export class PostgresStore implements Store {
  readonly sql: postgres.Sql;
  /** Heartbeats, leadership, wake-ups, pacing, sessions: what the processes on this database share. */
  readonly cluster: Cluster;

  constructor(
    readonly url: string,
    opts: PgStoreOptions = {},
  ) {
    this.sql = connect(url, opts);
    this.cluster = createPgCluster(this.sql, url, () => this.names);
  }

  private schemaNames: Names | undefined;

  /** Lock keys and the wake-up channel of this store's schema (known once migrate() ran). */
  get names(): Names {
    if (!this.schemaNames) throw new Error('the PostgreSQL store is used before migrate()');
    return this.schemaNames;
  }

  /** Typed array parameters (element types by oid): the driver cannot tell an all-null column's type. */
  private bigints(v: readonly (number | null)[]) {
    return this.sql.array(v as number[], 20);
  }

  private texts(v: readonly (string | null)[]) {
    return this.sql.array(v as string[], 25);
  }

  private tx<T>(fn: (q: Q) => Promise<T>): Promise<T> {
    return this.sql.begin((q) => fn(q)) as Promise<T>;
  }

  async migrate(): Promise<void> {
    const [{ schema }] = (await this.sql`SELECT current_schema() AS schema`) as unknown as [{ schema: string | null }];
    if (!schema) throw new Error('no schema to work in: the search_path names none that exists (create it first)');
    this.schemaNames = namesFor(schema);
    const [a, b] = this.names.locks.migrate;
    for (const m of pgMigrations) {
      await this.tx(async (q) => {
        // Processes starting at once queue here; each re-checks what is applied once it holds the lock.
        await q`SELECT pg_advisory_xact_lock(${a}, ${b})`;
        await q`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`;
        const done = await q`SELECT 1 FROM schema_migrations WHERE version = ${m.version}`;
        if (done.length > 0) return;
        await q.unsafe(m.sql);
        await q`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, ${m.name}, ${iso(new Date())})`;
      });
    }
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.sql`SELECT 1 AS ok`).length === 1;
    } catch {
      return false;
    }
  }

  // ── articles ──────────────────────────────────────────────────────────

  async syncArticles(articles: Article[], now: Date, defaultLanguage?: string): Promise<{ added: string[]; ids: Map<string, string> }> {
    const t = iso(now);
    const added: string[] = [];
    let ids = new Map<string, string>();
    await this.tx(async (q) => {
      // Identified under the scan lock, so two processes never give one file two ids.
      await q`SELECT pg_advisory_xact_lock(${this.names.locks.scan[0]}, ${this.names.locks.scan[1]})`;
      ids = await this.identify(q, articles, defaultLanguage);
      const rows = new Map((await q`SELECT id, data, source_key FROM articles`).map((r) => [r.id as string, r]));
      const current = new Set<string>();
      for (const scanned of articles) {
        const id = ids.get(scanned.id) ?? scanned.id;
        const a = id === scanned.id ? scanned : { ...scanned, id };
        current.add(id);
        const data = JSON.stringify(a);
        const key = sourceKey(a);
        const row = rows.get(id);
        if (!row) {
          await q`INSERT INTO articles (id, data, content_hash, first_seen_at, last_seen_at, source_key) VALUES (${id}, ${data}, ${a.contentHash}, ${t}, ${t}, ${key})`;
          added.push(id);
        } else if (row.data !== data || row.source_key !== key) {
          await q`UPDATE articles SET data = ${data}, content_hash = ${a.contentHash}, last_seen_at = ${t}, gone_at = NULL, source_key = ${key} WHERE id = ${id}`;
        } else await q`UPDATE articles SET last_seen_at = ${t}, gone_at = NULL WHERE id = ${id}`;
      }
      const gone = [...rows.values()].filter((r) => !current.has(r.id as string)).map((r) => r.id as string);
      if (gone.length > 0) await q`UPDATE articles SET gone_at = ${t} WHERE id = ANY(${this.texts(gone)}::text[]) AND gone_at IS NULL`;
    });
    return { added, ids };
  }

  async identifyArticles(articles: Array<Pick<Article, 'id' | 'file' | 'language'> & { url?: string }>, defaultLanguage?: string): Promise<Map<string, string>> {
    return this.identify(this.sql, articles, defaultLanguage);
  }

  /** The same matching as the SQLite store's identify (see Store.identifyArticles). */
  private async identify(q: Q, articles: Array<Pick<Article, 'id' | 'file' | 'language'> & { url?: string }>, defaultLanguage?: string): Promise<Map<string, string>> {
    const rows = await q`SELECT id, source_key,
        CASE WHEN source_key IS NULL THEN (data::jsonb)->>'file' END AS file,
        CASE WHEN source_key IS NULL THEN (data::jsonb)->>'url' END AS url FROM articles ORDER BY first_seen_at, id COLLATE "C"`;
    return assignArticleIds(rows as unknown as IdentityRow[], articles, defaultLanguage);
  }

  async getArticle(id: string): Promise<StoredArticle | undefined> {
    const [r] = await this.sql`SELECT * FROM articles WHERE id = ${id}`;
    return r && toStoredArticle(r);
  }

  async listArticles(): Promise<StoredArticle[]> {
    return (await this.sql`SELECT * FROM articles ORDER BY id COLLATE "C"`).map(toStoredArticle);
  }

  async parsedPages(): Promise<CachedPage[]> {
    return (await this.sql`SELECT * FROM parse_cache`).map((r) => ({
      path: r.path as string,
      size: Number(r.size),
      mtimeMs: Number(r.mtime_ms),
      hash: r.hash as string,
      key: r.parse_key as string,
      page: r.page as string,
    }));
  }

  async saveParsedPages(changed: CachedPage[], removed: string[]): Promise<void> {
    if (changed.length === 0 && removed.length === 0) return;
    await this.tx(async (q) => {
      // In slices: one statement per thousand pages keeps each parameter array moderate.
      for (let i = 0; i < changed.length; i += 1000) {
        const part = changed.slice(i, i + 1000);
        await q`
          INSERT INTO parse_cache (path, size, mtime_ms, hash, parse_key, page)
          SELECT * FROM unnest(${this.texts(part.map((c) => c.path))}::text[], ${this.bigints(part.map((c) => c.size))}::bigint[],
                               ${this.sql.array(part.map((c) => c.mtimeMs), 701)}::float8[], ${this.texts(part.map((c) => c.hash))}::text[],
                               ${this.texts(part.map((c) => c.key))}::text[], ${this.texts(part.map((c) => c.page))}::text[])
          ON CONFLICT (path) DO UPDATE SET size = EXCLUDED.size, mtime_ms = EXCLUDED.mtime_ms, hash = EXCLUDED.hash,
            parse_key = EXCLUDED.parse_key, page = EXCLUDED.page`;
      }
      if (removed.length > 0) await q`DELETE FROM parse_cache WHERE path = ANY(${this.texts(removed)}::text[])`;
    });
  }

  async scanSnapshotInputs(): Promise<{ id: string; inputs: Uint8Array } | undefined> {
    const [r] = await this.sql`SELECT id, inputs FROM scan_snapshot LIMIT 1`;
    return r && { id: r.id as string, inputs: r.inputs as Uint8Array };
  }

  async scanSnapshot(id: string): Promise<Uint8Array | undefined> {
    const [r] = await this.sql`SELECT result FROM scan_snapshot WHERE id = ${id}`;
    return r?.result as Uint8Array | undefined;
  }

  async saveScanSnapshot(snapshot: { id: string; inputs: Uint8Array; result: Uint8Array } | undefined): Promise<void> {
    await this.tx(async (q) => {
      await q`DELETE FROM scan_snapshot`;
      if (snapshot) await q`INSERT INTO scan_snapshot (id, inputs, result) VALUES (${snapshot.id}, ${snapshot.inputs}, ${snapshot.result})`;
    });
  }

  // ── channels, decisions, digests ──────────────────────────────────────

  async getChannel(id: string): Promise<ChannelState | undefined> {
    const [r] = await this.sql`SELECT * FROM channels WHERE id = ${id}`;
    return r && { id, firstRunAt: r.first_run_at as string, lastDigestAt: opt(r.last_digest_at) };
  }

  async setLastDigestAt(channelId: string, at: Date): Promise<void> {
    await this.sql`UPDATE channels SET last_digest_at = ${iso(at)} WHERE id = ${channelId}`;
  }

  async decisions(channelId: string): Promise<Map<string, Decision>> {
    const rows = await this.sql`SELECT * FROM decisions WHERE channel_id = ${channelId}`;
    return new Map(
      rows.map((r) => [
        r.article_id as string,
        { channelId, articleId: r.article_id as string, status: r.status as Decision['status'], digestId: opt(r.digest_id), decidedAt: r.decided_at as string },
      ]),
    );
  }

  async waitingArticles(channelId: string): Promise<string[]> {
    return (await this.sql`SELECT article_id FROM decisions WHERE channel_id = ${channelId} AND status = 'waiting' ORDER BY article_id COLLATE "C"`).map(
      (r) => r.article_id as string,
    );
  }

  /**
   * One transaction: all of a plan or none of it. It commits with the server's synchronous_commit
   * (normally on), on purpose: the WAL of a large plan is written while it runs, so the commit
   * waits for one flush of what is left (under 10 ms measured after a million deliveries), and
   * `off` would let a crash forget a plan `herald digest` had already reported as planned.
   */
  async applyPlan(plan: ChannelPlan, now: Date): Promise<{ planned: number }> {
    return this.tx(async (q) => ({ planned: await this.writePlan(q, plan, iso(now)) }));
  }

  /** One statement for many deliveries; returns how many were new. */
  private async insertDeliveries(
    q: Q,
    t: string,
    rows: Array<{
      dedupeKey: string;
      channelId: string;
      kind: string;
      articleId?: string | null;
      digestId?: number | null;
      subscriberId?: number | null;
      recipient: string;
      variant?: string | null;
      messageId?: string | null;
      manual?: boolean;
    }>,
  ): Promise<number> {
    if (rows.length === 0) return 0;
    const checks = [
      this.lockReferenced(q, 'subscribers', rows.map((r) => r.subscriberId ?? null)),
      this.lockReferenced(q, 'digests', rows.map((r) => r.digestId ?? null)),
    ];
    const text = (k: 'dedupeKey' | 'channelId' | 'kind' | 'articleId' | 'recipient' | 'variant' | 'messageId') => this.texts(rows.map((r) => r[k] ?? null));
    const ids = (k: 'digestId' | 'subscriberId') => this.bigints(rows.map((r) => r[k] ?? null));
    const r = await q`
      INSERT INTO deliveries (dedupe_key, channel_id, kind, article_id, digest_id, subscriber_id, recipient, variant, status, attempts, next_attempt_at, message_id, manual, created_at)
      SELECT k, c, kd, a, dg, s, rc, v, 'pending', 0, ${t}, m, mn, ${t}
      FROM unnest(${text('dedupeKey')}::text[], ${text('channelId')}::text[], ${text('kind')}::text[], ${text('articleId')}::text[],
                  ${ids('digestId')}::bigint[], ${ids('subscriberId')}::bigint[], ${text('recipient')}::text[], ${text('variant')}::text[],
                  ${text('messageId')}::text[], ${this.sql.array(rows.map((x) => x.manual === true), 16)}::boolean[]) AS v(k, c, kd, a, dg, s, rc, v, m, mn)
      ON CONFLICT (dedupe_key) DO NOTHING`;
    await Promise.all(checks);
    return r.count;
  }

  /**
   * What the foreign keys of deliveries did (migration 1003), for a set of rows at once: every
   * subscriber or digest named is locked FOR KEY SHARE until commit (so it cannot be deleted, nor
   * its id changed, under a delivery being written), and a missing one fails the transaction. One
   * statement for many ids instead of a trigger query per delivery.
   */
  private lockReferenced(q: Q, table: 'subscribers' | 'digests', ids: readonly (number | null)[]): Promise<void> {
    const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
    if (wanted.length === 0) return Promise.resolve();
    const locked =
      table === 'subscribers'
        ? q`SELECT count(*)::int AS n FROM (SELECT 1 FROM subscribers WHERE id = ANY(${this.bigints(wanted)}::bigint[]) FOR KEY SHARE) l`
        : q`SELECT count(*)::int AS n FROM (SELECT 1 FROM digests WHERE id = ANY(${this.bigints(wanted)}::bigint[]) FOR KEY SHARE) l`;
    const done = locked.then(([r]) => {
      if (r?.n !== wanted.length) throw new Error(`deliveries name ${wanted.length - (r?.n as number)} ${table === 'subscribers' ? 'subscriber(s)' : 'digest(s)'} that do not exist (removed meanwhile?): nothing was written`);
    });
    done.catch(() => undefined); // awaited by the caller; a failure is reported there, not as unhandled
    return done;
  }

  /** The body of applyPlan, inside its transaction; returns how many deliveries were written. */
  private async writePlan(q: Q, plan: ChannelPlan, t: string): Promise<number> {
    let planned = 0;
    if (plan.createChannelAt) await q`INSERT INTO channels (id, first_run_at) VALUES (${plan.channelId}, ${plan.createChannelAt}) ON CONFLICT (id) DO NOTHING`;
    for (const d of plan.decisions) {
      // Decisions are made once: a concurrent planner's decision is never overwritten,
      // except by an editor's manual send, which takes an article out of the digest queue.
      if (plan.overrideWaiting) {
        await q`INSERT INTO decisions (channel_id, article_id, status, digest_id, decided_at) VALUES (${plan.channelId}, ${d.articleId}, ${d.status}, ${d.digestId ?? null}, ${t})
          ON CONFLICT (channel_id, article_id) DO UPDATE SET status = excluded.status, digest_id = excluded.digest_id, decided_at = excluded.decided_at
          WHERE decisions.status IN ('waiting', 'baseline', 'too-old')`;
      } else {
        await q`INSERT INTO decisions (channel_id, article_id, status, digest_id, decided_at) VALUES (${plan.channelId}, ${d.articleId}, ${d.status}, ${d.digestId ?? null}, ${t})
          ON CONFLICT (channel_id, article_id) DO NOTHING`;
      }
    }
    for (const a of plan.approvals ?? []) await this.insertApproval(q, a, t);
    for (const id of plan.plannedApprovals ?? []) await q`UPDATE approvals SET planned_at = COALESCE(planned_at, ${t}) WHERE id = ${id}`;
    planned += await this.insertDeliveries(q, t, plan.deliveries);
    for (const f of plan.fanouts) planned += await this.fanout(q, f, t);
    // Sent at commit: idle senders wake for the new work.
    if (planned > 0) await q`SELECT pg_notify(${this.names.work}, ${plan.channelId})`;
    return planned;
  }

  /**
   * One delivery per active, unpaused reader the match accepts. Keyset pages of readers; each
   * page's deliveries in one statement (what is the same for all of them sent once, not per row),
   * its readers locked by the read itself, and the next page read while they run.
   */
  private async fanout(q: Q, f: SubscriberFanout, t: string): Promise<number> {
    // Each page's readers are locked as they are read (what deliveries' foreign key did, see
    // lockReferenced): a reader being removed meanwhile is waited for, then left out.
    const page = (after: number) =>
      q`SELECT id, public_id, email, topics, language, alerts FROM subscribers WHERE status = 'active' AND NOT paused AND id > ${after} ORDER BY id LIMIT ${FANOUT_PAGE} FOR KEY SHARE`;
    let planned = 0;
    let writing: Promise<number> = Promise.resolve(0);
    const checks: Promise<void>[] = [this.lockReferenced(q, 'digests', [f.digestId ?? null])];
    let next = page(0);
    for (;;) {
      const rows = await next;
      if (rows.length > 0 && rows.length === FANOUT_PAGE) next = page(rows[rows.length - 1]?.id as number);
      const keys: string[] = [];
      const ids: number[] = [];
      const recipients: string[] = [];
      const variants: string[] = [];
      const messageIds: string[] = [];
      for (const r of rows) {
        const s = toFanoutReader(r);
        const variant = f.match(s);
        if (variant === null) continue;
        keys.push(`${f.dedupePrefix}:${s.id}`);
        ids.push(s.id);
        recipients.push(s.email);
        variants.push(variant);
        messageIds.push(f.messageId(s));
      }
      planned += await writing;
      writing =
        keys.length === 0
          ? Promise.resolve(0)
          : q`INSERT INTO deliveries (dedupe_key, channel_id, kind, article_id, digest_id, subscriber_id, recipient, variant, status, attempts, next_attempt_at, message_id, manual, created_at)
              SELECT k, ${f.channelId}, ${f.kind}, ${f.articleId ?? null}, ${f.digestId ?? null}::bigint, s, rc, v, 'pending', 0, ${t}, m, FALSE, ${t}
              FROM unnest(${this.texts(keys)}::text[], ${this.bigints(ids)}::bigint[], ${this.texts(recipients)}::text[], ${this.texts(variants)}::text[], ${this.texts(messageIds)}::text[]) AS v(k, s, rc, v, m)
              ON CONFLICT (dedupe_key) DO NOTHING`.then((r) => r.count);
      writing.catch(() => undefined); // awaited below; a failure is reported there, not as unhandled
      if (rows.length < FANOUT_PAGE) break;
    }
    planned += await writing;
    await Promise.all(checks);
    return planned;
  }

  async createDigest(channelId: string, articleIds: string[], now: Date, shown?: Record<string, PostShown>): Promise<Digest | undefined> {
    const t = iso(now);
    return this.tx(async (q) => {
      const [{ id }] = (await q`INSERT INTO digests (channel_id, created_at, article_ids, status) VALUES (${channelId}, ${t}, ${JSON.stringify(articleIds)}, 'planning') RETURNING id`) as unknown as [
        { id: number },
      ];
      // Another process may have put some of them in its digest meanwhile: keep only what we took.
      const marked = new Set(
        (
          await q`UPDATE decisions SET status = 'planned', digest_id = ${id}, decided_at = ${t}
            WHERE channel_id = ${channelId} AND article_id = ANY(${this.texts(articleIds)}::text[]) AND status = 'waiting' RETURNING article_id`
        ).map((r) => r.article_id as string),
      );
      const taken = articleIds.filter((a) => marked.has(a));
      await q`UPDATE channels SET last_digest_at = ${t} WHERE id = ${channelId}`;
      if (taken.length === 0) {
        await q`DELETE FROM digests WHERE id = ${id}`;
        return undefined;
      }
      const kept = shown ? Object.fromEntries(taken.flatMap((a) => (shown[a] ? [[a, shown[a]]] : []))) : undefined;
      await q`UPDATE digests SET article_ids = ${JSON.stringify(taken)}, shown = ${kept ? JSON.stringify(kept) : null} WHERE id = ${id}`;
      return { id, channelId, createdAt: t, articleIds: taken, status: 'planning' as const, ...(kept ? { shown: kept } : {}) };
    });
  }

  async unfinishedDigests(channelId: string): Promise<Digest[]> {
    return (await this.sql`SELECT * FROM digests WHERE channel_id = ${channelId} AND status = 'planning' ORDER BY id`).map(toDigest);
  }

  async finishDigest(digestId: number): Promise<void> {
    await this.sql`UPDATE digests SET status = 'planned' WHERE id = ${digestId}`;
  }

  async getDigest(id: number): Promise<Digest | undefined> {
    const [r] = await this.sql`SELECT * FROM digests WHERE id = ${id}`;
    return r && toDigest(r);
  }

  // ── deliveries ────────────────────────────────────────────────────────

  async claim(channelId: string, claimant: string, now: Date, limit: number): Promise<Delivery[]> {
    const t = iso(now);
    // Rows another process is claiming right now are skipped, not waited for: no two ever hold one. The
    // choice is a materialized CTE, run once: as `id IN (SELECT … LIMIT n)` the planner may run the
    // subquery again per row, and with SKIP LOCKED each run picks other rows (far more than n).
    const rows = await this.sql`
      WITH chosen AS MATERIALIZED (
        SELECT id FROM deliveries WHERE channel_id = ${channelId} AND status = 'pending' AND next_attempt_at <= ${t}
        ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED
      )
      UPDATE deliveries d SET status = 'sending', claimed_by = ${claimant}, claimed_at = ${t}, attempts = d.attempts + 1
      FROM chosen WHERE d.id = chosen.id
      RETURNING d.*`;
    return rows.map(toDelivery).sort((a, b) => a.id - b.id);
  }

  async releaseStale(now: Date, leaseMs: number, isAlive: (claimant: string) => boolean): Promise<number> {
    const rows = await this.sql`SELECT id, claimed_by, claimed_at FROM deliveries WHERE status = 'sending'`;
    if (rows.length === 0) return 0;
    // A process on another machine is known dead when its heartbeat stopped (it wrote one), by the database's clock.
    const dead = new Set(
      (await this.sql`SELECT process FROM heartbeats WHERE seen_at < now() - make_interval(secs => ${HEARTBEAT_DEAD_MS / 1000})`).map((r) => r.process as string),
    );
    const processOf = (c: string) => c.split(':').slice(0, 3).join(':');
    const stale = rows
      .filter((r) => {
        const c = (r.claimed_by as string | null) ?? '';
        return !isAlive(c) || dead.has(processOf(c)) || now.getTime() - Date.parse(r.claimed_at as string) > leaseMs;
      })
      .map((r) => r.id as number);
    if (stale.length === 0) return 0;
    const r = await this.sql`UPDATE deliveries SET status = 'pending', claimed_by = NULL, last_error = 'interrupted while sending; resumed'
      WHERE id = ANY(${this.bigints(stale)}::bigint[]) AND status = 'sending'`;
    if (r.count > 0) await this.sql`SELECT pg_notify(${this.names.work}, '*')`;
    return stale.length;
  }

  async release(ids: number[], nextAttemptAt: Date, uncountAttempt: boolean): Promise<void> {
    if (ids.length === 0) return;
    await this.sql`UPDATE deliveries SET status = 'pending', claimed_by = NULL, next_attempt_at = ${iso(nextAttemptAt)}, attempts = attempts - ${uncountAttempt ? 1 : 0}
      WHERE id = ANY(${this.bigints(ids)}::bigint[]) AND status = 'sending'`;
  }

  async markSent(id: number, providerMessageId: string | undefined, now: Date): Promise<void> {
    await this.sql`UPDATE deliveries SET status = 'sent', provider_message_id = ${providerMessageId ?? null}, sent_at = ${iso(now)}, last_error = NULL, claimed_by = NULL WHERE id = ${id}`;
  }

  async markSentMany(items: Array<{ id: number; providerMessageId?: string; sentAt: Date }>): Promise<void> {
    if (items.length === 0) return;
    await this.sql`UPDATE deliveries d SET status = 'sent', provider_message_id = v.p, sent_at = v.t, last_error = NULL, claimed_by = NULL
      FROM unnest(${this.bigints(items.map((i) => i.id))}::bigint[], ${this.texts(items.map((i) => i.providerMessageId ?? null) as string[])}::text[], ${this.texts(items.map((i) => iso(i.sentAt)))}::text[]) AS v(id, p, t)
      WHERE d.id = v.id`;
  }

  async markRetry(id: number, error: string, nextAttemptAt: Date, countAttempt: boolean): Promise<void> {
    // A reader who stopped receiving email while this was in flight (a bounce of another email,
    // an unsubscribe) gets no retry: their pending deliveries were cancelled, and so is this one.
    // Their row is read under a share lock: a status change committing meanwhile is either seen
    // here or sees this row pending when it cancels.
    await this.tx(async (q) => {
      const [s] = await q`SELECT s.status, s.paused FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.id = ${id} FOR SHARE OF s`;
      const reachable = !s || (s.status === 'active' && s.paused !== true);
      const reason = reachable ? error : s?.status === 'active' ? 'paused' : (s?.status as string);
      await q`UPDATE deliveries SET status = ${reachable ? 'pending' : 'failed'}, last_error = ${reason}, next_attempt_at = ${iso(nextAttemptAt)},
        attempts = attempts - ${countAttempt ? 0 : 1}, claimed_by = NULL WHERE id = ${id}`;
    });
  }

  async markFailed(id: number, error: string, _now: Date): Promise<void> {
    await this.sql`UPDATE deliveries SET status = 'failed', last_error = ${error}, claimed_by = NULL WHERE id = ${id}`;
  }

  /** A retry must not undo an unsubscribe or a pause: those deliveries stay failed. */
  private reachable(q: Q) {
    return q`(subscriber_id IS NULL OR subscriber_id IN (SELECT id FROM subscribers WHERE status = 'active' AND NOT paused))`;
  }

  private channelIs(q: Q, channelId: string | undefined) {
    return channelId === undefined ? q`` : q`AND channel_id = ${channelId}`;
  }

  async resetFailed(channelId: string | undefined, now: Date): Promise<number> {
    const t = iso(now);
    const r = await this.sql`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ${t}
      WHERE status = 'failed' ${this.channelIs(this.sql, channelId)} AND ${this.reachable(this.sql)}`;
    if (r.count > 0) await this.sql`SELECT pg_notify(${this.names.work}, ${channelId ?? '*'})`;
    return r.count;
  }

  async retryNow(channelId: string | undefined, now: Date): Promise<{ failed: number; deferred: number }> {
    const t = iso(now);
    return this.tx(async (q) => {
      const failed = (
        await q`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ${t}
          WHERE status = 'failed' ${this.channelIs(q, channelId)} AND ${this.reachable(q)}`
      ).count;
      const deferred = (await q`UPDATE deliveries SET next_attempt_at = ${t} WHERE status = 'pending' AND next_attempt_at > ${t} ${this.channelIs(q, channelId)}`).count;
      if (failed + deferred > 0) await q`SELECT pg_notify(${this.names.work}, ${channelId ?? '*'})`;
      return { failed, deferred };
    });
  }

  async addRevision(r: NewRevision, now: Date, leaseMs = 5 * 60_000): Promise<number | undefined> {
    const t = iso(now);
    const insert = async (q: Q) => {
      const [row] = await q`INSERT INTO post_revisions (delivery_id, channel_id, article_id, action, shown, changes, message_id, result, reason, at)
        VALUES (${r.deliveryId}, ${r.channelId}, ${r.articleId ?? null}, ${r.action}, ${r.shown === undefined ? null : JSON.stringify(r.shown)},
                ${r.changes === undefined ? null : JSON.stringify(r.changes)}, ${r.messageId ?? null}, ${r.result}, ${r.reason ?? null}, ${t}) RETURNING id`;
      return row?.id as number;
    };
    if (r.result !== 'pending') return insert(this.sql);
    return this.tx(async (q): Promise<number | undefined> => {
      // The post's delivery row is the lock: of two processes claiming one post, the second waits
      // here and then sees the first's pending revision (each statement reads what is committed).
      await q`SELECT 1 FROM deliveries WHERE id = ${r.deliveryId} FOR NO KEY UPDATE`;
      const cutoff = iso(new Date(now.getTime() - leaseMs));
      const held = await q`SELECT 1 FROM post_revisions WHERE delivery_id = ${r.deliveryId} AND result = 'pending' AND at > ${cutoff} LIMIT 1`;
      if (held.length > 0) return undefined;
      await q`UPDATE post_revisions SET result = 'failed', reason = 'interrupted (the process stopped while changing the post)'
        WHERE delivery_id = ${r.deliveryId} AND result = 'pending'`;
      return insert(q);
    });
  }

  async finishRevision(
    id: number,
    o: Pick<PostRevision, 'result'> & Partial<Pick<PostRevision, 'reason' | 'shown' | 'messageId' | 'action'>>,
    now: Date,
  ): Promise<void> {
    await this.sql`UPDATE post_revisions SET result = ${o.result}, reason = ${o.reason ?? null}, shown = COALESCE(${o.shown === undefined ? null : JSON.stringify(o.shown)}::text, shown),
      message_id = COALESCE(${o.messageId ?? null}::text, message_id), action = COALESCE(${o.action ?? null}::text, action), at = ${iso(now)} WHERE id = ${id}`;
  }

  async postRecords(p: { channelId: string; sentSince?: string } | { articleId: string }): Promise<PostRecord[]> {
    const rows =
      'articleId' in p
        ? // A roundup names its articles in the variant (a JSON array); only those rows' variants are parsed.
          await this.sql`SELECT * FROM deliveries WHERE kind = 'post' AND subscriber_id IS NULL AND status = 'sent'
            AND (article_id = ${p.articleId} OR CASE WHEN article_id IS NULL AND variant LIKE '[%'
              THEN EXISTS (SELECT 1 FROM jsonb_array_elements_text(variant::jsonb) v(value) WHERE v.value = ${p.articleId}) ELSE FALSE END)
            ORDER BY id`
        : await this.sql`SELECT * FROM deliveries WHERE channel_id = ${p.channelId} AND kind = 'post' AND subscriber_id IS NULL AND status = 'sent'
            AND sent_at >= ${p.sentSince ?? ''} ORDER BY id`;
    if (rows.length === 0) return [];
    const revs = await this.sql`SELECT * FROM post_revisions WHERE delivery_id = ANY(${this.bigints(rows.map((r) => r.id as number))}::bigint[]) ORDER BY id`;
    return withRevisions(rows, revs);
  }

  async deliveriesForArticle(articleId: string): Promise<Delivery[]> {
    return (await this.sql`SELECT * FROM deliveries WHERE article_id = ${articleId} ORDER BY id`).map(toDelivery);
  }

  async subscribersReached(channelId: string, articleIds: string[]): Promise<Set<number>> {
    if (articleIds.length === 0) return new Set();
    const direct = await this.sql`SELECT DISTINCT subscriber_id FROM deliveries
      WHERE channel_id = ${channelId} AND subscriber_id IS NOT NULL AND article_id = ANY(${this.texts(articleIds)}::text[])`;
    // Digest deliveries name their articles in the variant; only the digests that held one are read.
    const viaDigest = await this.sql`SELECT DISTINCT d.subscriber_id FROM deliveries d
      WHERE d.channel_id = ${channelId} AND d.subscriber_id IS NOT NULL
        AND d.digest_id IN (SELECT digest_id FROM decisions WHERE channel_id = ${channelId} AND digest_id IS NOT NULL AND article_id = ANY(${this.texts(articleIds)}::text[]))
        AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(COALESCE(d.variant, (SELECT article_ids FROM digests WHERE id = d.digest_id))::jsonb) v(value)
                    WHERE v.value = ANY(${this.texts(articleIds)}::text[]))`;
    return new Set([...direct, ...viaDigest].map((r) => r.subscriber_id as number));
  }

  async deliverySummary(channelId: string, ref: { articleId?: string; digestId?: number }): Promise<DeliverySummary> {
    const where = ref.digestId !== undefined ? this.sql`channel_id = ${channelId} AND digest_id = ${ref.digestId}` : this.sql`channel_id = ${channelId} AND article_id = ${ref.articleId ?? null}`;
    const out: DeliverySummary = { pending: 0, sending: 0, sent: 0, failed: 0 };
    for (const r of await this.sql`SELECT status, COUNT(*) AS n FROM deliveries WHERE ${where} GROUP BY status`) out[r.status as Delivery['status']] = r.n as number;
    const [last] = await this.sql`SELECT sent_at, provider_message_id FROM deliveries WHERE ${where} AND status = 'sent' ORDER BY sent_at DESC, id DESC LIMIT 1`;
    if (last) {
      out.lastSentAt = last.sent_at as string;
      out.providerMessageId = opt(last.provider_message_id);
    }
    const [err] = await this.sql`SELECT last_error FROM deliveries WHERE ${where} AND status = 'failed' ORDER BY id DESC LIMIT 1`;
    if (err?.last_error) out.lastError = err.last_error as string;
    return out;
  }

  async deliverySummaries(channelId: string): Promise<ChannelDeliverySummaries> {
    const counts = await this.sql`SELECT article_id, digest_id, status, COUNT(*) AS n FROM deliveries WHERE channel_id = ${channelId} GROUP BY article_id, digest_id, status`;
    // Each group's latest, ordered as deliverySummary orders them.
    const sent = await this.sql`
      SELECT DISTINCT ON (article_id, digest_id) article_id, digest_id, sent_at, id, provider_message_id FROM deliveries
      WHERE channel_id = ${channelId} AND status = 'sent' ORDER BY article_id, digest_id, sent_at DESC, id DESC`;
    const failed = await this.sql`
      SELECT DISTINCT ON (article_id, digest_id) article_id, digest_id, id, last_error FROM deliveries
      WHERE channel_id = ${channelId} AND status = 'failed' ORDER BY article_id, digest_id, id DESC`;
    return summariesFrom(counts, sent, failed);
  }

  async counts(): Promise<DeliveryCounts[]> {
    const rows = await this.sql`SELECT channel_id, status, COUNT(*) AS n FROM deliveries GROUP BY channel_id, status`;
    const by = new Map<string, DeliveryCounts>();
    for (const r of rows) {
      const id = r.channel_id as string;
      const c = by.get(id) ?? { channelId: id, pending: 0, sending: 0, sent: 0, failed: 0 };
      c[r.status as Delivery['status']] = r.n as number;
      by.set(id, c);
    }
    return [...by.values()].sort((a, b) => a.channelId.localeCompare(b.channelId));
  }

  async recentFailures(limit: number): Promise<Delivery[]> {
    return (await this.sql`SELECT * FROM deliveries WHERE status = 'failed' ORDER BY id DESC LIMIT ${limit}`).map(toDelivery);
  }

  async recentDeliveries(opts: { status?: Delivery['status']; channelId?: string; limit: number }): Promise<Delivery[]> {
    const rows = await this.sql`SELECT * FROM deliveries
      WHERE TRUE ${opts.status ? this.sql`AND status = ${opts.status}` : this.sql``} ${this.channelIs(this.sql, opts.channelId)}
      ORDER BY id DESC LIMIT ${opts.limit}`;
    return rows.map(toDelivery);
  }

  async nextAttemptAt(channelId: string): Promise<string | undefined> {
    const [r] = await this.sql`SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE channel_id = ${channelId} AND status = 'pending'`;
    return opt(r?.t);
  }

  // ── approvals ─────────────────────────────────────────────────────────

  /** Approvals with their events (read in one query for all of them). */
  private async toApprovals(q: Q, rows: readonly Row[]): Promise<Approval[]> {
    if (rows.length === 0) return [];
    const events = new Map<number, ApprovalEvent[]>();
    for (const e of await q`SELECT * FROM approval_events WHERE approval_id = ANY(${this.bigints(rows.map((r) => r.id as number))}::bigint[]) ORDER BY id`) {
      const list = events.get(e.approval_id as number) ?? [];
      list.push(toApprovalEvent(e));
      events.set(e.approval_id as number, list);
    }
    return rows.map((r) => toApproval(r, events.get(r.id as number) ?? []));
  }

  private async approvalById(q: Q, id: number): Promise<Approval | undefined> {
    const [a] = await this.toApprovals(q, await q`SELECT * FROM approvals WHERE id = ${id}`);
    return a;
  }

  private async addEvent(q: Q, approvalId: number, t: string, action: ApprovalEvent['action'], actor: Actor): Promise<void> {
    await q`INSERT INTO approval_events (approval_id, at, action, actor, actor_id, via) VALUES (${approvalId}, ${t}, ${action}, ${actor.name}, ${actor.id ?? null}, ${actor.via})`;
  }

  /** Inside a transaction: the approval's id, created or existing. */
  private async insertApproval(q: Q, a: NewApproval, t: string): Promise<{ id: number; created: boolean }> {
    const ref = a.kind === 'post' ? a.articleId : a.scheduledAt;
    if (!ref) throw new Error(`an approval of kind ${a.kind} needs ${a.kind === 'post' ? 'articleId' : 'scheduledAt'}`);
    const [r] = await q`INSERT INTO approvals (channel_id, kind, ref, status, created_at, release_at, card_state)
      VALUES (${a.channelId}, ${a.kind}, ${ref}, ${a.status}, ${t}, ${a.releaseAt ?? null}, ${a.cards ? 'pending' : 'none'})
      ON CONFLICT (channel_id, kind, ref) DO NOTHING RETURNING id`;
    if (r) {
      await this.addEvent(q, r.id as number, t, a.action, a.actor);
      if (a.withdrawPending && a.kind === 'post') await this.withdrawPending(q, a.channelId, ref);
      return { id: r.id as number, created: true };
    }
    const [existing] = await q`SELECT id FROM approvals WHERE channel_id = ${a.channelId} AND kind = ${a.kind} AND ref = ${ref}`;
    return { id: existing?.id as number, created: false };
  }

  /** A held article's deliveries not yet claimed leave the ledger; releasing it plans them again (same keys). */
  private async withdrawPending(q: Q, channelId: string, articleId: string): Promise<void> {
    await q`DELETE FROM deliveries WHERE channel_id = ${channelId} AND article_id = ${articleId} AND kind = 'post' AND status = 'pending'`;
  }

  async createApproval(a: NewApproval, now: Date): Promise<{ approval: Approval; created: boolean }> {
    return this.tx(async (q) => {
      const { id, created } = await this.insertApproval(q, a, iso(now));
      return { approval: (await this.approvalById(q, id)) as Approval, created };
    });
  }

  async getApproval(id: number): Promise<Approval | undefined> {
    return this.approvalById(this.sql, id);
  }

  async findApproval(channelId: string, kind: 'post' | 'digest', ref: string): Promise<Approval | undefined> {
    const [a] = await this.toApprovals(this.sql, await this.sql`SELECT * FROM approvals WHERE channel_id = ${channelId} AND kind = ${kind} AND ref = ${ref}`);
    return a;
  }

  async postApprovals(channelId: string): Promise<Map<string, Approval>> {
    const list = await this.toApprovals(this.sql, await this.sql`SELECT * FROM approvals WHERE channel_id = ${channelId} AND kind = 'post'`);
    return new Map(list.map((a) => [a.articleId as string, a]));
  }

  async approvalsForArticle(articleId: string): Promise<Approval[]> {
    return this.toApprovals(this.sql, await this.sql`SELECT * FROM approvals WHERE kind = 'post' AND ref = ${articleId} ORDER BY id`);
  }

  async openApprovals(): Promise<Approval[]> {
    return this.toApprovals(this.sql, await this.sql`SELECT * FROM approvals WHERE status IN ('awaiting', 'held') ORDER BY id`);
  }

  async decideApproval(id: number, change: ApprovalChange, now: Date): Promise<Approval | undefined> {
    const t = iso(now);
    return this.tx(async (q) => {
      // The row is locked until commit: of two decisions at once, the second sees the first's status.
      const [row] = await q`SELECT * FROM approvals WHERE id = ${id} FOR UPDATE`;
      if (!row || !change.from.includes(row.status as Approval['status'])) return undefined;
      await q`UPDATE approvals SET status = ${change.to} WHERE id = ${id}`;
      await this.addEvent(q, id, t, change.action, change.actor);
      if (change.withdrawPending && row.kind === 'post') await this.withdrawPending(q, row.channel_id as string, row.ref as string);
      if (change.plan) await this.writePlan(q, { ...change.plan, plannedApprovals: [...(change.plan.plannedApprovals ?? []), id] }, t);
      return this.approvalById(q, id);
    });
  }

  async markApprovalPlanned(id: number, now: Date, digestId?: number): Promise<void> {
    await this.sql`UPDATE approvals SET planned_at = COALESCE(planned_at, ${iso(now)}), digest_id = COALESCE(${digestId ?? null}::bigint, digest_id) WHERE id = ${id}`;
  }

  async dueApprovals(now: Date): Promise<Approval[]> {
    return this.toApprovals(
      this.sql,
      await this.sql`SELECT * FROM approvals WHERE status = 'awaiting' AND release_at IS NOT NULL AND release_at <= ${iso(now)} ORDER BY release_at, id`,
    );
  }

  async releasedUnplanned(channelId: string): Promise<Approval[]> {
    return this.toApprovals(
      this.sql,
      await this.sql`SELECT * FROM approvals WHERE channel_id = ${channelId} AND kind = 'post' AND status = 'released' AND planned_at IS NULL ORDER BY id`,
    );
  }

  async nextReleaseAt(): Promise<string | undefined> {
    const [r] = await this.sql`SELECT MIN(release_at) AS t FROM approvals WHERE status = 'awaiting' AND release_at IS NOT NULL`;
    return opt(r?.t);
  }

  async claimApprovalCards(now: Date, leaseMs: number): Promise<Approval[]> {
    const t = iso(now);
    const stale = iso(new Date(now.getTime() - leaseMs));
    const rows = await this.sql`
      WITH chosen AS MATERIALIZED (
        SELECT id FROM approvals WHERE card_state = 'pending' OR (card_state = 'posting' AND card_claimed_at < ${stale}) FOR UPDATE SKIP LOCKED
      )
      UPDATE approvals a SET card_state = 'posting', card_claimed_at = ${t} FROM chosen WHERE a.id = chosen.id
      RETURNING a.*`;
    return (await this.toApprovals(this.sql, rows)).sort((a, b) => a.id - b.id);
  }

  async setApprovalCards(id: number, cards: ApprovalCardRef[], state: 'posted' | 'pending', now: Date): Promise<void> {
    await this.sql`UPDATE approvals SET cards = ${JSON.stringify(cards)}, card_state = ${state}, card_claimed_at = NULL, cards_signed_at = ${state === 'posted' ? iso(now) : null} WHERE id = ${id}`;
  }

  async touchApprovalCards(id: number, now: Date): Promise<void> {
    await this.sql`UPDATE approvals SET cards_signed_at = ${iso(now)} WHERE id = ${id}`;
  }

  async staleApprovalCards(before: Date): Promise<Approval[]> {
    return this.toApprovals(
      this.sql,
      await this.sql`SELECT * FROM approvals WHERE status IN ('awaiting', 'held') AND card_state = 'posted' AND cards_signed_at < ${iso(before)} ORDER BY id`,
    );
  }

  // ── editors' chats ────────────────────────────────────────────────────

  async takeChatUpdate(source: string, updateId: number, body: unknown, now: Date): Promise<boolean> {
    const r = await this.sql`INSERT INTO chat_updates (source, update_id, body, taken_at) VALUES (${source}, ${updateId}, ${JSON.stringify(body)}, ${iso(now)})
      ON CONFLICT (source, update_id) DO NOTHING`;
    return r.count === 1;
  }

  async finishChatUpdate(source: string, updateId: number, now: Date): Promise<void> {
    await this.sql`UPDATE chat_updates SET done_at = ${iso(now)} WHERE source = ${source} AND update_id = ${updateId}`;
  }

  async unfinishedChatUpdates(source: string): Promise<Array<{ updateId: number; body: unknown }>> {
    const rows = await this.sql`SELECT update_id, body FROM chat_updates WHERE source = ${source} AND done_at IS NULL ORDER BY update_id`;
    return rows.map((r) => ({ updateId: r.update_id as number, body: JSON.parse(r.body as string) as unknown }));
  }

  async chatCursor(source: string): Promise<number | undefined> {
    const [r] = await this.sql`SELECT MAX(update_id) AS m FROM chat_updates WHERE source = ${source}`;
    return typeof r?.m === 'number' ? r.m + 1 : undefined;
  }

  async pruneChatUpdates(source: string, before: Date): Promise<void> {
    // The newest stays, whatever its age: it carries the offset.
    await this.sql`DELETE FROM chat_updates WHERE source = ${source} AND done_at IS NOT NULL AND taken_at < ${iso(before)}
      AND update_id < (SELECT MAX(update_id) FROM chat_updates WHERE source = ${source})`;
  }

  async createChatAction(kind: string, data: Record<string, unknown>, now: Date): Promise<number> {
    const [r] = await this.sql`INSERT INTO chat_actions (kind, data, created_at) VALUES (${kind}, ${JSON.stringify(data)}, ${iso(now)}) RETURNING id`;
    return r?.id as number;
  }

  async getChatAction(id: number): Promise<ChatAction | undefined> {
    const [r] = await this.sql`SELECT * FROM chat_actions WHERE id = ${id}`;
    return r && toChatAction(r);
  }

  async takeChatAction(id: number, by: string, now: Date): Promise<ChatAction | undefined> {
    const [r] = await this.sql`UPDATE chat_actions SET used_at = ${iso(now)}, used_by = ${by} WHERE id = ${id} AND used_at IS NULL RETURNING *`;
    return r && toChatAction(r);
  }

  // ── subscribers ───────────────────────────────────────────────────────

  async getSubscriber(email: string): Promise<Subscriber | undefined> {
    const [r] = await this.sql`SELECT * FROM subscribers WHERE email_key = ${email.trim().toLowerCase()}`;
    return r && toSubscriber(r);
  }

  async getSubscriberById(id: number): Promise<Subscriber | undefined> {
    const r = await this.row(this.sql, id);
    return r && toSubscriber(r);
  }

  async subscribersByIds(ids: number[]): Promise<Map<number, Subscriber>> {
    const out = new Map<number, Subscriber>();
    if (ids.length === 0) return out;
    for (const r of await this.sql`SELECT * FROM subscribers WHERE id = ANY(${this.bigints(ids)}::bigint[])`) out.set(r.id as number, toSubscriber(r));
    return out;
  }

  async subscribersByEmails(emails: string[]): Promise<Map<string, Subscriber>> {
    const out = new Map<string, Subscriber>();
    if (emails.length === 0) return out;
    const keys = [...new Set(emails.map((e) => e.trim().toLowerCase()))];
    for (const r of await this.sql`SELECT * FROM subscribers WHERE email_key = ANY(${this.texts(keys)}::text[])`) out.set(r.email_key as string, toSubscriber(r));
    return out;
  }

  async getSubscriberByPublicId(publicId: string): Promise<Subscriber | undefined> {
    const [r] = await this.sql`SELECT * FROM subscribers WHERE public_id = ${publicId}`;
    return r && toSubscriber(r);
  }

  /** The subscriber's row; `lock`: held until the transaction ends (check, then write). */
  private async row(q: Q, id: number, lock = false): Promise<Row | undefined> {
    const [r] = lock ? await q`SELECT * FROM subscribers WHERE id = ${id} FOR UPDATE` : await q`SELECT * FROM subscribers WHERE id = ${id}`;
    return r;
  }

  private async rowByEmail(q: Q, key: string): Promise<Row | undefined> {
    const [r] = await q`SELECT * FROM subscribers WHERE email_key = ${key} FOR UPDATE`;
    return r;
  }

  /** One consent record, in the caller's transaction. */
  private async recordEvent(q: Q, subscriberId: number, from: SubscriberStatus | null, to: SubscriberStatus, t: string, by: ConsentContext): Promise<void> {
    await q`INSERT INTO subscriber_events (subscriber_id, at, from_status, to_status, source, ip, detail)
      VALUES (${subscriberId}, ${t}, ${from}, ${to}, ${by.source}, ${by.ip ?? null}, ${by.detail ?? null})`;
  }

  /** Every status change goes through here, inside the caller's transaction (see the SQLite store). */
  private async changeStatus(q: Q, row: Row, to: SubscriberStatus, t: string, by: ConsentContext): Promise<Row> {
    const id = row.id as number;
    const from = row.status as SubscriberStatus;
    if (from === to) return row;
    if (isSuppressed(to)) {
      await q`UPDATE subscribers SET status = ${to}, unsubscribed_at = ${t}, unsubscribe_source = ${by.source}, updated_at = ${t} WHERE id = ${id}`;
      await this.cancelPending(q, id, to);
    } else {
      await q`UPDATE subscribers SET status = ${to}, updated_at = ${t} WHERE id = ${id}`;
    }
    await this.recordEvent(q, id, from, to, t, by);
    return (await this.row(q, id)) as Row;
  }

  /** A new subscriber and its first consent record; undefined when the address was added meanwhile. */
  private async insertSubscriber(
    q: Q,
    email: string,
    name: string | null,
    topics: string[],
    status: SubscriberStatus,
    t: string,
    by: ConsentContext,
    language?: string,
  ): Promise<Row | undefined> {
    const publicId = randomBytes(12).toString('base64url');
    const suppressed = isSuppressed(status);
    const [r] = await q`INSERT INTO subscribers (public_id, email, email_key, name, topics, language, status, created_at, updated_at, unsubscribed_at, unsubscribe_source)
      VALUES (${publicId}, ${email}, ${email.toLowerCase()}, ${name}, ${JSON.stringify(topics)}, ${language ?? null}, ${status}, ${t}, ${t}, ${suppressed ? t : null}, ${suppressed ? by.source : null})
      ON CONFLICT (email_key) DO NOTHING RETURNING *`;
    if (r) await this.recordEvent(q, r.id as number, null, status, t, by);
    return r;
  }

  private async upsertOne(q: Q, s: SubscriberUpsert, t: string, by: ConsentContext): Promise<{ subscriber: Subscriber; created: boolean }> {
    const email = s.email.trim();
    let existing = await this.rowByEmail(q, email.toLowerCase());
    if (!existing) {
      const r = await this.insertSubscriber(q, email, s.name ?? null, s.topics ?? [], s.status ?? 'active', t, by, s.language);
      if (r) {
        if (!s.alerts) return { subscriber: toSubscriber(r), created: true };
        const [withAlerts] = await q`UPDATE subscribers SET alerts = TRUE WHERE id = ${r.id as number} RETURNING *`;
        return { subscriber: toSubscriber(withAlerts as Row), created: true };
      }
      existing = (await this.rowByEmail(q, email.toLowerCase())) as Row; // another process added it just now
    }
    const current = existing.status as SubscriberStatus;
    // Checked against the row as it is now (locked): a status the caller saw may have changed since.
    const allowed = s.status !== undefined && (!s.ifStatusIn || s.ifStatusIn.includes(current)) && !isSuppressed(current);
    await q`UPDATE subscribers SET name = COALESCE(${s.name ?? null}, name), topics = COALESCE(${s.topics ? JSON.stringify(s.topics) : null}, topics),
      language = COALESCE(${s.language ?? null}, language), alerts = COALESCE(${s.alerts ?? null}::boolean, alerts), updated_at = ${t} WHERE id = ${existing.id as number}`;
    const updated = (await this.row(q, existing.id as number)) as Row;
    return { subscriber: toSubscriber(allowed && s.status ? await this.changeStatus(q, updated, s.status, t, by) : updated), created: false };
  }

  async upsertSubscriber(s: SubscriberUpsert, now: Date, by: ConsentContext = { source: 'editor' }): Promise<{ subscriber: Subscriber; created: boolean }> {
    return this.tx((q) => this.upsertOne(q, s, iso(now), by));
  }

  async upsertSubscribers(rows: Array<SubscriberUpsert & { detail?: string }>, now: Date, by: ConsentContext): Promise<Array<{ subscriber: Subscriber; created: boolean }>> {
    const t = iso(now);
    return this.tx(async (q) => {
      const out: Array<{ subscriber: Subscriber; created: boolean }> = [];
      for (const { detail, ...s } of rows) out.push(await this.upsertOne(q, s, t, detail === undefined ? by : { ...by, detail: by.detail ? `${by.detail}, ${detail}` : detail }));
      return out;
    });
  }

  async removeSubscriber(email: string): Promise<boolean> {
    const key = email.trim().toLowerCase();
    return this.tx(async (q) => {
      const row = await this.rowByEmail(q, key);
      if (!row) return false;
      const id = row.id as number;
      // Keep the ledger's history readable but stop anything still pending for them.
      await q`UPDATE deliveries SET status = 'failed', last_error = 'subscriber removed' WHERE subscriber_id = ${id} AND status = 'pending'`;
      await q`UPDATE deliveries SET subscriber_id = NULL WHERE subscriber_id = ${id}`;
      // Removing is erasing: their consent history, requests and sends go with them.
      await q`DELETE FROM subscriber_events WHERE subscriber_id = ${id}`;
      await q`DELETE FROM resubscribe_requests WHERE subscriber_id = ${id}`;
      await q`DELETE FROM confirmation_sends WHERE subscriber_id = ${id}`;
      await q`DELETE FROM bounce_events WHERE subscriber_id = ${id}`;
      await q`DELETE FROM subscribers WHERE id = ${id}`;
      return true;
    });
  }

  async setSubscriberStatus(id: number, status: SubscriberStatus, now: Date, by: ConsentContext = { source: 'editor' }): Promise<boolean> {
    return this.tx(async (q) => {
      const row = await this.row(q, id, true);
      if (!row) return false;
      const current = row.status as SubscriberStatus;
      if (current === status) return true;
      if (isSuppressed(current) && !isSuppressed(status)) return false;
      await this.changeStatus(q, row, status, iso(now), by);
      return true;
    });
  }

  async subscribers(opts: { status?: SubscriberStatus; afterId?: number; limit?: number } = {}): Promise<Subscriber[]> {
    const limit = opts.limit ?? 1_000_000;
    const rows = await this.sql`SELECT * FROM subscribers WHERE ${opts.status ? this.sql`status = ${opts.status} AND` : this.sql``} id > ${opts.afterId ?? 0} ORDER BY id LIMIT ${limit}`;
    return rows.map(toSubscriber);
  }

  async searchSubscribers(query: string, limit: number): Promise<Subscriber[]> {
    const like = `%${query.trim().toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.sql`SELECT * FROM subscribers WHERE email_key LIKE ${like} ESCAPE '\\' OR lower(name) LIKE ${like} ESCAPE '\\' ORDER BY id LIMIT ${limit}`;
    return rows.map(toSubscriber);
  }

  // ── reader self-service (web sign-up, confirm, unsubscribe, preferences) ──

  async signUp(
    s: { email: string; name?: string; topics: string[]; language?: string },
    now: Date,
    by: Omit<ConsentContext, 'source'> = {},
  ): Promise<{ subscriber: Subscriber; outcome: SignUpOutcome; requestId?: number }> {
    const t = iso(now);
    const email = s.email.trim();
    return this.tx(async (q) => {
      let row = await this.rowByEmail(q, email.toLowerCase());
      if (!row) {
        const r = await this.insertSubscriber(q, email, s.name ?? null, s.topics, 'pending', t, { ...by, source: 'signup' }, s.language);
        if (r) return { subscriber: toSubscriber(r), outcome: 'created' as const };
        row = (await this.rowByEmail(q, email.toLowerCase())) as Row;
      }
      const status = row.status as SubscriberStatus;
      // Anyone can submit any address: an existing subscriber's status and choices are never touched here.
      if (status === 'pending' || status === 'active' || status === 'bounced') return { subscriber: toSubscriber(row), outcome: status };
      const id = row.id as number;
      const [req] = await q`INSERT INTO resubscribe_requests (subscriber_id, requested_at, name, topics, language, ip)
        VALUES (${id}, ${t}, ${s.name ?? null}, ${JSON.stringify(s.topics)}, ${s.language ?? null}, ${by.ip ?? null}) RETURNING id`;
      const request = req?.id as number;
      await this.recordEvent(q, id, status, status, t, { ...by, source: 'signup', detail: `asked to subscribe again (request #${request}); ${status} until its link is followed` });
      return { subscriber: toSubscriber(row), outcome: 'requested' as const, requestId: request };
    });
  }

  async claimConfirmationSend(id: number, now: Date, limits: ConfirmationLimits): Promise<'ok' | 'throttled' | 'capped'> {
    const t = iso(now);
    const earliest = iso(new Date(now.getTime() - limits.minIntervalMs));
    const dayAgo = iso(new Date(now.getTime() - 24 * 3_600_000));
    return this.tx(async (q) => {
      // The subscriber's row is the lock: two requests at once send one email.
      const row = await this.row(q, id, true);
      if (!row) return 'throttled' as const;
      const last = row.confirm_sent_at as string | null;
      if (last !== null && last > earliest) return 'throttled' as const;
      await q`DELETE FROM confirmation_sends WHERE subscriber_id = ${id} AND sent_at <= ${dayAgo}`;
      const [{ n }] = (await q`SELECT COUNT(*) AS n FROM confirmation_sends WHERE subscriber_id = ${id}`) as unknown as [{ n: number }];
      if (n >= limits.maxPerDay) return 'capped' as const;
      await q`INSERT INTO confirmation_sends (subscriber_id, sent_at) VALUES (${id}, ${t})`;
      await q`UPDATE subscribers SET confirm_sent_at = ${t} WHERE id = ${id}`;
      return 'ok' as const;
    });
  }

  async releaseConfirmationSend(id: number, claimedAt: Date): Promise<void> {
    const t = iso(claimedAt);
    await this.tx(async (q) => {
      await q`DELETE FROM confirmation_sends WHERE id = (SELECT id FROM confirmation_sends WHERE subscriber_id = ${id} AND sent_at = ${t} LIMIT 1)`;
      await q`UPDATE subscribers SET confirm_sent_at = NULL WHERE id = ${id} AND confirm_sent_at = ${t}`;
    });
  }

  /** What a confirmation link would do to this row, and the request it would complete. */
  private async judgeConfirmation(q: Q, row: Row, link: ConfirmLink): Promise<{ outcome: 'confirmable' | 'already' | 'stale'; request?: Row }> {
    const status = row.status as SubscriberStatus;
    if (status === 'active') return { outcome: 'already' };
    const unsubscribedAt = row.unsubscribed_at as string | null;
    if (link.requestId === undefined) {
      const fresh = unsubscribedAt === null || link.issuedAt.getTime() > Date.parse(unsubscribedAt);
      return { outcome: status === 'pending' && fresh ? 'confirmable' : 'stale' };
    }
    const [request] = await q`SELECT * FROM resubscribe_requests WHERE id = ${link.requestId} AND subscriber_id = ${row.id as number}`;
    const usable =
      request !== undefined &&
      request.confirmed_at === null &&
      (status === 'unsubscribed' || status === 'complained') &&
      (unsubscribedAt === null || (request.requested_at as string) > unsubscribedAt);
    return usable ? { outcome: 'confirmable', request } : { outcome: 'stale' };
  }

  async checkConfirmation(
    id: number,
    link: ConfirmLink,
  ): Promise<{ subscriber: Subscriber; outcome: 'confirmable' | 'already' | 'stale'; name?: string; topics: string[] } | undefined> {
    const row = await this.row(this.sql, id);
    if (!row) return undefined;
    const { outcome, request } = await this.judgeConfirmation(this.sql, row, link);
    const subscriber = toSubscriber(row);
    if (!request) return { subscriber, outcome, name: subscriber.name, topics: subscriber.topics };
    return { subscriber, outcome, name: opt<string>(request.name) ?? subscriber.name, topics: JSON.parse(request.topics as string) as string[] };
  }

  async confirmSubscriber(
    id: number,
    link: ConfirmLink,
    now: Date,
    by: Omit<ConsentContext, 'source'> = {},
  ): Promise<{ subscriber: Subscriber; outcome: ConfirmOutcome } | undefined> {
    return this.tx(async (q) => {
      const row = await this.row(q, id, true);
      if (!row) return undefined;
      const { outcome, request } = await this.judgeConfirmation(q, row, link);
      if (outcome !== 'confirmable') return { subscriber: toSubscriber(row), outcome };
      const t = iso(now);
      if (request) {
        await q`UPDATE subscribers SET name = COALESCE(${request.name as string | null}, name), topics = ${request.topics as string}, language = COALESCE(${request.language as string | null}, language),
          paused = FALSE, confirmed_at = ${t}, updated_at = ${t} WHERE id = ${id}`;
        await q`UPDATE resubscribe_requests SET confirmed_at = ${t} WHERE id = ${request.id as number}`;
      } else {
        await q`UPDATE subscribers SET paused = FALSE, confirmed_at = ${t}, updated_at = ${t} WHERE id = ${id}`;
      }
      const detail = request ? `re-subscription request #${request.id as number}` : undefined;
      const r = await this.changeStatus(q, (await this.row(q, id)) as Row, 'active', t, { ...by, source: 'confirm', detail });
      return { subscriber: toSubscriber(r), outcome: 'confirmed' as const };
    });
  }

  async unsubscribe(id: number, now: Date, by: ConsentContext): Promise<{ subscriber: Subscriber; cancelled: number } | undefined> {
    return this.tx(async (q) => {
      const row = await this.row(q, id, true);
      if (!row) return undefined;
      // A repeat keeps the first unsubscribe's time and source; a bounce or complaint stays on record.
      let cancelled = 0;
      if (!isSuppressed(row.status as SubscriberStatus)) {
        const [{ n }] = (await q`SELECT COUNT(*) AS n FROM deliveries WHERE subscriber_id = ${id} AND status = 'pending'`) as unknown as [{ n: number }];
        await this.changeStatus(q, row, 'unsubscribed', iso(now), by);
        cancelled = n;
      } else {
        cancelled = await this.cancelPending(q, id, 'unsubscribed');
      }
      return { subscriber: toSubscriber((await this.row(q, id)) as Row), cancelled };
    });
  }

  async updatePreferences(id: number, p: { name: string | null; topics: string[]; paused: boolean; alerts?: boolean }, now: Date): Promise<Subscriber | undefined> {
    return this.tx(async (q) => {
      const [r] = await q`UPDATE subscribers SET name = ${p.name}, topics = ${JSON.stringify(p.topics)}, paused = ${p.paused},
        alerts = COALESCE(${p.alerts ?? null}::boolean, alerts), updated_at = ${iso(now)} WHERE id = ${id} RETURNING *`;
      if (!r) return undefined;
      if (p.paused) await this.cancelPending(q, id, 'paused');
      return toSubscriber(r);
    });
  }

  async cancelPendingDeliveries(subscriberId: number, reason: string, _now: Date): Promise<number> {
    return this.cancelPending(this.sql, subscriberId, reason);
  }

  /** 'sending' rows are already on the wire; the send loop skips a reader who is no longer active. */
  private async cancelPending(q: Q, subscriberId: number, reason: string): Promise<number> {
    return (await q`UPDATE deliveries SET status = 'failed', last_error = ${reason}, claimed_by = NULL WHERE subscriber_id = ${subscriberId} AND status = 'pending'`).count;
  }

  // ── bounces and complaints ──────────────────────────────────────────────

  async recordBounce(e: NewBounceEvent, policy: BouncePolicy, now: Date): Promise<{ event: BounceEvent; duplicate: boolean }> {
    const t = iso(now);
    return this.tx(async (q) => {
      const [seen] = await q`SELECT * FROM bounce_events WHERE event_key = ${e.key}`;
      if (seen) return { event: toBounceEvent(seen), duplicate: true };
      const [delivery] = e.deliveryId === undefined ? [] : await q`SELECT id, channel_id, subscriber_id FROM deliveries WHERE id = ${e.deliveryId}`;
      const subscriberId = (delivery?.subscriber_id as number | null | undefined) ?? e.subscriberId;
      // The subscriber's row is locked: reports of one address are counted one after another.
      const subscriber = subscriberId === undefined ? undefined : await this.row(q, subscriberId, true);
      const [r] = await q`INSERT INTO bounce_events (event_key, at, source, type, code, diagnostic, recipient, delivery_id, channel_id, subscriber_id, unmatched)
        VALUES (${e.key}, ${t}, ${e.source}, ${e.type}, ${e.code ?? null}, ${e.diagnostic ?? null}, ${e.recipient ?? null},
                ${delivery ? (delivery.id as number) : null}::bigint, ${delivery ? (delivery.channel_id as string) : null}, ${subscriber ? (subscriber.id as number) : null}::bigint,
                ${e.unmatched ?? (subscriber ? null : 'no subscriber')})
        ON CONFLICT (event_key) DO NOTHING RETURNING *`;
      if (!r) {
        // Another process recorded the same report just now.
        const [other] = await q`SELECT * FROM bounce_events WHERE event_key = ${e.key}`;
        return { event: toBounceEvent(other as Row), duplicate: true };
      }
      if (!subscriber || isSuppressed(subscriber.status as SubscriberStatus)) return { event: toBounceEvent(r), duplicate: false };
      const to = await this.bounceVerdict(q, subscriber, e.type, policy, now);
      if (!to) return { event: toBounceEvent(r), duplicate: false };
      const what = `${e.type === 'complaint' ? 'complaint' : e.type === 'unsubscribe' ? 'unsubscribe' : `${e.type} bounce`} via ${e.source}`;
      const detail = [what, e.code, e.diagnostic?.slice(0, 200)].filter(Boolean).join(': ');
      await this.changeStatus(q, subscriber, to, t, { source: e.type === 'complaint' ? 'complaint' : e.type === 'unsubscribe' ? 'provider' : 'bounce', detail });
      const [updated] = await q`UPDATE bounce_events SET applied = ${to} WHERE id = ${r.id as number} RETURNING *`;
      return { event: toBounceEvent(updated as Row), duplicate: false };
    });
  }

  /** What the just-recorded event does to an active or pending subscriber under the policy (see the SQLite store). */
  private async bounceVerdict(q: Q, subscriber: Row, type: NewBounceEvent['type'], policy: BouncePolicy, now: Date): Promise<SubscriberStatus | undefined> {
    if (type === 'complaint') return 'complained';
    if (type === 'unsubscribe') return 'unsubscribed';
    if (type === 'unknown') return undefined;
    const id = subscriber.id as number;
    const [{ back }] = (await q`SELECT MAX(at) AS back FROM subscriber_events WHERE subscriber_id = ${id} AND to_status = 'active' AND from_status = 'bounced'`) as unknown as [
      { back: string | null },
    ];
    const windowStart = type === 'soft' ? iso(new Date(now.getTime() - policy.softWindowMs)) : '';
    const since = back !== null && back > windowStart ? back : windowStart;
    const [{ n }] = (await q`SELECT COUNT(DISTINCT COALESCE('d' || delivery_id::text, 'e' || id::text)) AS n FROM bounce_events
      WHERE subscriber_id = ${id} AND type = ${type} AND at >= ${since}`) as unknown as [{ n: number }];
    return n >= (type === 'hard' ? policy.hard : policy.soft) ? 'bounced' : undefined;
  }

  async bounceEvents(opts: { subscriberId?: number; limit?: number } = {}): Promise<BounceEvent[]> {
    const limit = opts.limit ?? 1000;
    const rows =
      opts.subscriberId === undefined
        ? await this.sql`SELECT * FROM bounce_events ORDER BY id DESC LIMIT ${limit}`
        : await this.sql`SELECT * FROM bounce_events WHERE subscriber_id = ${opts.subscriberId} ORDER BY id DESC LIMIT ${limit}`;
    return rows.map(toBounceEvent);
  }

  async bounceStats(channelId: string, scope: { digestId: number } | { since: Date }): Promise<BounceStats> {
    const inScope =
      'digestId' in scope
        ? this.sql`SELECT id, status FROM deliveries WHERE channel_id = ${channelId} AND digest_id = ${scope.digestId}`
        : this.sql`SELECT id, status FROM deliveries WHERE channel_id = ${channelId} AND COALESCE(sent_at, created_at) >= ${iso(scope.since)}`;
    const [r] = await this.sql`
      WITH d AS (${inScope}),
           b AS (SELECT delivery_id, bool_or(type IN ('hard','soft')) AS bounced, bool_or(type = 'complaint') AS complained
                 FROM bounce_events WHERE delivery_id IN (SELECT id FROM d) GROUP BY delivery_id)
      SELECT (SELECT COUNT(*) FROM d WHERE status = 'sent' OR id IN (SELECT delivery_id FROM b WHERE bounced)) AS sent,
             (SELECT COUNT(*) FROM b WHERE bounced) AS bounced,
             (SELECT COUNT(*) FROM b WHERE complained) AS complained`;
    return { sent: r?.sent as number, bounced: r?.bounced as number, complained: r?.complained as number };
  }

  async findDelivery(ref: { id?: number; messageId?: string; providerMessageId?: string }): Promise<Delivery | undefined> {
    const [r] =
      ref.id !== undefined
        ? await this.sql`SELECT * FROM deliveries WHERE id = ${ref.id}`
        : ref.messageId !== undefined
          ? await this.sql`SELECT * FROM deliveries WHERE message_id = ${ref.messageId} ORDER BY id LIMIT 1`
          : ref.providerMessageId !== undefined
            ? await this.sql`SELECT * FROM deliveries WHERE provider_message_id = ${ref.providerMessageId} ORDER BY id LIMIT 1`
            : [];
    return r ? toDelivery(r) : undefined;
  }

  async reactivateSubscriber(id: number, now: Date, by: ConsentContext): Promise<boolean> {
    return this.tx(async (q) => {
      const row = await this.row(q, id, true);
      if (row === undefined) return false;
      if (row.status !== 'bounced') return false;
      await this.changeStatus(q, row, 'active', iso(now), by);
      return true;
    });
  }

  async consentHistory(subscriberId: number): Promise<ConsentEvent[]> {
    return (await this.sql`SELECT * FROM subscriber_events WHERE subscriber_id = ${subscriberId} ORDER BY id`).map(toConsentEvent);
  }

  async consentEvents(opts: { afterId?: number; limit?: number } = {}): Promise<ConsentEvent[]> {
    const rows = await this.sql`SELECT e.*, s.email FROM subscriber_events e JOIN subscribers s ON s.id = e.subscriber_id
      WHERE e.id > ${opts.afterId ?? 0} ORDER BY e.id LIMIT ${opts.limit ?? 1000}`;
    return rows.map(toConsentEvent);
  }

  async subscriberCounts(): Promise<Record<SubscriberStatus, number>> {
    const out: Record<SubscriberStatus, number> = { pending: 0, active: 0, unsubscribed: 0, bounced: 0, complained: 0 };
    for (const r of await this.sql`SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status`) out[r.status as SubscriberStatus] = r.n as number;
    return out;
  }
}

export async function openPostgresStore(url: string, opts: PgStoreOptions = {}): Promise<PostgresStore> {
  const store = new PostgresStore(url, opts);
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => undefined);
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`could not open the PostgreSQL store at ${showUrl(url)}: ${why}`);
  }
  return store;
}
