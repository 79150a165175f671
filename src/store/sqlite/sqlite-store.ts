import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Article } from '../../content/article.ts';
import type {
  ChannelPlan,
  ChannelState,
  Decision,
  Delivery,
  DeliveryCounts,
  DeliverySummary,
  Digest,
  StoredArticle,
  Store,
  ConfirmOutcome,
  SignUpOutcome,
  Subscriber,
  SubscriberStatus,
} from '../types.ts';
import { migrations } from './migrations.ts';

type Row = Record<string, unknown>;
const iso = (d: Date) => d.toISOString();
const opt = <T>(v: unknown) => (v === null || v === undefined ? undefined : (v as T));

function toDelivery(r: Row): Delivery {
  return {
    id: r.id as number,
    channelId: r.channel_id as string,
    kind: r.kind as Delivery['kind'],
    articleId: opt(r.article_id),
    digestId: opt(r.digest_id),
    subscriberId: opt(r.subscriber_id),
    recipient: r.recipient as string,
    variant: opt(r.variant),
    status: r.status as Delivery['status'],
    attempts: r.attempts as number,
    nextAttemptAt: r.next_attempt_at as string,
    lastError: opt(r.last_error),
    providerMessageId: opt(r.provider_message_id),
    messageId: opt(r.message_id),
    manual: r.manual === 1,
    createdAt: r.created_at as string,
    sentAt: opt(r.sent_at),
    claimedBy: opt(r.claimed_by),
  };
}

function toSubscriber(r: Row): Subscriber {
  return {
    id: r.id as number,
    publicId: r.public_id as string,
    email: r.email as string,
    name: opt(r.name),
    topics: JSON.parse(r.topics as string) as string[],
    language: opt(r.language),
    status: r.status as SubscriberStatus,
    paused: r.paused === 1,
    confirmSentAt: opt(r.confirm_sent_at),
    confirmedAt: opt(r.confirmed_at),
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

/** The identity of an article's row: its language and its file. */
function sourceKey(a: Pick<Article, 'file' | 'language'>): string {
  return JSON.stringify([a.language, a.file]);
}

function toDigest(r: Row): Digest {
  return {
    id: r.id as number,
    channelId: r.channel_id as string,
    createdAt: r.created_at as string,
    articleIds: JSON.parse(r.article_ids as string) as string[],
    status: r.status as Digest['status'],
  };
}

const FANOUT_PAGE = 1000;

export class SqliteStore implements Store {
  readonly db: Database.Database;

  constructor(readonly file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file, { timeout: 15_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
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
      this.db.exec(m.sql);
      this.stmt('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, iso(new Date()));
    });
    for (const m of migrations) apply.immediate(m);
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
    const seen = this.stmt('UPDATE articles SET last_seen_at = ?, gone_at = NULL WHERE id = ?');
    let ids = new Map<string, string>();
    this.db
      .transaction(() => {
        // Identified inside the write lock, so two processes never give one file two ids.
        ids = this.identify(articles, defaultLanguage);
        const current = new Set<string>();
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
          else seen.run(t, id);
        }
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
    const byKey = new Map<string, string>();
    const legacyByFile = new Map<string, string[]>();
    const legacyByUrl = new Map<string, string[]>();
    const taken = new Map<string, string | null>();
    for (const r of rows) {
      taken.set(r.id as string, (r.source_key as string | null) ?? null);
      if (r.source_key) byKey.set(r.source_key as string, r.id as string);
      else {
        legacyByFile.set(r.file as string, [...(legacyByFile.get(r.file as string) ?? []), r.id as string]);
        if (r.url) legacyByUrl.set(r.url as string, [...(legacyByUrl.get(r.url as string) ?? []), r.id as string]);
      }
    }
    const ids = new Map<string, string>();
    const assigned = new Set<string>();
    const claim = (list: string[] | undefined): string | undefined => {
      while (list && list.length > 0) {
        const id = list.shift() as string;
        if (!assigned.has(id)) return id;
      }
      return undefined;
    };
    // The default language's articles claim a row from before first: that was the only language then.
    const order = [...articles].sort((a, b) => Number(b.language === defaultLanguage) - Number(a.language === defaultLanguage));
    const pending: typeof articles = [];
    // A row from before is matched by its file, else (the content folder moved) by its link.
    for (const pass of ['key', 'file', 'url'] as const) {
      const rest: typeof articles = [];
      for (const a of pass === 'key' ? order : pending.splice(0)) {
        const key = sourceKey(a);
        const id = pass === 'key' ? byKey.get(key) : pass === 'file' ? claim(legacyByFile.get(a.file)) : a.url ? claim(legacyByUrl.get(a.url)) : undefined;
        if (id === undefined) {
          rest.push(a);
          continue;
        }
        taken.set(id, key);
        assigned.add(id);
        if (id !== a.id) ids.set(a.id, id);
      }
      pending.push(...rest);
    }
    for (const a of pending) {
      const key = sourceKey(a);
      let id = a.id;
      // Someone else's id (another file's row, or one given out in this scan): add a suffix.
      for (let n = 2; assigned.has(id) || (taken.has(id) && taken.get(id) !== key); n++) id = `${a.id}~${n}`;
      assigned.add(id);
      if (id !== a.id) ids.set(a.id, id);
    }
    return ids;
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
    const t = iso(now);
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
    // Paused readers keep their choices but get nothing planned for them.
    const page = this.stmt("SELECT * FROM subscribers WHERE status = 'active' AND paused = 0 AND id > ? ORDER BY id LIMIT ?");
    let planned = 0;
    this.db
      .transaction(() => {
        if (plan.createChannelAt) this.stmt('INSERT OR IGNORE INTO channels (id, first_run_at) VALUES (?, ?)').run(plan.channelId, plan.createChannelAt);
        for (const d of plan.decisions) insDecision.run(plan.channelId, d.articleId, d.status, d.digestId ?? null, t);
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
          for (let after = 0; ; ) {
            const rows = page.all(after, FANOUT_PAGE) as Row[];
            if (rows.length === 0) break;
            for (const r of rows) {
              const s = toSubscriber(r);
              after = s.id;
              const variant = f.match(s);
              if (variant === null) continue;
              planned += insDelivery.run({
                dedupeKey: `${f.dedupePrefix}:${s.id}`,
                channelId: f.channelId,
                kind: f.kind,
                articleId: f.articleId ?? null,
                digestId: f.digestId ?? null,
                subscriberId: s.id,
                recipient: s.email,
                variant,
                messageId: f.messageId(s),
                manual: 0,
                t,
              }).changes;
            }
          }
        }
      })
      .immediate();
    return { planned };
  }

  async createDigest(channelId: string, articleIds: string[], now: Date): Promise<Digest | undefined> {
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
        this.stmt('UPDATE digests SET article_ids = ? WHERE id = ?').run(JSON.stringify(taken), id);
        return { id, channelId, createdAt: t, articleIds: taken, status: 'planning' as const };
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
    this
      .stmt("UPDATE deliveries SET status = 'pending', last_error = ?, next_attempt_at = ?, attempts = attempts - ?, claimed_by = NULL WHERE id = ?")
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

  // ── subscribers ───────────────────────────────────────────────────────

  async getSubscriber(email: string): Promise<Subscriber | undefined> {
    const r = this.stmt('SELECT * FROM subscribers WHERE email_key = ?').get(email.trim().toLowerCase()) as Row | undefined;
    return r && toSubscriber(r);
  }

  async getSubscriberById(id: number): Promise<Subscriber | undefined> {
    const r = this.stmt('SELECT * FROM subscribers WHERE id = ?').get(id) as Row | undefined;
    return r && toSubscriber(r);
  }

  async subscribersByIds(ids: number[]): Promise<Map<number, Subscriber>> {
    const out = new Map<number, Subscriber>();
    if (ids.length === 0) return out;
    const rows = this.stmt('SELECT s.* FROM subscribers s JOIN json_each(?) j ON s.id = j.value').all(JSON.stringify(ids)) as Row[];
    for (const r of rows) out.set(r.id as number, toSubscriber(r));
    return out;
  }

  async getSubscriberByPublicId(publicId: string): Promise<Subscriber | undefined> {
    const r = this.stmt('SELECT * FROM subscribers WHERE public_id = ?').get(publicId) as Row | undefined;
    return r && toSubscriber(r);
  }

  async upsertSubscriber(
    s: { email: string; name?: string; topics?: string[]; language?: string; status?: SubscriberStatus; ifStatusIn?: readonly SubscriberStatus[] },
    now: Date,
  ): Promise<{ subscriber: Subscriber; created: boolean }> {
    const t = iso(now);
    const email = s.email.trim();
    const key = email.toLowerCase();
    return this.db
      .transaction(() => {
        const existing = this.stmt('SELECT * FROM subscribers WHERE email_key = ?').get(key) as Row | undefined;
        if (existing) {
          const status = s.ifStatusIn && !s.ifStatusIn.includes(existing.status as SubscriberStatus) ? undefined : s.status;
          this
      .stmt('UPDATE subscribers SET name = COALESCE(?, name), topics = COALESCE(?, topics), language = COALESCE(?, language), status = COALESCE(?, status), updated_at = ? WHERE id = ?')
            .run(s.name ?? null, s.topics ? JSON.stringify(s.topics) : null, s.language ?? null, status ?? null, t, existing.id);
          return { subscriber: toSubscriber(this.stmt('SELECT * FROM subscribers WHERE id = ?').get(existing.id) as Row), created: false };
        }
        const publicId = randomBytes(12).toString('base64url');
        const r = this
      .stmt('INSERT INTO subscribers (public_id, email, email_key, name, topics, language, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *')
          .get(publicId, email, key, s.name ?? null, JSON.stringify(s.topics ?? []), s.language ?? null, s.status ?? 'active', t, t) as Row;
        return { subscriber: toSubscriber(r), created: true };
      })
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
        this.stmt('DELETE FROM subscribers WHERE id = ?').run(row.id);
        return true;
      })
      .immediate();
  }

  async setSubscriberStatus(id: number, status: SubscriberStatus, now: Date): Promise<void> {
    this.stmt('UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?').run(status, iso(now), id);
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

  async signUp(s: { email: string; name?: string; topics: string[]; language?: string }, now: Date): Promise<{ subscriber: Subscriber; outcome: SignUpOutcome }> {
    const t = iso(now);
    const email = s.email.trim();
    const key = email.toLowerCase();
    const topics = JSON.stringify(s.topics);
    return this.db
      .transaction(() => {
        const row = this.stmt('SELECT * FROM subscribers WHERE email_key = ?').get(key) as Row | undefined;
        if (!row) {
          const publicId = randomBytes(12).toString('base64url');
          const r = this
            .stmt(
              "INSERT INTO subscribers (public_id, email, email_key, name, topics, language, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING *",
            )
            .get(publicId, email, key, s.name ?? null, topics, s.language ?? null, t, t) as Row;
          return { subscriber: toSubscriber(r), outcome: 'created' as const };
        }
        const status = row.status as SubscriberStatus;
        // Without a login anyone can submit any address, so a confirmed reader's choices are never touched here.
        if (status === 'active' || status === 'bounced') return { subscriber: toSubscriber(row), outcome: status };
        const r = this
          .stmt("UPDATE subscribers SET status = 'pending', name = ?, topics = ?, language = COALESCE(?, language), paused = 0, updated_at = ? WHERE id = ? RETURNING *")
          .get(s.name ?? null, topics, s.language ?? null, t, row.id) as Row;
        return { subscriber: toSubscriber(r), outcome: status === 'pending' ? ('pending' as const) : ('renewed' as const) };
      })
      .immediate();
  }

  async claimConfirmationSend(id: number, now: Date, minIntervalMs: number): Promise<boolean> {
    const earliest = iso(new Date(now.getTime() - minIntervalMs));
    return (
      this.stmt('UPDATE subscribers SET confirm_sent_at = ? WHERE id = ? AND (confirm_sent_at IS NULL OR confirm_sent_at <= ?)').run(iso(now), id, earliest)
        .changes === 1
    );
  }

  async releaseConfirmationSend(id: number, claimedAt: Date): Promise<void> {
    this.stmt('UPDATE subscribers SET confirm_sent_at = NULL WHERE id = ? AND confirm_sent_at = ?').run(id, iso(claimedAt));
  }

  async confirmSubscriber(id: number, issuedAt: Date, now: Date): Promise<{ subscriber: Subscriber; outcome: ConfirmOutcome } | undefined> {
    return this.db
      .transaction(() => {
        const row = this.stmt('SELECT * FROM subscribers WHERE id = ?').get(id) as Row | undefined;
        if (!row) return undefined;
        const s = toSubscriber(row);
        if (s.status === 'active') return { subscriber: s, outcome: 'already' as const };
        const current = s.status === 'pending' || (s.status === 'unsubscribed' && Date.parse(s.updatedAt) <= issuedAt.getTime());
        if (!current) return { subscriber: s, outcome: 'stale' as const };
        const t = iso(now);
        const r = this
          .stmt("UPDATE subscribers SET status = 'active', paused = 0, confirmed_at = ?, updated_at = ? WHERE id = ? RETURNING *")
          .get(t, t, id) as Row;
        return { subscriber: toSubscriber(r), outcome: 'confirmed' as const };
      })
      .immediate();
  }

  async unsubscribe(id: number, now: Date): Promise<{ subscriber: Subscriber; cancelled: number } | undefined> {
    return this.db
      .transaction(() => {
        const row = this.stmt('SELECT * FROM subscribers WHERE id = ?').get(id) as Row | undefined;
        if (!row) return undefined;
        // updated_at keeps the moment of unsubscribing (a repeat leaves it), and a bounce stays on record.
        if (row.status !== 'unsubscribed' && row.status !== 'bounced') {
          this.stmt("UPDATE subscribers SET status = 'unsubscribed', updated_at = ? WHERE id = ?").run(iso(now), id);
        }
        const cancelled = this.cancelPending(id, 'unsubscribed');
        return { subscriber: toSubscriber(this.stmt('SELECT * FROM subscribers WHERE id = ?').get(id) as Row), cancelled };
      })
      .immediate();
  }

  async updatePreferences(id: number, p: { name: string | null; topics: string[]; paused: boolean }, now: Date): Promise<Subscriber | undefined> {
    return this.db
      .transaction(() => {
        const r = this
          .stmt('UPDATE subscribers SET name = ?, topics = ?, paused = ?, updated_at = ? WHERE id = ? RETURNING *')
          .get(p.name, JSON.stringify(p.topics), p.paused ? 1 : 0, iso(now), id) as Row | undefined;
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

  async subscriberCounts(): Promise<Record<SubscriberStatus, number>> {
    const out: Record<SubscriberStatus, number> = { pending: 0, active: 0, unsubscribed: 0, bounced: 0 };
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
