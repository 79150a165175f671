import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Article } from '../../content/article.ts';
import type { CachedPage } from '../../content/parse-cache.ts';
import { assignArticleIds, type IdentityRow, sourceKey } from '../article-ids.ts';
import { type Row, opt, summariesFrom, toApproval, toApprovalEvent, toBounceEvent, toConsentEvent, toDelivery, toDigest, toSubscriber, withRevisions } from '../rows.ts';
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
  ChatAction,
  NewApproval,
  ChannelState,
  Decision,
  Delivery,
  DeliveryCounts,
  DeliverySummary,
  Digest,
  FanoutReader,
  NewBounceEvent,
  StoredArticle,
  Store,
  ConfirmLink,
  ConfirmOutcome,
  ConfirmationLimits,
  ConsentContext,
  ConsentEvent,
  SignUpOutcome,
  NewRevision,
  PostRecord,
  PostRevision,
  PostShown,
  Subscriber,
  SubscriberFanout,
  SubscriberStatus,
  SubscriberUpsert,
} from '../types.ts';
import { isSuppressed } from '../subscriber-status.ts';
import { migrations } from './migrations.ts';

const iso = (d: Date) => d.toISOString();

const FANOUT_PAGE = 1000;
/** Deliveries per INSERT when fanning out, and the values each takes. */
const FANOUT_BATCH = 200;
const FANOUT_COLUMNS = 5;

/**
 * The addon where npm builds it, given directly: otherwise better-sqlite3 asks the `bindings`
 * package, which inspects a stack trace and tries a dozen paths at every start. Not there (a
 * build of its own elsewhere): that search.
 */
const NATIVE_BINDING = (() => {
  try {
    const file = path.join(path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build/Release/better_sqlite3.node');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
})();

export class SqliteStore implements Store {
  readonly db: Database.Database;

  constructor(readonly file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file, { timeout: 15_000, ...(NATIVE_BINDING ? { nativeBinding: NATIVE_BINDING } : {}) });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // SQLite's own default page cache (2 MB) instead of better-sqlite3's 16 MB: a fan-out's
    // inserts and claims filled all 16 MB (a tenth of the command's peak RSS) for no measurable
    // speed (planning 200,000 deliveries took as long; the pages stay in the OS's file cache).
    this.db.pragma('cache_size = -2000');
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared statements are cached: preparing costs more than running on the hot send path. */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  async migrate(): Promise<void> {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const apply = this.db.transaction((m: (typeof migrations)[number]) => {
      // Re-check inside the write lock: another process may have just applied it.
      if (this.stmt('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return;
      if (typeof m.sql === 'string') this.db.exec(m.sql);
      else m.sql(this.db);
      if (m.rebuildsTables) {
        const broken = this.db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new Error(`migration ${m.version} (${m.name}) would break ${broken.length} foreign key reference(s): ${JSON.stringify(broken.slice(0, 3))}`);
      }
      this.stmt('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, iso(new Date()));
    });
    for (const m of migrations) {
      if (this.stmt('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) continue;
      // SQLite's procedure for rebuilding a table others reference: enforcement off (only possible
      // outside a transaction), the rebuild, a full check inside it, enforcement back on.
      if (m.rebuildsTables) this.db.pragma('foreign_keys = OFF');
      try {
        apply.immediate(m);
      } finally {
        if (m.rebuildsTables) this.db.pragma('foreign_keys = ON');
      }
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async ping(): Promise<boolean> {
    try {
      return this.stmt('SELECT 1 AS ok').get() !== undefined;
    } catch {
      return false;
    }
  }

  // ── articles ──────────────────────────────────────────────────────────

  async syncArticles(articles: Article[], now: Date, defaultLanguage?: string): Promise<{ added: string[]; ids: Map<string, string> }> {
    const t = iso(now);
    const added: string[] = [];
    const get = this.stmt('SELECT data, source_key FROM articles WHERE id = ?');
    const ins = this.stmt('INSERT INTO articles (id, data, content_hash, first_seen_at, last_seen_at, source_key) VALUES (?, ?, ?, ?, ?, ?)');
    const upd = this.stmt('UPDATE articles SET data = ?, content_hash = ?, last_seen_at = ?, gone_at = NULL, source_key = ? WHERE id = ?');
    // Unchanged articles (most of them, most scans) are marked seen in one statement.
    const seen = this.stmt('UPDATE articles SET last_seen_at = ?, gone_at = NULL WHERE id IN (SELECT value FROM json_each(?))');
    let ids = new Map<string, string>();
    this.db
      .transaction(() => {
        // Identified inside the write lock, so two processes never give one file two ids.
        ids = this.identify(articles, defaultLanguage);
        const current = new Set<string>();
        const unchanged: string[] = [];
        for (const scanned of articles) {
          const id = ids.get(scanned.id) ?? scanned.id;
          const a = id === scanned.id ? scanned : { ...scanned, id };
          current.add(id);
          const data = JSON.stringify(a);
          const key = sourceKey(a);
          const row = get.get(id) as Row | undefined;
          if (!row) {
            ins.run(id, data, a.contentHash, t, t, key);
            added.push(id);
          } else if (row.data !== data || row.source_key !== key) upd.run(data, a.contentHash, t, key, id);
          else unchanged.push(id);
        }
        if (unchanged.length > 0) seen.run(t, JSON.stringify(unchanged));
        const known = this.stmt('SELECT id FROM articles WHERE gone_at IS NULL').pluck().all() as string[];
        const gone = this.stmt('UPDATE articles SET gone_at = ? WHERE id = ?');
        for (const id of known) if (!current.has(id)) gone.run(t, id);
      })
      .immediate();
    return { added, ids };
  }

  async identifyArticles(articles: Array<Pick<Article, 'id' | 'file' | 'language'> & { url?: string }>, defaultLanguage?: string): Promise<Map<string, string>> {
    return this.identify(articles, defaultLanguage);
  }

  private identify(articles: Array<Pick<Article, 'id' | 'file' | 'language'> & { url?: string }>, defaultLanguage?: string): Map<string, string> {
    // Only rows from before identities need their file and link read out of the snapshot.
    const rows = this.stmt(
      "SELECT id, source_key, CASE WHEN source_key IS NULL THEN json_extract(data, '$.file') END AS file, CASE WHEN source_key IS NULL THEN json_extract(data, '$.url') END AS url FROM articles",
    ).all() as Row[];
    return assignArticleIds(rows as unknown as IdentityRow[], articles, defaultLanguage);
  }

  private toStoredArticle(r: Row): StoredArticle {
    return {
      article: JSON.parse(r.data as string) as Article,
      firstSeenAt: r.first_seen_at as string,
      lastSeenAt: r.last_seen_at as string,
      goneAt: opt(r.gone_at),
    };
  }

  async getArticle(id: string): Promise<StoredArticle | undefined> {
    const r = this.stmt('SELECT * FROM articles WHERE id = ?').get(id) as Row | undefined;
    return r && this.toStoredArticle(r);
  }

  async listArticles(): Promise<StoredArticle[]> {
    return (this.stmt('SELECT * FROM articles ORDER BY id').all() as Row[]).map((r) => this.toStoredArticle(r));
  }

  async parsedPages(): Promise<CachedPage[]> {
    return (this.stmt('SELECT * FROM parse_cache').all() as Row[]).map((r) => ({
      path: r.path as string,
      size: r.size as number,
      mtimeMs: r.mtime_ms as number,
      hash: r.hash as string,
      key: r.parse_key as string,
      page: r.page as string,
    }));
  }

  async saveParsedPages(changed: CachedPage[], removed: string[]): Promise<void> {
    const put = this.stmt('INSERT OR REPLACE INTO parse_cache (path, size, mtime_ms, hash, parse_key, page) VALUES (?, ?, ?, ?, ?, ?)');
    const drop = this.stmt('DELETE FROM parse_cache WHERE path = ?');
    this.db.transaction(() => {
      for (const c of changed) put.run(c.path, c.size, c.mtimeMs, c.hash, c.key, c.page);
      for (const p of removed) drop.run(p);
    })();
  }

  async scanSnapshotInputs(): Promise<{ id: string; inputs: Uint8Array } | undefined> {
    const r = this.stmt('SELECT id, inputs FROM scan_snapshot').get() as Row | undefined;
    return r && { id: r.id as string, inputs: r.inputs as Uint8Array };
  }

  async scanSnapshot(id: string): Promise<Uint8Array | undefined> {
    const r = this.stmt('SELECT result FROM scan_snapshot WHERE id = ?').get(id) as Row | undefined;
    return r?.result as Uint8Array | undefined;
  }

  async saveScanSnapshot(snapshot: { id: string; inputs: Uint8Array; result: Uint8Array } | undefined): Promise<void> {
    this.db.transaction(() => {
      this.stmt('DELETE FROM scan_snapshot').run();
      if (snapshot) this.stmt('INSERT INTO scan_snapshot (id, inputs, result) VALUES (?, ?, ?)').run(snapshot.id, snapshot.inputs, snapshot.result);
    })();
  }

  // ── channels, decisions, digests ──────────────────────────────────────

  async getChannel(id: string): Promise<ChannelState | undefined> {
    const r = this.stmt('SELECT * FROM channels WHERE id = ?').get(id) as Row | undefined;
    return r && { id, firstRunAt: r.first_run_at as string, lastDigestAt: opt(r.last_digest_at) };
  }

  async setLastDigestAt(channelId: string, at: Date): Promise<void> {
    this.stmt('UPDATE channels SET last_digest_at = ? WHERE id = ?').run(iso(at), channelId);
  }

  async decisions(channelId: string): Promise<Map<string, Decision>> {
    const rows = this.stmt('SELECT * FROM decisions WHERE channel_id = ?').all(channelId) as Row[];
    return new Map(
      rows.map((r) => [
        r.article_id as string,
        {
          channelId,
          articleId: r.article_id as string,
          status: r.status as Decision['status'],
          digestId: opt(r.digest_id),
          decidedAt: r.decided_at as string,
        },
      ]),
    );
  }

  async waitingArticles(channelId: string): Promise<string[]> {
    return this.stmt("SELECT article_id FROM decisions WHERE channel_id = ? AND status = 'waiting' ORDER BY article_id").pluck().all(channelId) as string[];
  }

  async applyPlan(plan: ChannelPlan, now: Date): Promise<{ planned: number }> {
    return this.db.transaction(() => ({ planned: this.writePlan(plan, iso(now)) })).immediate();
  }

  /** The body of applyPlan, for use inside a transaction; returns how many deliveries were written. */
  private writePlan(plan: ChannelPlan, t: string): number {
    const insDecision = this.stmt(
      // Decisions are made once: a concurrent planner's decision is never overwritten,
      // except by an editor's manual send, which takes an article out of the digest queue.
      plan.overrideWaiting
        ? "INSERT INTO decisions (channel_id, article_id, status, digest_id, decided_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel_id, article_id) DO UPDATE SET status = excluded.status, digest_id = excluded.digest_id, decided_at = excluded.decided_at WHERE decisions.status IN ('waiting', 'baseline', 'too-old')"
        : 'INSERT INTO decisions (channel_id, article_id, status, digest_id, decided_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel_id, article_id) DO NOTHING',
    );
    const insDelivery = this.stmt(
      `INSERT INTO deliveries (dedupe_key, channel_id, kind, article_id, digest_id, subscriber_id, recipient, variant, status, attempts, next_attempt_at, message_id, manual, created_at)
       VALUES (@dedupeKey, @channelId, @kind, @articleId, @digestId, @subscriberId, @recipient, @variant, 'pending', 0, @t, @messageId, @manual, @t)
       ON CONFLICT (dedupe_key) DO NOTHING`,
    );
    // Paused readers keep their choices but get nothing planned for them. Columns by position
    // (raw rows): an object per row with named columns cost more than the planning around it.
    const page = this.stmt("SELECT id, public_id, email, topics, language, alerts FROM subscribers WHERE status = 'active' AND paused = 0 AND id > ? ORDER BY id LIMIT ?").raw(true);
    let planned = 0;
    if (plan.createChannelAt) this.stmt('INSERT OR IGNORE INTO channels (id, first_run_at) VALUES (?, ?)').run(plan.channelId, plan.createChannelAt);
    for (const d of plan.decisions) insDecision.run(plan.channelId, d.articleId, d.status, d.digestId ?? null, t);
    for (const a of plan.approvals ?? []) this.insertApproval(a, t);
    for (const id of plan.plannedApprovals ?? []) this.stmt('UPDATE approvals SET planned_at = COALESCE(planned_at, ?) WHERE id = ?').run(t, id);
    for (const d of plan.deliveries) {
      planned += insDelivery.run({
        articleId: null,
        digestId: null,
        subscriberId: null,
        variant: null,
        messageId: null,
        ...d,
        manual: d.manual ? 1 : 0,
        t,
      }).changes;
    }
    for (const f of plan.fanouts) {
      // Many rows per INSERT: a statement per subscriber cost most of the planning time.
      const insert = fanoutInsert(this.db, f, t);
      const values: unknown[] = [];
      const flush = (rows: number) => {
        if (rows > 0) planned += insert(rows).run(values).changes;
        values.length = 0;
      };
      for (let after = 0; ; ) {
        const rows = page.all(after, FANOUT_PAGE) as FanoutRow[];
        if (rows.length === 0) break;
        for (const r of rows) {
          const s: FanoutReader = { id: r[0], publicId: r[1], email: r[2], topics: JSON.parse(r[3]) as string[], language: r[4] ?? undefined, alerts: r[5] === 1 };
          after = s.id;
          const variant = f.match(s);
          if (variant === null) continue;
          values.push(s.id, s.id, s.email, variant, f.messageId(s));
          if (values.length === FANOUT_BATCH * FANOUT_COLUMNS) flush(FANOUT_BATCH);
        }
      }
      flush(values.length / FANOUT_COLUMNS);
    }
    return planned;
  }

  async createDigest(channelId: string, articleIds: string[], now: Date, shown?: Record<string, PostShown>): Promise<Digest | undefined> {
    const t = iso(now);
    return this.db
      .transaction(() => {
        const { lastInsertRowid } = this
      .stmt("INSERT INTO digests (channel_id, created_at, article_ids, status) VALUES (?, ?, ?, 'planning')")
          .run(channelId, t, JSON.stringify(articleIds));
        const id = Number(lastInsertRowid);
        const mark = this.stmt("UPDATE decisions SET status = 'planned', digest_id = ?, decided_at = ? WHERE channel_id = ? AND article_id = ? AND status = 'waiting'");
        // Another process may have put some of them in its digest meanwhile: keep only what we took.
        const taken = articleIds.filter((a) => mark.run(id, t, channelId, a).changes === 1);
        this.stmt('UPDATE channels SET last_digest_at = ? WHERE id = ?').run(t, channelId);
        if (taken.length === 0) {
          this.stmt('DELETE FROM digests WHERE id = ?').run(id);
          return undefined;
        }
        const kept = shown ? Object.fromEntries(taken.flatMap((a) => (shown[a] ? [[a, shown[a]]] : []))) : undefined;
        this.stmt('UPDATE digests SET article_ids = ?, shown = ? WHERE id = ?').run(JSON.stringify(taken), kept ? JSON.stringify(kept) : null, id);
        return { id, channelId, createdAt: t, articleIds: taken, status: 'planning' as const, ...(kept ? { shown: kept } : {}) };
      })
      .immediate();
  }

  async unfinishedDigests(channelId: string): Promise<Digest[]> {
    return (this.stmt("SELECT * FROM digests WHERE channel_id = ? AND status = 'planning' ORDER BY id").all(channelId) as Row[]).map(toDigest);
  }

  async finishDigest(digestId: number): Promise<void> {
    this.stmt("UPDATE digests SET status = 'planned' WHERE id = ?").run(digestId);
  }

  async getDigest(id: number): Promise<Digest | undefined> {
    const r = this.stmt('SELECT * FROM digests WHERE id = ?').get(id) as Row | undefined;
    return r && toDigest(r);
  }

  // ── deliveries ────────────────────────────────────────────────────────

  async claim(channelId: string, claimant: string, now: Date, limit: number): Promise<Delivery[]> {
    const t = iso(now);
    // One statement: SQLite runs it under the write lock, so two processes never claim the same row.
    const rows = this
      .stmt(
        `UPDATE deliveries SET status = 'sending', claimed_by = ?, claimed_at = ?, attempts = attempts + 1
         WHERE id IN (SELECT id FROM deliveries WHERE channel_id = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?)
         RETURNING *`,
      )
      .all(claimant, t, channelId, t, limit) as Row[];
    return rows.map(toDelivery).sort((a, b) => a.id - b.id);
  }

  async releaseStale(now: Date, leaseMs: number, isAlive: (claimant: string) => boolean): Promise<number> {
    const rows = this.stmt("SELECT id, claimed_by, claimed_at FROM deliveries WHERE status = 'sending'").all() as Row[];
    const stale = rows.filter((r) => !isAlive(r.claimed_by as string) || now.getTime() - Date.parse(r.claimed_at as string) > leaseMs).map((r) => r.id as number);
    if (stale.length === 0) return 0;
    const upd = this.stmt("UPDATE deliveries SET status = 'pending', claimed_by = NULL, last_error = 'interrupted while sending; resumed' WHERE id = ? AND status = 'sending'");
    this.db
      .transaction(() => {
        for (const id of stale) upd.run(id);
      })
      .immediate();
    return stale.length;
  }

  async release(ids: number[], nextAttemptAt: Date, uncountAttempt: boolean): Promise<void> {
    const upd = this.stmt(
      `UPDATE deliveries SET status = 'pending', claimed_by = NULL, next_attempt_at = ?, attempts = attempts - ? WHERE id = ? AND status = 'sending'`,
    );
    this.db
      .transaction(() => {
        for (const id of ids) upd.run(iso(nextAttemptAt), uncountAttempt ? 1 : 0, id);
      })
      .immediate();
  }

  async markSent(id: number, providerMessageId: string | undefined, now: Date): Promise<void> {
    this
      .stmt("UPDATE deliveries SET status = 'sent', provider_message_id = ?, sent_at = ?, last_error = NULL, claimed_by = NULL WHERE id = ?")
      .run(providerMessageId ?? null, iso(now), id);
  }

  async markSentMany(items: Array<{ id: number; providerMessageId?: string; sentAt: Date }>): Promise<void> {
    const st = this.stmt("UPDATE deliveries SET status = 'sent', provider_message_id = ?, sent_at = ?, last_error = NULL, claimed_by = NULL WHERE id = ?");
    this.db.transaction(() => {
      for (const i of items) st.run(i.providerMessageId ?? null, iso(i.sentAt), i.id);
    })();
  }

  async markRetry(id: number, error: string, nextAttemptAt: Date, countAttempt: boolean): Promise<void> {
    // A reader who stopped receiving email while this was in flight (a bounce of another email,
    // an unsubscribe) gets no retry: their pending deliveries were cancelled, and so is this one.
    this
      .stmt(
        `UPDATE deliveries SET
           status = CASE WHEN s.status IS NULL OR (s.status = 'active' AND s.paused = 0) THEN 'pending' ELSE 'failed' END,
           last_error = CASE WHEN s.status IS NULL OR (s.status = 'active' AND s.paused = 0) THEN ? WHEN s.status = 'active' THEN 'paused' ELSE s.status END,
           next_attempt_at = ?, attempts = attempts - ?, claimed_by = NULL
         FROM (SELECT d.id AS did, sub.status, sub.paused FROM deliveries d LEFT JOIN subscribers sub ON sub.id = d.subscriber_id WHERE d.id = ?) AS s
         WHERE deliveries.id = s.did`,
      )
      .run(error, iso(nextAttemptAt), countAttempt ? 0 : 1, id);
  }

  async markFailed(id: number, error: string, _now: Date): Promise<void> {
    this.stmt("UPDATE deliveries SET status = 'failed', last_error = ?, claimed_by = NULL WHERE id = ?").run(error, id);
  }

  async resetFailed(channelId: string | undefined, now: Date): Promise<number> {
    const t = iso(now);
    // A retry must not undo an unsubscribe or a pause: those deliveries stay failed.
    const reachable = "(subscriber_id IS NULL OR subscriber_id IN (SELECT id FROM subscribers WHERE status = 'active' AND paused = 0))";
    const r = channelId
      ? this
          .stmt(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE status = 'failed' AND channel_id = ? AND ${reachable}`)
          .run(t, channelId)
      : this.stmt(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE status = 'failed' AND ${reachable}`).run(t);
    return r.changes;
  }

  async retryNow(channelId: string | undefined, now: Date): Promise<{ failed: number; deferred: number }> {
    const t = iso(now);
    const reachable = "(subscriber_id IS NULL OR subscriber_id IN (SELECT id FROM subscribers WHERE status = 'active' AND paused = 0))";
    const channel = channelId === undefined ? '' : 'AND channel_id = @channel';
    return this.db
      .transaction(() => {
        const failed = this.stmt(
          `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = @t WHERE status = 'failed' ${channel} AND ${reachable}`,
        ).run({ t, channel: channelId ?? null }).changes;
        const deferred = this.stmt(`UPDATE deliveries SET next_attempt_at = @t WHERE status = 'pending' AND next_attempt_at > @t ${channel}`).run({
          t,
          channel: channelId ?? null,
        }).changes;
        return { failed, deferred };
      })
      .immediate();
  }

  async addRevision(r: NewRevision, now: Date, leaseMs = 5 * 60_000): Promise<number | undefined> {
    const t = iso(now);
    const insert = () =>
      Number(
        this.stmt(
          'INSERT INTO post_revisions (delivery_id, channel_id, article_id, action, shown, changes, message_id, result, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(
          r.deliveryId,
          r.channelId,
          r.articleId ?? null,
          r.action,
          r.shown === undefined ? null : JSON.stringify(r.shown),
          r.changes === undefined ? null : JSON.stringify(r.changes),
          r.messageId ?? null,
          r.result,
          r.reason ?? null,
          t,
        ).lastInsertRowid,
      );
    if (r.result !== 'pending') return insert();
    return this.db
      .transaction((): number | undefined => {
        const cutoff = iso(new Date(now.getTime() - leaseMs));
        const held = this.stmt("SELECT 1 FROM post_revisions WHERE delivery_id = ? AND result = 'pending' AND at > ?").get(r.deliveryId, cutoff);
        if (held) return undefined;
        this.stmt("UPDATE post_revisions SET result = 'failed', reason = 'interrupted (the process stopped while changing the post)' WHERE delivery_id = ? AND result = 'pending'").run(
          r.deliveryId,
        );
        return insert();
      })
      .immediate();
  }

  async finishRevision(
    id: number,
    o: Pick<PostRevision, 'result'> & Partial<Pick<PostRevision, 'reason' | 'shown' | 'messageId' | 'action'>>,
    now: Date,
  ): Promise<void> {
    this.stmt(
      'UPDATE post_revisions SET result = ?, reason = ?, shown = COALESCE(?, shown), message_id = COALESCE(?, message_id), action = COALESCE(?, action), at = ? WHERE id = ?',
    ).run(o.result, o.reason ?? null, o.shown === undefined ? null : JSON.stringify(o.shown), o.messageId ?? null, o.action ?? null, iso(now), id);
  }

  async postRecords(q: { channelId: string; sentSince?: string } | { articleId: string }): Promise<PostRecord[]> {
    const rows = (
      'articleId' in q
        ? this.stmt(
            "SELECT * FROM deliveries WHERE kind = 'post' AND subscriber_id IS NULL AND status = 'sent' AND (article_id = ? OR (article_id IS NULL AND variant IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(deliveries.variant) WHERE value = ?))) ORDER BY id",
          ).all(q.articleId, q.articleId)
        : this.stmt("SELECT * FROM deliveries WHERE channel_id = ? AND kind = 'post' AND subscriber_id IS NULL AND status = 'sent' AND sent_at >= ? ORDER BY id").all(
            q.channelId,
            q.sentSince ?? '',
          )
    ) as Row[];
    if (rows.length === 0) return [];
    const ids = JSON.stringify(rows.map((r) => r.id));
    const revs = this.stmt('SELECT * FROM post_revisions WHERE delivery_id IN (SELECT value FROM json_each(?)) ORDER BY id').all(ids) as Row[];
    return withRevisions(rows, revs);
  }

  async deliveriesForArticle(articleId: string): Promise<Delivery[]> {
    return (this.stmt('SELECT * FROM deliveries WHERE article_id = ? ORDER BY id').all(articleId) as Row[]).map(toDelivery);
  }

  async subscribersReached(channelId: string, articleIds: string[]): Promise<Set<number>> {
    if (articleIds.length === 0) return new Set();
    const list = JSON.stringify(articleIds);
    const direct = this.stmt(
      'SELECT DISTINCT subscriber_id FROM deliveries WHERE channel_id = ? AND subscriber_id IS NOT NULL AND article_id IN (SELECT value FROM json_each(?))',
    )
      .pluck()
      .all(channelId, list) as number[];
    // Digest deliveries name their articles in the variant; only the digests that held one are read.
    const viaDigest = this.stmt(
      `SELECT DISTINCT d.subscriber_id FROM deliveries d
       WHERE d.channel_id = ? AND d.subscriber_id IS NOT NULL
         AND d.digest_id IN (SELECT digest_id FROM decisions WHERE channel_id = ? AND digest_id IS NOT NULL AND article_id IN (SELECT value FROM json_each(?)))
         AND EXISTS (SELECT 1 FROM json_each(COALESCE(d.variant, (SELECT article_ids FROM digests WHERE id = d.digest_id))) v WHERE v.value IN (SELECT value FROM json_each(?)))`,
    )
      .pluck()
      .all(channelId, channelId, list, list) as number[];
    return new Set([...direct, ...viaDigest]);
  }

  async deliverySummary(channelId: string, ref: { articleId?: string; digestId?: number }): Promise<DeliverySummary> {
    const where = ref.digestId !== undefined ? 'channel_id = ? AND digest_id = ?' : 'channel_id = ? AND article_id = ?';
    const key = ref.digestId ?? ref.articleId ?? null;
    const out: DeliverySummary = { pending: 0, sending: 0, sent: 0, failed: 0 };
    for (const r of this.stmt(`SELECT status, COUNT(*) AS n FROM deliveries WHERE ${where} GROUP BY status`).all(channelId, key) as Row[])
      out[r.status as Delivery['status']] = r.n as number;
    const last = this
      .stmt(`SELECT sent_at, provider_message_id FROM deliveries WHERE ${where} AND status = 'sent' ORDER BY sent_at DESC, id DESC LIMIT 1`)
      .get(channelId, key) as Row | undefined;
    if (last) {
      out.lastSentAt = last.sent_at as string;
      out.providerMessageId = opt(last.provider_message_id);
    }
    const err = this
      .stmt(`SELECT last_error FROM deliveries WHERE ${where} AND status = 'failed' ORDER BY id DESC LIMIT 1`)
      .pluck()
      .get(channelId, key);
    if (err) out.lastError = err as string;
    return out;
  }

  async deliverySummaries(channelId: string): Promise<ChannelDeliverySummaries> {
    const counts = this.stmt('SELECT article_id, digest_id, status, COUNT(*) AS n FROM deliveries WHERE channel_id = ? GROUP BY article_id, digest_id, status').all(channelId) as Row[];
    // With one max() in a query, SQLite takes the other columns from the row that has it: each group's latest.
    const sent = this.stmt(
      "SELECT article_id, digest_id, MAX(COALESCE(sent_at, '') || ' ' || printf('%020d', id)) AS latest, sent_at, id, provider_message_id FROM deliveries WHERE channel_id = ? AND status = 'sent' GROUP BY article_id, digest_id",
    ).all(channelId) as Row[];
    const failed = this.stmt("SELECT article_id, digest_id, MAX(id) AS id, last_error FROM deliveries WHERE channel_id = ? AND status = 'failed' GROUP BY article_id, digest_id").all(channelId) as Row[];
    return summariesFrom(counts, sent, failed);
  }

  async counts(): Promise<DeliveryCounts[]> {
    const rows = this.stmt('SELECT channel_id, status, COUNT(*) AS n FROM deliveries GROUP BY channel_id, status').all() as Row[];
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
    return (this.stmt("SELECT * FROM deliveries WHERE status = 'failed' ORDER BY id DESC LIMIT ?").all(limit) as Row[]).map(toDelivery);
  }

  async recentDeliveries(opts: { status?: Delivery['status']; channelId?: string; limit: number }): Promise<Delivery[]> {
    const rows = this.stmt(
      'SELECT * FROM deliveries WHERE (? IS NULL OR status = ?) AND (? IS NULL OR channel_id = ?) ORDER BY id DESC LIMIT ?',
    ).all(opts.status ?? null, opts.status ?? null, opts.channelId ?? null, opts.channelId ?? null, opts.limit) as Row[];
    return rows.map(toDelivery);
  }

  async nextAttemptAt(channelId: string): Promise<string | undefined> {
    return opt(this.stmt("SELECT MIN(next_attempt_at) FROM deliveries WHERE channel_id = ? AND status = 'pending'").pluck().get(channelId));
  }

  // ── approvals ─────────────────────────────────────────────────────────

  private toApproval(r: Row): Approval {
    return toApproval(r, (this.stmt('SELECT * FROM approval_events WHERE approval_id = ? ORDER BY id').all(r.id) as Row[]).map(toApprovalEvent));
  }


  private addEvent(approvalId: number, t: string, action: ApprovalEvent['action'], actor: Actor): void {
    this
      .stmt('INSERT INTO approval_events (approval_id, at, action, actor, actor_id, via) VALUES (?, ?, ?, ?, ?, ?)')
      .run(approvalId, t, action, actor.name, actor.id ?? null, actor.via);
  }

  /** Inside a transaction: the approval's id, created or existing. */
  private insertApproval(a: NewApproval, t: string): { id: number; created: boolean } {
    const ref = a.kind === 'post' ? a.articleId : a.scheduledAt;
    if (!ref) throw new Error(`an approval of kind ${a.kind} needs ${a.kind === 'post' ? 'articleId' : 'scheduledAt'}`);
    const r = this
      .stmt(
        `INSERT INTO approvals (channel_id, kind, ref, status, created_at, release_at, card_state) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (channel_id, kind, ref) DO NOTHING RETURNING id`,
      )
      .get(a.channelId, a.kind, ref, a.status, t, a.releaseAt ?? null, a.cards ? 'pending' : 'none') as Row | undefined;
    if (r) {
      this.addEvent(r.id as number, t, a.action, a.actor);
      if (a.withdrawPending && a.kind === 'post') this.withdrawPending(a.channelId, ref);
      return { id: r.id as number, created: true };
    }
    const existing = this.stmt('SELECT id FROM approvals WHERE channel_id = ? AND kind = ? AND ref = ?').get(a.channelId, a.kind, ref) as Row;
    return { id: existing.id as number, created: false };
  }

  /** A held article's deliveries not yet claimed leave the ledger; releasing it plans them again (same keys). */
  private withdrawPending(channelId: string, articleId: string): void {
    this.stmt("DELETE FROM deliveries WHERE channel_id = ? AND article_id = ? AND kind = 'post' AND status = 'pending'").run(channelId, articleId);
  }

  async createApproval(a: NewApproval, now: Date): Promise<{ approval: Approval; created: boolean }> {
    return this.db
      .transaction(() => {
        const { id, created } = this.insertApproval(a, iso(now));
        return { approval: this.toApproval(this.stmt('SELECT * FROM approvals WHERE id = ?').get(id) as Row), created };
      })
      .immediate();
  }

  async getApproval(id: number): Promise<Approval | undefined> {
    const r = this.stmt('SELECT * FROM approvals WHERE id = ?').get(id) as Row | undefined;
    return r && this.toApproval(r);
  }

  async findApproval(channelId: string, kind: 'post' | 'digest', ref: string): Promise<Approval | undefined> {
    const r = this.stmt('SELECT * FROM approvals WHERE channel_id = ? AND kind = ? AND ref = ?').get(channelId, kind, ref) as Row | undefined;
    return r && this.toApproval(r);
  }

  async postApprovals(channelId: string): Promise<Map<string, Approval>> {
    const rows = this.stmt("SELECT * FROM approvals WHERE channel_id = ? AND kind = 'post'").all(channelId) as Row[];
    return new Map(rows.map((r) => [r.ref as string, this.toApproval(r)]));
  }

  async approvalsForArticle(articleId: string): Promise<Approval[]> {
    return (this.stmt("SELECT * FROM approvals WHERE kind = 'post' AND ref = ? ORDER BY id").all(articleId) as Row[]).map((r) => this.toApproval(r));
  }

  async openApprovals(): Promise<Approval[]> {
    return (this.stmt("SELECT * FROM approvals WHERE status IN ('awaiting', 'held') ORDER BY id").all() as Row[]).map((r) => this.toApproval(r));
  }

  async decideApproval(id: number, change: ApprovalChange, now: Date): Promise<Approval | undefined> {
    const t = iso(now);
    return this.db
      .transaction(() => {
        const row = this.stmt('SELECT * FROM approvals WHERE id = ?').get(id) as Row | undefined;
        if (!row || !change.from.includes(row.status as Approval['status'])) return undefined;
        this.stmt('UPDATE approvals SET status = ? WHERE id = ?').run(change.to, id);
        this.addEvent(id, t, change.action, change.actor);
        if (change.withdrawPending && row.kind === 'post') this.withdrawPending(row.channel_id as string, row.ref as string);
        if (change.plan) this.writePlan({ ...change.plan, plannedApprovals: [...(change.plan.plannedApprovals ?? []), id] }, t);
        return this.toApproval(this.stmt('SELECT * FROM approvals WHERE id = ?').get(id) as Row);
      })
      .immediate();
  }

  async markApprovalPlanned(id: number, now: Date, digestId?: number): Promise<void> {
    this.stmt('UPDATE approvals SET planned_at = COALESCE(planned_at, ?), digest_id = COALESCE(?, digest_id) WHERE id = ?').run(iso(now), digestId ?? null, id);
  }

  async dueApprovals(now: Date): Promise<Approval[]> {
    const rows = this.stmt("SELECT * FROM approvals WHERE status = 'awaiting' AND release_at IS NOT NULL AND release_at <= ? ORDER BY release_at, id").all(iso(now)) as Row[];
    return rows.map((r) => this.toApproval(r));
  }

  async releasedUnplanned(channelId: string): Promise<Approval[]> {
    const rows = this.stmt("SELECT * FROM approvals WHERE channel_id = ? AND kind = 'post' AND status = 'released' AND planned_at IS NULL ORDER BY id").all(channelId) as Row[];
    return rows.map((r) => this.toApproval(r));
  }

  async nextReleaseAt(): Promise<string | undefined> {
    return opt(this.stmt("SELECT MIN(release_at) FROM approvals WHERE status = 'awaiting' AND release_at IS NOT NULL").pluck().get());
  }

  async claimApprovalCards(now: Date, leaseMs: number): Promise<Approval[]> {
    const t = iso(now);
    const stale = iso(new Date(now.getTime() - leaseMs));
    const rows = this
      .stmt(
        `UPDATE approvals SET card_state = 'posting', card_claimed_at = ?
         WHERE card_state = 'pending' OR (card_state = 'posting' AND card_claimed_at < ?) RETURNING *`,
      )
      .all(t, stale) as Row[];
    return rows.map((r) => this.toApproval(r)).sort((a, b) => a.id - b.id);
  }

  async setApprovalCards(id: number, cards: ApprovalCardRef[], state: 'posted' | 'pending', now: Date): Promise<void> {
    this
      .stmt('UPDATE approvals SET cards = ?, card_state = ?, card_claimed_at = NULL, cards_signed_at = ? WHERE id = ?')
      .run(JSON.stringify(cards), state, state === 'posted' ? iso(now) : null, id);
  }

  async touchApprovalCards(id: number, now: Date): Promise<void> {
    this.stmt('UPDATE approvals SET cards_signed_at = ? WHERE id = ?').run(iso(now), id);
  }

  async staleApprovalCards(before: Date): Promise<Approval[]> {
    const rows = this
      .stmt("SELECT * FROM approvals WHERE status IN ('awaiting', 'held') AND card_state = 'posted' AND cards_signed_at < ? ORDER BY id")
      .all(iso(before)) as Row[];
    return rows.map((r) => this.toApproval(r));
  }

  // ── editors' chats ────────────────────────────────────────────────────

  async takeChatUpdate(source: string, updateId: number, body: unknown, now: Date): Promise<boolean> {
    return (
      this.stmt('INSERT INTO chat_updates (source, update_id, body, taken_at) VALUES (?, ?, ?, ?) ON CONFLICT (source, update_id) DO NOTHING').run(
        source,
        updateId,
        JSON.stringify(body),
        iso(now),
      ).changes === 1
    );
  }

  async finishChatUpdate(source: string, updateId: number, now: Date): Promise<void> {
    this.stmt('UPDATE chat_updates SET done_at = ? WHERE source = ? AND update_id = ?').run(iso(now), source, updateId);
  }

  async unfinishedChatUpdates(source: string): Promise<Array<{ updateId: number; body: unknown }>> {
    const rows = this.stmt('SELECT update_id, body FROM chat_updates WHERE source = ? AND done_at IS NULL ORDER BY update_id').all(source) as Row[];
    return rows.map((r) => ({ updateId: r.update_id as number, body: JSON.parse(r.body as string) as unknown }));
  }

  async chatCursor(source: string): Promise<number | undefined> {
    const max = this.stmt('SELECT MAX(update_id) FROM chat_updates WHERE source = ?').pluck().get(source);
    return typeof max === 'number' ? max + 1 : undefined;
  }

  async pruneChatUpdates(source: string, before: Date): Promise<void> {
    // The newest stays, whatever its age: it carries the offset.
    this
      .stmt('DELETE FROM chat_updates WHERE source = ? AND done_at IS NOT NULL AND taken_at < ? AND update_id < (SELECT MAX(update_id) FROM chat_updates WHERE source = ?)')
      .run(source, iso(before), source);
  }

  private toChatAction(r: Row): ChatAction {
    return {
      id: r.id as number,
      kind: r.kind as string,
      data: JSON.parse(r.data as string) as Record<string, unknown>,
      createdAt: r.created_at as string,
      usedAt: opt(r.used_at),
      usedBy: opt(r.used_by),
    };
  }

  async createChatAction(kind: string, data: Record<string, unknown>, now: Date): Promise<number> {
    return Number(this.stmt('INSERT INTO chat_actions (kind, data, created_at) VALUES (?, ?, ?)').run(kind, JSON.stringify(data), iso(now)).lastInsertRowid);
  }

  async getChatAction(id: number): Promise<ChatAction | undefined> {
    const r = this.stmt('SELECT * FROM chat_actions WHERE id = ?').get(id) as Row | undefined;
    return r && this.toChatAction(r);
  }

  async takeChatAction(id: number, by: string, now: Date): Promise<ChatAction | undefined> {
    const r = this.stmt('UPDATE chat_actions SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL RETURNING *').get(iso(now), by, id) as Row | undefined;
    return r && this.toChatAction(r);
  }

  // ── subscribers ───────────────────────────────────────────────────────

  async getSubscriber(email: string): Promise<Subscriber | undefined> {
    const r = this.stmt('SELECT * FROM subscribers WHERE email_key = ?').get(email.trim().toLowerCase()) as Row | undefined;
    return r && toSubscriber(r);
  }

  async getSubscriberById(id: number): Promise<Subscriber | undefined> {
    const r = this.row(id);
    return r && toSubscriber(r);
  }

  async subscribersByIds(ids: number[]): Promise<Map<number, Subscriber>> {
    const out = new Map<number, Subscriber>();
    if (ids.length === 0) return out;
    const rows = this.stmt('SELECT s.* FROM subscribers s JOIN json_each(?) j ON s.id = j.value').all(JSON.stringify(ids)) as Row[];
    for (const r of rows) out.set(r.id as number, toSubscriber(r));
    return out;
  }

  async subscribersByEmails(emails: string[]): Promise<Map<string, Subscriber>> {
    const out = new Map<string, Subscriber>();
    if (emails.length === 0) return out;
    const keys = [...new Set(emails.map((e) => e.trim().toLowerCase()))];
    const rows = this.stmt('SELECT s.* FROM subscribers s JOIN json_each(?) j ON s.email_key = j.value').all(JSON.stringify(keys)) as Row[];
    for (const r of rows) out.set(r.email_key as string, toSubscriber(r));
    return out;
  }

  async getSubscriberByPublicId(publicId: string): Promise<Subscriber | undefined> {
    const r = this.stmt('SELECT * FROM subscribers WHERE public_id = ?').get(publicId) as Row | undefined;
    return r && toSubscriber(r);
  }

  private row(id: number): Row | undefined {
    return this.stmt('SELECT * FROM subscribers WHERE id = ?').get(id) as Row | undefined;
  }

  /** One consent record, in the caller's transaction. */
  private recordEvent(subscriberId: number, from: SubscriberStatus | null, to: SubscriberStatus, t: string, by: ConsentContext): void {
    this.stmt('INSERT INTO subscriber_events (subscriber_id, at, from_status, to_status, source, ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      subscriberId,
      t,
      from,
      to,
      by.source,
      by.ip ?? null,
      by.detail ?? null,
    );
  }

  /**
   * Every status change goes through here, inside the caller's transaction: the new status,
   * its consent record and, when it stops email, the unsubscribe time and source and the
   * cancelled deliveries. Returns the updated row.
   */
  private changeStatus(row: Row, to: SubscriberStatus, t: string, by: ConsentContext): Row {
    const id = row.id as number;
    const from = row.status as SubscriberStatus;
    if (from === to) return row;
    if (isSuppressed(to)) {
      this.stmt('UPDATE subscribers SET status = ?, unsubscribed_at = ?, unsubscribe_source = ?, updated_at = ? WHERE id = ?').run(to, t, by.source, t, id);
      this.cancelPending(id, to);
    } else {
      this.stmt('UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?').run(to, t, id);
    }
    this.recordEvent(id, from, to, t, by);
    return this.row(id) as Row;
  }

  /** A new subscriber and its first consent record. */
  private insertSubscriber(email: string, name: string | null, topics: string[], status: SubscriberStatus, t: string, by: ConsentContext, language?: string): Row {
    const publicId = randomBytes(12).toString('base64url');
    const suppressed = isSuppressed(status);
    const r = this
      .stmt(
        `INSERT INTO subscribers (public_id, email, email_key, name, topics, language, status, created_at, updated_at, unsubscribed_at, unsubscribe_source)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(publicId, email, email.toLowerCase(), name, JSON.stringify(topics), language ?? null, status, t, t, suppressed ? t : null, suppressed ? by.source : null) as Row;
    this.recordEvent(r.id as number, null, status, t, by);
    return r;
  }

  private upsertOne(s: SubscriberUpsert, t: string, by: ConsentContext): { subscriber: Subscriber; created: boolean } {
    const email = s.email.trim();
    const existing = this.stmt('SELECT * FROM subscribers WHERE email_key = ?').get(email.toLowerCase()) as Row | undefined;
    if (!existing) {
      const row = this.insertSubscriber(email, s.name ?? null, s.topics ?? [], s.status ?? 'active', t, by, s.language);
      if (s.alerts) this.stmt('UPDATE subscribers SET alerts = 1 WHERE id = ?').run(row.id);
      return { subscriber: toSubscriber(s.alerts ? (this.row(row.id as number) as Row) : row), created: true };
    }
    const current = existing.status as SubscriberStatus;
    // Checked against the row as it is now: a status the caller saw may have changed since.
    const allowed = s.status !== undefined && (!s.ifStatusIn || s.ifStatusIn.includes(current)) && !isSuppressed(current);
    this
      .stmt('UPDATE subscribers SET name = COALESCE(?, name), topics = COALESCE(?, topics), language = COALESCE(?, language), alerts = COALESCE(?, alerts), updated_at = ? WHERE id = ?')
      .run(s.name ?? null, s.topics ? JSON.stringify(s.topics) : null, s.language ?? null, s.alerts === undefined ? null : s.alerts ? 1 : 0, t, existing.id);
    const updated = this.row(existing.id as number) as Row;
    return { subscriber: toSubscriber(allowed && s.status ? this.changeStatus(updated, s.status, t, by) : updated), created: false };
  }

  async upsertSubscriber(s: SubscriberUpsert, now: Date, by: ConsentContext = { source: 'editor' }): Promise<{ subscriber: Subscriber; created: boolean }> {
    return this.db.transaction(() => this.upsertOne(s, iso(now), by)).immediate();
  }

  async upsertSubscribers(rows: Array<SubscriberUpsert & { detail?: string }>, now: Date, by: ConsentContext): Promise<Array<{ subscriber: Subscriber; created: boolean }>> {
    const t = iso(now);
    return this.db
      .transaction(() => rows.map(({ detail, ...s }) => this.upsertOne(s, t, detail === undefined ? by : { ...by, detail: by.detail ? `${by.detail}, ${detail}` : detail })))
      .immediate();
  }

  async removeSubscriber(email: string): Promise<boolean> {
    const key = email.trim().toLowerCase();
    return this.db
      .transaction(() => {
        const row = this.stmt('SELECT id FROM subscribers WHERE email_key = ?').get(key) as Row | undefined;
        if (!row) return false;
        // Keep the ledger's history readable but stop anything still pending for them.
        this.stmt("UPDATE deliveries SET status = 'failed', last_error = 'subscriber removed' WHERE subscriber_id = ? AND status = 'pending'").run(row.id);
        this.stmt('UPDATE deliveries SET subscriber_id = NULL WHERE subscriber_id = ?').run(row.id);
        // Removing is erasing: their consent history, requests and sends go with them.
        for (const table of ['subscriber_events', 'resubscribe_requests', 'confirmation_sends', 'bounce_events']) this.stmt(`DELETE FROM ${table} WHERE subscriber_id = ?`).run(row.id);
        this.stmt('DELETE FROM subscribers WHERE id = ?').run(row.id);
        return true;
      })
      .immediate();
  }

  async setSubscriberStatus(id: number, status: SubscriberStatus, now: Date, by: ConsentContext = { source: 'editor' }): Promise<boolean> {
    return this.db
      .transaction(() => {
        const row = this.row(id);
        if (!row) return false;
        const current = row.status as SubscriberStatus;
        if (current === status) return true;
        if (isSuppressed(current) && !isSuppressed(status)) return false;
        this.changeStatus(row, status, iso(now), by);
        return true;
      })
      .immediate();
  }

  async subscribers(opts: { status?: SubscriberStatus; afterId?: number; limit?: number } = {}): Promise<Subscriber[]> {
    const limit = opts.limit ?? 1_000_000;
    const rows = opts.status
      ? this.stmt('SELECT * FROM subscribers WHERE status = ? AND id > ? ORDER BY id LIMIT ?').all(opts.status, opts.afterId ?? 0, limit)
      : this.stmt('SELECT * FROM subscribers WHERE id > ? ORDER BY id LIMIT ?').all(opts.afterId ?? 0, limit);
    return (rows as Row[]).map(toSubscriber);
  }

  async searchSubscribers(query: string, limit: number): Promise<Subscriber[]> {
    const like = `%${query.trim().toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = this.stmt("SELECT * FROM subscribers WHERE email_key LIKE ? ESCAPE '\\' OR lower(name) LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?").all(like, like, limit) as Row[];
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
    return this.db
      .transaction(() => {
        const row = this.stmt('SELECT * FROM subscribers WHERE email_key = ?').get(email.toLowerCase()) as Row | undefined;
        if (!row) {
          const r = this.insertSubscriber(email, s.name ?? null, s.topics, 'pending', t, { ...by, source: 'signup' }, s.language);
          return { subscriber: toSubscriber(r), outcome: 'created' as const };
        }
        const status = row.status as SubscriberStatus;
        // Anyone can submit any address: an existing subscriber's status and choices are never touched here.
        if (status === 'pending' || status === 'active' || status === 'bounced') return { subscriber: toSubscriber(row), outcome: status };
        const id = row.id as number;
        const request = this
          .stmt('INSERT INTO resubscribe_requests (subscriber_id, requested_at, name, topics, language, ip) VALUES (?, ?, ?, ?, ?, ?) RETURNING id')
          .pluck()
          .get(id, t, s.name ?? null, JSON.stringify(s.topics), s.language ?? null, by.ip ?? null) as number;
        this.recordEvent(id, status, status, t, { ...by, source: 'signup', detail: `asked to subscribe again (request #${request}); ${status} until its link is followed` });
        return { subscriber: toSubscriber(row), outcome: 'requested' as const, requestId: request };
      })
      .immediate();
  }

  async claimConfirmationSend(id: number, now: Date, limits: ConfirmationLimits): Promise<'ok' | 'throttled' | 'capped'> {
    const t = iso(now);
    const earliest = iso(new Date(now.getTime() - limits.minIntervalMs));
    const dayAgo = iso(new Date(now.getTime() - 24 * 3_600_000));
    return this.db
      .transaction(() => {
        const last = this.stmt('SELECT confirm_sent_at FROM subscribers WHERE id = ?').pluck().get(id) as string | null | undefined;
        if (last === undefined) return 'throttled' as const;
        if (last !== null && last > earliest) return 'throttled' as const;
        this.stmt('DELETE FROM confirmation_sends WHERE subscriber_id = ? AND sent_at <= ?').run(id, dayAgo);
        const recent = this.stmt('SELECT COUNT(*) FROM confirmation_sends WHERE subscriber_id = ?').pluck().get(id) as number;
        if (recent >= limits.maxPerDay) return 'capped' as const;
        this.stmt('INSERT INTO confirmation_sends (subscriber_id, sent_at) VALUES (?, ?)').run(id, t);
        this.stmt('UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?').run(t, id);
        return 'ok' as const;
      })
      .immediate();
  }

  async releaseConfirmationSend(id: number, claimedAt: Date): Promise<void> {
    const t = iso(claimedAt);
    this.db
      .transaction(() => {
        this.stmt('DELETE FROM confirmation_sends WHERE rowid = (SELECT rowid FROM confirmation_sends WHERE subscriber_id = ? AND sent_at = ? LIMIT 1)').run(id, t);
        this.stmt('UPDATE subscribers SET confirm_sent_at = NULL WHERE id = ? AND confirm_sent_at = ?').run(id, t);
      })
      .immediate();
  }

  /** What a confirmation link would do to this row, and the request it would complete. */
  private judgeConfirmation(row: Row, link: ConfirmLink): { outcome: 'confirmable' | 'already' | 'stale'; request?: Row } {
    const status = row.status as SubscriberStatus;
    if (status === 'active') return { outcome: 'already' };
    const unsubscribedAt = row.unsubscribed_at as string | null;
    if (link.requestId === undefined) {
      // A link from before the last unsubscribe never confirms; a suppressed address needs a request's link.
      const fresh = unsubscribedAt === null || link.issuedAt.getTime() > Date.parse(unsubscribedAt);
      return { outcome: status === 'pending' && fresh ? 'confirmable' : 'stale' };
    }
    const request = this.stmt('SELECT * FROM resubscribe_requests WHERE id = ? AND subscriber_id = ?').get(link.requestId, row.id) as Row | undefined;
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
    const row = this.row(id);
    if (!row) return undefined;
    const { outcome, request } = this.judgeConfirmation(row, link);
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
    return this.db
      .transaction(() => {
        const row = this.row(id);
        if (!row) return undefined;
        const { outcome, request } = this.judgeConfirmation(row, link);
        if (outcome !== 'confirmable') return { subscriber: toSubscriber(row), outcome };
        const t = iso(now);
        if (request) {
          // The request's own choices; an empty name keeps the one on record.
          this
            .stmt('UPDATE subscribers SET name = COALESCE(?, name), topics = ?, language = COALESCE(?, language), paused = 0, confirmed_at = ?, updated_at = ? WHERE id = ?')
            .run(request.name, request.topics, request.language, t, t, id);
          this.stmt('UPDATE resubscribe_requests SET confirmed_at = ? WHERE id = ?').run(t, request.id);
        } else {
          this.stmt('UPDATE subscribers SET paused = 0, confirmed_at = ?, updated_at = ? WHERE id = ?').run(t, t, id);
        }
        const detail = request ? `re-subscription request #${request.id as number}` : undefined;
        const r = this.changeStatus(this.row(id) as Row, 'active', t, { ...by, source: 'confirm', detail });
        return { subscriber: toSubscriber(r), outcome: 'confirmed' as const };
      })
      .immediate();
  }

  async unsubscribe(id: number, now: Date, by: ConsentContext): Promise<{ subscriber: Subscriber; cancelled: number } | undefined> {
    return this.db
      .transaction(() => {
        const row = this.row(id);
        if (!row) return undefined;
        // A repeat keeps the first unsubscribe's time and source; a bounce or complaint stays on record.
        let cancelled = 0;
        if (!isSuppressed(row.status as SubscriberStatus)) {
          const before = this.stmt("SELECT COUNT(*) FROM deliveries WHERE subscriber_id = ? AND status = 'pending'").pluck().get(id) as number;
          this.changeStatus(row, 'unsubscribed', iso(now), by);
          cancelled = before;
        } else {
          cancelled = this.cancelPending(id, 'unsubscribed');
        }
        return { subscriber: toSubscriber(this.row(id) as Row), cancelled };
      })
      .immediate();
  }

  async updatePreferences(id: number, p: { name: string | null; topics: string[]; paused: boolean; alerts?: boolean }, now: Date): Promise<Subscriber | undefined> {
    return this.db
      .transaction(() => {
        const r = this
          .stmt('UPDATE subscribers SET name = ?, topics = ?, paused = ?, alerts = COALESCE(?, alerts), updated_at = ? WHERE id = ? RETURNING *')
          .get(p.name, JSON.stringify(p.topics), p.paused ? 1 : 0, p.alerts === undefined ? null : p.alerts ? 1 : 0, iso(now), id) as Row | undefined;
        if (!r) return undefined;
        if (p.paused) this.cancelPending(id, 'paused');
        return toSubscriber(r);
      })
      .immediate();
  }

  async cancelPendingDeliveries(subscriberId: number, reason: string, _now: Date): Promise<number> {
    return this.cancelPending(subscriberId, reason);
  }

  /** 'sending' rows are already on the wire; the send loop skips a reader who is no longer active. */
  private cancelPending(subscriberId: number, reason: string): number {
    return this.stmt("UPDATE deliveries SET status = 'failed', last_error = ?, claimed_by = NULL WHERE subscriber_id = ? AND status = 'pending'").run(
      reason,
      subscriberId,
    ).changes;
  }

  // ── bounces and complaints ──────────────────────────────────────────────

  async recordBounce(e: NewBounceEvent, policy: BouncePolicy, now: Date): Promise<{ event: BounceEvent; duplicate: boolean }> {
    const t = iso(now);
    return this.db
      .transaction(() => {
        const seen = this.stmt('SELECT * FROM bounce_events WHERE event_key = ?').get(e.key) as Row | undefined;
        if (seen) return { event: toBounceEvent(seen), duplicate: true };
        const delivery = e.deliveryId === undefined ? undefined : (this.stmt('SELECT id, channel_id, subscriber_id FROM deliveries WHERE id = ?').get(e.deliveryId) as Row | undefined);
        const subscriberId = (delivery?.subscriber_id as number | null | undefined) ?? e.subscriberId;
        const subscriber = subscriberId === undefined ? undefined : this.row(subscriberId);
        const r = this
          .stmt(
            `INSERT INTO bounce_events (event_key, at, source, type, code, diagnostic, recipient, delivery_id, channel_id, subscriber_id, unmatched)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          )
          .get(
            e.key,
            t,
            e.source,
            e.type,
            e.code ?? null,
            e.diagnostic ?? null,
            e.recipient ?? null,
            delivery ? (delivery.id as number) : null,
            delivery ? (delivery.channel_id as string) : null,
            subscriber ? (subscriber.id as number) : null,
            e.unmatched ?? (subscriber ? null : 'no subscriber'),
          ) as Row;
        if (!subscriber || isSuppressed(subscriber.status as SubscriberStatus)) return { event: toBounceEvent(r), duplicate: false };
        const to = this.bounceVerdict(subscriber, e.type, policy, now);
        if (!to) return { event: toBounceEvent(r), duplicate: false };
        const what = `${e.type === 'complaint' ? 'complaint' : e.type === 'unsubscribe' ? 'unsubscribe' : `${e.type} bounce`} via ${e.source}`;
        const detail = [what, e.code, e.diagnostic?.slice(0, 200)].filter(Boolean).join(': ');
        this.changeStatus(subscriber, to, t, { source: e.type === 'complaint' ? 'complaint' : e.type === 'unsubscribe' ? 'provider' : 'bounce', detail });
        const updated = this.stmt('UPDATE bounce_events SET applied = ? WHERE id = ? RETURNING *').get(to, r.id) as Row;
        return { event: toBounceEvent(updated), duplicate: false };
      })
      .immediate();
  }

  /** What the just-recorded event does to an active or pending subscriber under the policy. */
  private bounceVerdict(subscriber: Row, type: NewBounceEvent['type'], policy: BouncePolicy, now: Date): SubscriberStatus | undefined {
    if (type === 'complaint') return 'complained';
    if (type === 'unsubscribe') return 'unsubscribed';
    if (type === 'unknown') return undefined;
    const id = subscriber.id as number;
    // Bounces from before an editor took the address back do not count again.
    const back = this.stmt("SELECT MAX(at) FROM subscriber_events WHERE subscriber_id = ? AND to_status = 'active' AND from_status = 'bounced'").pluck().get(id) as string | null;
    const windowStart = type === 'soft' ? iso(new Date(now.getTime() - policy.softWindowMs)) : '';
    const since = back !== null && back > windowStart ? back : windowStart;
    // One per email: a soft-bounced delivery retried five times is one soft bounce.
    const n = this
      .stmt("SELECT COUNT(DISTINCT COALESCE('d' || delivery_id, 'e' || id)) FROM bounce_events WHERE subscriber_id = ? AND type = ? AND at >= ?")
      .pluck()
      .get(id, type, since) as number;
    return n >= (type === 'hard' ? policy.hard : policy.soft) ? 'bounced' : undefined;
  }

  async bounceEvents(opts: { subscriberId?: number; limit?: number } = {}): Promise<BounceEvent[]> {
    const limit = opts.limit ?? 1000;
    const rows =
      opts.subscriberId === undefined
        ? this.stmt('SELECT * FROM bounce_events ORDER BY id DESC LIMIT ?').all(limit)
        : this.stmt('SELECT * FROM bounce_events WHERE subscriber_id = ? ORDER BY id DESC LIMIT ?').all(opts.subscriberId, limit);
    return (rows as Row[]).map(toBounceEvent);
  }

  async bounceStats(channelId: string, scope: { digestId: number } | { since: Date }): Promise<BounceStats> {
    const inScope =
      'digestId' in scope
        ? 'SELECT id, status FROM deliveries WHERE channel_id = @channel AND digest_id = @digest'
        : 'SELECT id, status FROM deliveries WHERE channel_id = @channel AND COALESCE(sent_at, created_at) >= @since';
    const params = { channel: channelId, digest: 'digestId' in scope ? scope.digestId : null, since: 'digestId' in scope ? null : iso(scope.since) };
    const r = this
      .stmt(
        `WITH d AS (${inScope}),
              b AS (SELECT delivery_id, MAX(type IN ('hard','soft')) AS bounced, MAX(type = 'complaint') AS complained
                    FROM bounce_events WHERE delivery_id IN (SELECT id FROM d) GROUP BY delivery_id)
         SELECT (SELECT COUNT(*) FROM d WHERE status = 'sent' OR id IN (SELECT delivery_id FROM b WHERE bounced)) AS sent,
                (SELECT COUNT(*) FROM b WHERE bounced) AS bounced,
                (SELECT COUNT(*) FROM b WHERE complained) AS complained`,
      )
      .get(params) as Row;
    return { sent: r.sent as number, bounced: r.bounced as number, complained: r.complained as number };
  }

  async findDelivery(ref: { id?: number; messageId?: string; providerMessageId?: string }): Promise<Delivery | undefined> {
    const r =
      ref.id !== undefined
        ? this.stmt('SELECT * FROM deliveries WHERE id = ?').get(ref.id)
        : ref.messageId !== undefined
          ? this.stmt('SELECT * FROM deliveries WHERE message_id = ? ORDER BY id LIMIT 1').get(ref.messageId)
          : ref.providerMessageId !== undefined
            ? this.stmt('SELECT * FROM deliveries WHERE provider_message_id = ? ORDER BY id LIMIT 1').get(ref.providerMessageId)
            : undefined;
    return r ? toDelivery(r as Row) : undefined;
  }

  async reactivateSubscriber(id: number, now: Date, by: ConsentContext): Promise<boolean> {
    return this.db
      .transaction(() => {
        const row = this.row(id);
        if (row === undefined) return false;
        if (row.status !== 'bounced') return false;
        this.changeStatus(row, 'active', iso(now), by);
        return true;
      })
      .immediate();
  }

  async consentHistory(subscriberId: number): Promise<ConsentEvent[]> {
    return (this.stmt('SELECT * FROM subscriber_events WHERE subscriber_id = ? ORDER BY id').all(subscriberId) as Row[]).map(toConsentEvent);
  }

  async consentEvents(opts: { afterId?: number; limit?: number } = {}): Promise<ConsentEvent[]> {
    const rows = this
      .stmt('SELECT e.*, s.email FROM subscriber_events e JOIN subscribers s ON s.id = e.subscriber_id WHERE e.id > ? ORDER BY e.id LIMIT ?')
      .all(opts.afterId ?? 0, opts.limit ?? 1000) as Row[];
    return rows.map(toConsentEvent);
  }

  async subscriberCounts(): Promise<Record<SubscriberStatus, number>> {
    const out: Record<SubscriberStatus, number> = { pending: 0, active: 0, unsubscribed: 0, bounced: 0, complained: 0 };
    for (const r of this.stmt('SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status').all() as Row[]) out[r.status as SubscriberStatus] = r.n as number;
    return out;
  }
}

export async function openStore(url: string | { path: string }): Promise<SqliteStore> {
  const file = typeof url === 'string' ? url.replace(/^sqlite:/, '') : url.path;
  const store = new SqliteStore(file);
  await store.migrate();
  return store;
}

/** A subscriber as planning reads it (see writePlan): id, public_id, email, topics, language, alerts. */
type FanoutRow = [number, string, string, string, string | null, number];

/**
 * The INSERT of `rows` deliveries of one fan-out, FANOUT_COLUMNS values each (subscriber id for
 * the dedupe key, subscriber id, recipient, variant, Message-ID), in subscriber order. What is
 * the same for every row (channel, kind, article, digest, time, the dedupe key's prefix) is
 * written into the statement as SQL literals instead of bound again for each row (11 values a
 * row before: binding was a tenth of planning). Prepared per fan-out (two sizes at most), not
 * kept: the literals differ from one fan-out to the next.
 */
function fanoutInsert(db: Database.Database, f: SubscriberFanout, t: string): (rows: number) => Database.Statement {
  const row = `(${sqlText(`${f.dedupePrefix}:`)} || ?, ${sqlText(f.channelId)}, ${sqlText(f.kind)}, ${f.articleId === undefined ? 'NULL' : sqlText(f.articleId)}, ${f.digestId === undefined ? 'NULL' : sqlInteger(f.digestId)}, ?, ?, ?, 'pending', 0, ${sqlText(t)}, ?, 0, ${sqlText(t)})`;
  const made = new Map<number, Database.Statement>();
  return (rows) => {
    let st = made.get(rows);
    if (!st) {
      st = db.prepare(
        `INSERT INTO deliveries (dedupe_key, channel_id, kind, article_id, digest_id, subscriber_id, recipient, variant, status, attempts, next_attempt_at, message_id, manual, created_at)
         VALUES ${Array.from({ length: rows }, () => row).join(', ')} ON CONFLICT (dedupe_key) DO NOTHING`,
      );
      made.set(rows, st);
    }
    return st;
  };
}

/** A string as an SQL literal (quotes doubled: SQLite's only escape). */
const sqlText = (v: string) => `'${v.replaceAll("'", "''")}'`;

function sqlInteger(v: number): string {
  if (!Number.isSafeInteger(v)) throw new TypeError(`expected an integer id, got ${v}`);
  return String(v);
}
