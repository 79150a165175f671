/** The `bounces:` block: defaults, durations, and errors that name the key without echoing a password. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { redact } from '../../src/util/secrets.ts';

function load(extra: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bounce-config-'));
  mkdirSync(path.join(dir, 'content'));
  const file = path.join(dir, 'herald.yaml');
  writeFileSync(file, `site: { title: T, url: "https://example.com" }\ncontent: { dir: content }\n${extra}`);
  return loadConfig({ file, env: {} });
}

function problems(extra: string): string[] {
  try {
    load(extra);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('bounces config', () => {
  it('defaults: no return path, no mailbox, hard 1, soft 5 within 30 days, fetch every 5 minutes', () => {
    expect(load('').bounces).toEqual({
      processed: 'Herald/Processed',
      fetchMs: 300_000,
      tls: { rejectUnauthorized: true },
      policy: { hard: 1, soft: 5, softWindowMs: 30 * 86_400_000 },
      webhooks: {},
    });
  });

  it('reads every key; the mailbox password and webhook secrets are redacted', () => {
    const b = load(`bounces:
  returnPath: bounces@example.com
  mailbox: "imaps://bounces:pa55-word-xyz@mail.example.com/INBOX"
  fetch: 2m
  soft: 3
  softWindow: 7d
  webhooks:
    ses: { topicArn: "arn:aws:sns:eu-west-1:123456789012:bounces" }
    mailgun: { signingKey: mailgun-signing-key-123 }
`).bounces;
    expect(b).toMatchObject({ returnPath: 'bounces@example.com', fetchMs: 120_000, policy: { hard: 1, soft: 3, softWindowMs: 7 * 86_400_000 } });
    expect(b.webhooks.ses?.topicArn).toEqual(['arn:aws:sns:eu-west-1:123456789012:bounces']);
    expect(redact('login pa55-word-xyz failed, key mailgun-signing-key-123')).toBe('login *** failed, key ***');
  });

  it('errors name the key and never echo the mailbox URL', () => {
    const p = problems('bounces:\n  returnPath: not-an-address\n  mailbox: "pop3://u:secret-pw-1@h/"\n  softWindow: soon\n  webhooks:\n    ses: {}\n');
    expect(p.some((x) => x.startsWith('bounces.returnPath: expected an address like bounces@example.com'))).toBe(true);
    expect(p.some((x) => x.startsWith('bounces.mailbox: expected imaps://user:password@host:993/INBOX'))).toBe(true);
    expect(p.some((x) => x.startsWith('bounces.softWindow: expected a duration like 30d'))).toBe(true);
    expect(p.some((x) => x.startsWith('bounces.webhooks.ses.topicArn'))).toBe(true);
    expect(p.join('\n')).not.toContain('secret-pw-1');
  });
});
