/**
 * Versioned schema. Append a new entry to change the schema; never edit a shipped one.
 * Each runs in its own transaction and is recorded in schema_migrations.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
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
    name: 'article identity: language and source file',
    sql: `
      -- JSON ["<language>", "<file>"] of the article a row belongs to. Rows written before have none: the
      -- next scan matches them to their file and fills it in, keeping their id (nothing is sent again).
      ALTER TABLE articles ADD COLUMN source_key TEXT;
      CREATE UNIQUE INDEX articles_source ON articles(source_key) WHERE source_key IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: 'subscriber language',
    sql: `
      -- The site language a reader reads in (NULL: the site's default language).
      ALTER TABLE subscribers ADD COLUMN language TEXT;
    `,
  },
];
