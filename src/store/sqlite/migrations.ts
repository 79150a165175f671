import type Database from 'better-sqlite3';

/**
 * Versioned schema. Append a new entry to change the schema; never edit a shipped one.
 * Each runs in its own transaction and is recorded in schema_migrations.
 */
export interface Migration {
  version: number;
  name: string;
  /** SQL, or a function for steps SQL alone cannot say (reading the current schema). */
  sql: string | ((db: Database.Database) => void);
  /**
   * Rebuilds a table other tables reference (SQLite cannot change a CHECK constraint in
   * place): run with foreign key enforcement off, as SQLite's documented procedure says, and
   * `PRAGMA foreign_key_check` must find nothing before it commits.
   */
  rebuildsTables?: boolean;
}

const STATUSES_V3 = "('pending','active','unsubscribed','bounced','complained')";

/**
 * subscribers gets 'complained' in its status CHECK. The table is rebuilt from its own
 * current definition (whatever columns earlier migrations added), rows, ids and the
 * AUTOINCREMENT counter kept, its indexes re-created; deliveries keep pointing at it by name.
 */
function rebuildSubscribersWithComplained(db: Database.Database): void {
  const table = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'subscribers'").pluck().get() as string | undefined;
  const check = /CHECK\s*\(\s*status\s+IN\s*\([^)]*\)\s*\)/i;
  if (!table || !check.test(table)) throw new Error('migration 4: the subscribers table has no status CHECK constraint to extend');
  const indexes = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'subscribers' AND sql IS NOT NULL").pluck().all() as string[];
  db.exec(table.replace(/^CREATE TABLE\s+"?subscribers"?/i, 'CREATE TABLE subscribers_v3').replace(check, `CHECK (status IN ${STATUSES_V3})`));
  db.exec('INSERT INTO subscribers_v3 SELECT * FROM subscribers');
  // Ids of removed subscribers are never handed out again: the counter carries over.
  db.exec(`
    INSERT INTO sqlite_sequence (name, seq) SELECT 'subscribers_v3', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'subscribers_v3');
    UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'subscribers'), 0)) WHERE name = 'subscribers_v3';
    DROP TABLE subscribers;
    ALTER TABLE subscribers_v3 RENAME TO subscribers;
  `);
  for (const sql of indexes) db.exec(sql);
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'ledger and subscribers',
    sql: `
      CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL,            -- JSON snapshot of the Article
        content_hash TEXT NOT NULL,
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        gone_at TEXT
      );
      CREATE TABLE channels (
        id TEXT PRIMARY KEY,
        first_run_at TEXT NOT NULL,
        last_digest_at TEXT
      );
      CREATE TABLE digests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        article_ids TEXT NOT NULL,     -- JSON array, newest first
        status TEXT NOT NULL CHECK (status IN ('planning','planned'))
      );
      CREATE INDEX digests_channel ON digests(channel_id, status);
      CREATE TABLE decisions (
        channel_id TEXT NOT NULL,
        article_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('baseline','too-old','waiting','planned')),
        digest_id INTEGER REFERENCES digests(id),
        decided_at TEXT NOT NULL,
        PRIMARY KEY (channel_id, article_id)
      );
      CREATE TABLE subscribers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        public_id TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL UNIQUE,  -- lower-cased address
        name TEXT,
        topics TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL CHECK (status IN ('pending','active','unsubscribed','bounced')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX subscribers_status ON subscribers(status, id);
      CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        dedupe_key TEXT NOT NULL UNIQUE,
        channel_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('post','digest')),
        article_id TEXT,
        digest_id INTEGER REFERENCES digests(id),
        subscriber_id INTEGER REFERENCES subscribers(id),
        recipient TEXT NOT NULL,
        variant TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending','sending','sent','failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        provider_message_id TEXT,
        message_id TEXT,
        manual INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        claimed_by TEXT,
        claimed_at TEXT
      );
      CREATE INDEX deliveries_due ON deliveries(channel_id, status, next_attempt_at, id);
      CREATE INDEX deliveries_article ON deliveries(article_id);
    `,
  },
  {
    version: 2,
    name: 'web sign-up: pause, confirmation',
    sql: `
      ALTER TABLE subscribers ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
      -- When the last confirmation email went out: re-sends are throttled by it.
      ALTER TABLE subscribers ADD COLUMN confirm_sent_at TEXT;
      -- When the reader confirmed their address (proof of consent).
      ALTER TABLE subscribers ADD COLUMN confirmed_at TEXT;
      CREATE INDEX deliveries_subscriber ON deliveries(subscriber_id, status);
    `,
  },
  {
    version: 3,
    name: 'editors in chat: approvals, chat updates and confirmations',
    sql: `
      -- One article on one channel (kind 'post', ref = article id) or one scheduled digest
      -- (kind 'digest', ref = its scheduled time) waiting for the editors.
      CREATE TABLE approvals (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('post','digest')),
        ref TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('awaiting','held','released','skipped')),
        created_at TEXT NOT NULL,
        release_at TEXT,               -- end of the window; NULL = a person must decide
        planned_at TEXT,               -- its deliveries (or digest) were written
        digest_id INTEGER REFERENCES digests(id),
        card_state TEXT NOT NULL DEFAULT 'none' CHECK (card_state IN ('none','pending','posting','posted')),
        card_claimed_at TEXT,
        cards TEXT NOT NULL DEFAULT '[]',  -- JSON [{platform, chat, messageId}]
        cards_signed_at TEXT,              -- when the cards' buttons were last signed (they expire after 24 h)
        UNIQUE (channel_id, kind, ref)
      );
      CREATE INDEX approvals_open ON approvals(status, release_at);
      CREATE INDEX approvals_cards ON approvals(card_state);
      CREATE TABLE approval_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        approval_id INTEGER NOT NULL REFERENCES approvals(id),
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        actor_id TEXT,
        via TEXT NOT NULL
      );
      CREATE INDEX approval_events_approval ON approval_events(approval_id, id);
      -- Telegram updates, each taken once (the offset of the next poll is the highest id + 1);
      -- one taken but not done when the process stopped is handled again at the next start.
      CREATE TABLE chat_updates (
        source TEXT NOT NULL,
        update_id INTEGER NOT NULL,
        body TEXT NOT NULL,
        taken_at TEXT NOT NULL,
        done_at TEXT,
        PRIMARY KEY (source, update_id)
      );
      -- Confirmations behind chat buttons ("send X to Y?"), used at most once.
      CREATE TABLE chat_actions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        used_at TEXT,
        used_by TEXT
      );
    `,
  },
  {
    version: 4,
    name: 'consent: complained status, unsubscribe time and source, consent history, re-subscription requests, confirmation sends',
    rebuildsTables: true,
    sql: (db) => {
      rebuildSubscribersWithComplained(db);
      db.exec(`
        -- When the address last stopped receiving email, and what stopped it (link, one-click, …).
        ALTER TABLE subscribers ADD COLUMN unsubscribed_at TEXT;
        ALTER TABLE subscribers ADD COLUMN unsubscribe_source TEXT;
        -- The store kept updated_at as the moment of unsubscribing; the source was not recorded.
        UPDATE subscribers SET unsubscribed_at = updated_at WHERE status IN ('unsubscribed', 'bounced');

        -- Every change of a subscriber's consent, written with the change (proof of consent).
        CREATE TABLE subscriber_events (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
          at TEXT NOT NULL,
          from_status TEXT,
          to_status TEXT NOT NULL,
          source TEXT NOT NULL,
          ip TEXT,
          detail TEXT
        );
        CREATE INDEX subscriber_events_subscriber ON subscriber_events(subscriber_id, id);
        INSERT INTO subscriber_events (subscriber_id, at, from_status, to_status, source, detail)
          SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, status, 'upgrade', 'status on record when consent history began' FROM subscribers ORDER BY id;

        -- Someone who unsubscribed asked on the web to subscribe again: only this request's link can bring them back.
        CREATE TABLE resubscribe_requests (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
          requested_at TEXT NOT NULL,
          name TEXT,
          topics TEXT NOT NULL DEFAULT '[]',
          ip TEXT,
          confirmed_at TEXT
        );
        CREATE INDEX resubscribe_requests_subscriber ON resubscribe_requests(subscriber_id, id);

        -- Confirmation emails of the last 24 hours per address (the daily cap).
        CREATE TABLE confirmation_sends (
          subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
          sent_at TEXT NOT NULL
        );
        CREATE INDEX confirmation_sends_subscriber ON confirmation_sends(subscriber_id, sent_at);
      `);
    },
  },
  {
    version: 5,
    name: 'article identity: language and source file',
    sql: `
      -- JSON ["<language>", "<file>"] of the article a row belongs to. Rows written before have none: the
      -- next scan matches them to their file and fills it in, keeping their id (nothing is sent again).
      ALTER TABLE articles ADD COLUMN source_key TEXT;
      CREATE UNIQUE INDEX articles_source ON articles(source_key) WHERE source_key IS NOT NULL;
    `,
  },
  {
    version: 6,
    name: 'subscriber language',
    sql: `
      -- The site language a reader reads in (NULL: the site's default language).
      ALTER TABLE subscribers ADD COLUMN language TEXT;
      -- A re-subscription request's language choice, taken when its link is confirmed.
      ALTER TABLE resubscribe_requests ADD COLUMN language TEXT;
    `,
  },
  {
    version: 7,
    name: 'bounces and complaints: bounce events, deliveries by Message-ID',
    sql: `
      -- Every bounce, complaint and provider-reported unsubscribe, matched or not (event_key: one per report and recipient).
      CREATE TABLE bounce_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_key TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        source TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('hard','soft','complaint','unsubscribe','unknown')),
        code TEXT,
        diagnostic TEXT,
        recipient TEXT,
        delivery_id INTEGER REFERENCES deliveries(id) ON DELETE SET NULL,
        channel_id TEXT,
        subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE CASCADE,
        unmatched TEXT,
        applied TEXT
      );
      CREATE INDEX bounce_events_subscriber ON bounce_events(subscriber_id, id);
      CREATE INDEX bounce_events_delivery ON bounce_events(delivery_id);
      -- A report names the email by its Message-ID or the provider's id.
      CREATE INDEX deliveries_message_id ON deliveries(message_id);
      CREATE INDEX deliveries_provider_message_id ON deliveries(provider_message_id);
    `,
  },
  {
    version: 8,
    name: 'living posts: the history of every chat post (posted, edited, retracted, deleted, roundup); breaking-news alerts preference',
    sql: `
      -- One row per thing that happened to a sent chat post. 'shown' is what the post showed (JSON:
      -- title, summary, image, link, topics), so a later change is noticed by comparing, and
      -- 'changes' names what differed. result 'pending' is a claim (one process edits at a time).
      CREATE TABLE post_revisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
        channel_id TEXT NOT NULL,
        article_id TEXT,
        action TEXT NOT NULL,
        shown TEXT,
        changes TEXT,
        message_id TEXT,
        result TEXT NOT NULL,
        reason TEXT,
        at TEXT NOT NULL
      );
      CREATE INDEX post_revisions_delivery ON post_revisions(delivery_id, id);
      CREATE INDEX post_revisions_channel ON post_revisions(channel_id, id);
      -- What each article of a digest showed when it was made (JSON id → title, summary, …): the next
      -- digest of a channel with corrections: true lists what was corrected or retracted since.
      ALTER TABLE digests ADD COLUMN shown TEXT;
      -- The reader opted into breaking-news alerts by email (off unless they choose it).
      ALTER TABLE subscribers ADD COLUMN alerts INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 9,
    name: 'parse cache',
    sql: `
      -- Each content file's parsed page, so a scan re-reads only the files that changed. A row is used
      -- when the file's size and modification time match (else its bytes are hashed: a touched but
      -- unchanged file is not parsed again) and it was parsed the same way (parse_key: the site's
      -- settings, where the walk found the file, Herald's build). Only a cache: deleting rows is safe.
      CREATE TABLE parse_cache (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        hash TEXT NOT NULL,
        parse_key TEXT NOT NULL,
        page TEXT NOT NULL
      );
    `,
  },
  {
    version: 10,
    name: 'scan snapshot',
    sql: `
      -- The last whole scan result and what it was made of (inputs: the settings, each folder the walk
      -- listed with its time, each file it read and each page with its size and time), both compressed
      -- V8 serializations (pipeline/scan.ts): a scan whose inputs are all as they were takes the result
      -- as it is (content/scan.ts, ScanSnapshots). At most one row; only a cache.
      CREATE TABLE scan_snapshot (
        id TEXT PRIMARY KEY,
        inputs BLOB NOT NULL,
        result BLOB NOT NULL
      );
    `,
  },
];
