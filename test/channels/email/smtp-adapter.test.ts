import { createServer, type Server } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpAdapter, type SmtpAdapter } from '../../../src/channels/email/smtp-adapter.ts';
import { type DeliveryError, isDeliveryError } from '../../../src/channels/errors.ts';
import type { EmailPayload } from '../../../src/channels/types.ts';
import { prepareMessage } from '../../../src/render/email/prepared-message.ts';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp-server.ts';

const PASSWORD = 's3cr3t-P@ss:word';
const USER = 'mailer@example.com';

const prepared = prepareMessage({
  from: 'Herald <news@example.com>',
  subject: '测试 digest',
  html: '<p>%%HERALD_GREETING%% 你好</p><a href="%%HERALD_UNSUBSCRIBE_URL%%">unsubscribe</a>',
  text: '%%HERALD_GREETING%% 你好\nUnsubscribe: %%HERALD_UNSUBSCRIBE_URL%%\n.dot line\n',
  date: new Date('2024-05-03T00:00:00Z'),
  greeting: { named: 'Hi {name},', anonymous: 'Hello,' },
});

async function payload(to: string, n = 1): Promise<EmailPayload> {
  const messageId = `<m${n}.${to}@herald.test>`;
  return {
    kind: 'email',
    envelope: { from: prepared.envelopeFrom, to },
    messageId,
    raw: await prepared.build({ to: { address: to, name: 'Ada' }, messageId, unsubscribeUrl: `https://example.com/u/${n}` }),
  };
}

async function caught(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (e) {
    if (isDeliveryError(e)) return e;
    throw e;
  }
  throw new Error('expected a DeliveryError');
}

function urlWithCreds(port: number, user = USER, pass = PASSWORD): string {
  return `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`;
}

function expectNoSecrets(e: unknown): void {
  const dump = `${String(e)} ${inspect(e, { depth: 10 })} ${JSON.stringify(e)}`;
  expect(dump).not.toContain(PASSWORD);
  expect(dump).not.toContain(encodeURIComponent(PASSWORD));
  expect(dump).not.toContain(Buffer.from(`\u0000${USER}\u0000${PASSWORD}`).toString('base64'));
}

let server: TestSmtpServer | undefined;
let adapter: SmtpAdapter | undefined;
let rawServer: Server | undefined;
afterEach(async () => {
  await adapter?.close();
  await server?.close();
  await new Promise<void>((r) => (rawServer ? rawServer.close(() => r()) : r()));
  adapter = server = rawServer = undefined;
});

/**
 * A scripted SMTP server that offers PIPELINING, accepts everything, records what each read from
 * a socket held, and (dropAt) closes the connection, without a reply, once that many messages
 * (counted over all connections) have been received.
 */
async function scriptedServer(opts: { reads?: string[]; dropAt?: number } = {}): Promise<Server> {
  let received = 0;
  const s = createServer((socket) => {
    let inData = false;
    let pending = '';
    socket.write('220 scripted ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      opts.reads?.push(chunk.toString('latin1'));
      pending += chunk.toString('latin1');
      const replies: string[] = [];
      for (;;) {
        if (inData) {
          const end = pending.indexOf('\r\n.\r\n');
          if (end < 0) break;
          pending = pending.slice(end + 5);
          inData = false;
          if (++received === opts.dropAt) {
            socket.destroy();
            return;
          }
          replies.push(`250 OK: queued as S${received}`);
          continue;
        }
        const eol = pending.indexOf('\r\n');
        if (eol < 0) break;
        const line = pending.slice(0, eol);
        pending = pending.slice(eol + 2);
        if (/^EHLO/i.test(line)) replies.push('250-scripted\r\n250 PIPELINING');
        else if (/^DATA/i.test(line)) {
          replies.push('354 go ahead');
          inData = true;
        } else if (/^QUIT/i.test(line)) replies.push('221 bye');
        else replies.push('250 OK');
      }
      if (replies.length > 0) socket.write(`${replies.join('\r\n')}\r\n`);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return s;
}

describe('SMTP adapter against a real server', () => {
  it('sends the raw message unchanged with the given envelope', async () => {
    server = await startSmtpServer();
    adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url, pool: { maxConnections: 2 } });
    expect(adapter).toMatchObject({ channelId: 'email-main', type: 'email', preview: false });
    const p = await payload('ada@example.com');
    const result = await adapter.send(p);
    expect(result.providerMessageId).toBe('Q1');
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]?.envelope).toEqual({ from: 'news@example.com', to: ['ada@example.com'] });
    // Dot-stuffing is undone by the server, so the bytes are exactly what we built.
    expect(server.messages[0]?.raw.equals(p.raw as Buffer)).toBe(true);
    const [mail] = await server.parsed();
    expect(mail?.subject).toBe('测试 digest');
    expect(mail?.text).toBe('Hi Ada, 你好\nUnsubscribe: https://example.com/u/1\n.dot line\n');
  });

  it('falls back to the Message-ID when the server reports no queue id', async () => {
    server = await startSmtpServer({ queueId: () => '' });
    adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url, pool: { maxConnections: 1 } });
    expect((await adapter.send(await payload('a@example.com'))).providerMessageId).toBe('<m1.a@example.com@herald.test>');
  });

  it('logs in with the credentials from the URL', async () => {
    server = await startSmtpServer({ auth: { user: USER, pass: PASSWORD } });
    adapter = createSmtpAdapter({ channelId: 'email-main', url: urlWithCreds(server.port), pool: { maxConnections: 1 } });
    await adapter.send(await payload('a@example.com'));
    expect(server.messages[0]?.user).toBe(USER);
  });

  it('sends many messages concurrently through the pool', async () => {
    server = await startSmtpServer();
    adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url, pool: { maxConnections: 4 } });
    const results = await Promise.all(Array.from({ length: 40 }, async (_, i) => adapter?.send(await payload(`u${i}@example.com`, i))));
    expect(results).toHaveLength(40);
    expect(server.messages).toHaveLength(40);
    expect(new Set(server.messages.map((m) => m.envelope.to[0])).size).toBe(40);
  });

  it('pipelines messages one after another on a connection: each refusal stays with its recipient, nothing is lost or sent twice, maxMessages reconnects', async () => {
    server = await startSmtpServer();
    const to = Array.from({ length: 40 }, (_, i) => `p${i}@example.com`);
    for (let i = 0; i < 40; i += 7) server.rejectRecipient(to[i] as string, 550, '5.1.1 user unknown');
    server.rejectRecipient(to[10] as string, 450, '4.2.1 mailbox busy');
    adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url, pool: { maxConnections: 2, maxMessages: 5 } });
    const payloads = await Promise.all(to.map((a, i) => payload(a, i)));
    const results = await Promise.allSettled(payloads.map((p) => adapter?.send(p)));
    const refused = (i: number) => i % 7 === 0 || i === 10;
    results.forEach((r, i) => {
      expect(r.status, to[i]).toBe(refused(i) ? 'rejected' : 'fulfilled');
      if (r.status === 'rejected') {
        expect(r.reason.message).toBe(i === 10 ? 'email-main: recipient temporarily rejected (450 4.2.1 mailbox busy)' : 'email-main: recipient rejected (550 5.1.1 user unknown)');
      }
    });
    // Every address was tried exactly once, and every accepted message arrived once, unchanged.
    expect([...server.rcptTo].sort()).toEqual([...to].sort());
    const accepted = to.filter((_, i) => !refused(i));
    expect(server.messages.map((m) => m.envelope.to[0]).sort()).toEqual([...accepted].sort());
    for (const m of server.messages) expect(m.raw.equals(payloads[to.indexOf(m.envelope.to[0] as string)]?.raw as Buffer)).toBe(true);
  });

  it('sends one command at a time to a server that does not offer PIPELINING', async () => {
    server = await startSmtpServer({ pipelining: false });
    server.rejectRecipient('gone@example.com', 550, '5.1.1 user unknown');
    adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url, pool: { maxConnections: 2 } });
    const addresses = ['a@example.com', 'gone@example.com', 'b@example.com', 'c@example.com', 'd@example.com'];
    const payloads = await Promise.all(addresses.map((a, i) => payload(a, i)));
    const results = await Promise.allSettled(payloads.map((p) => adapter?.send(p)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as DeliveryError).kind).toBe('permanent');
    expect(server.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com']);
    expect(server.messages.every((m) => m.raw.equals(payloads[addresses.indexOf(m.envelope.to[0] as string)]?.raw as Buffer))).toBe(true);
  });

  it('writes MAIL FROM, RCPT TO and DATA together, and the next envelope with the end of data, when PIPELINING is offered', async () => {
    const reads: string[] = [];
    rawServer = await scriptedServer({ reads });
    const port = (rawServer.address() as { port: number }).port;
    adapter = createSmtpAdapter({ channelId: 'email-main', url: `smtp://127.0.0.1:${port}`, pool: { maxConnections: 1 } });
    const payloads = await Promise.all(['a@example.com', 'b@example.com', 'c@example.com'].map((a, i) => payload(a, i)));
    const results = await Promise.all(payloads.map((p) => adapter?.send(p)));
    expect(results.map((r) => r?.providerMessageId)).toEqual(['S1', 'S2', 'S3']);
    expect(reads.some((r) => /^MAIL FROM:<news@example\.com>\r\nRCPT TO:<a@example\.com>\r\nDATA\r\n$/.test(r))).toBe(true);
    expect(reads.some((r) => r.endsWith('\r\n.\r\nMAIL FROM:<news@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n'))).toBe(true);
    expect(reads.some((r) => r.endsWith('\r\n.\r\nMAIL FROM:<news@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n'))).toBe(true);
  });

  it('fails the messages in flight when the connection drops, as connection errors, and sends the rest on a new connection', async () => {
    // The server takes message 2 and closes without answering: message 2 and the message
    // pipelined behind it (3) are in flight; 4 and 5 wait for a connection.
    rawServer = await scriptedServer({ dropAt: 2 });
    const port = (rawServer.address() as { port: number }).port;
    adapter = createSmtpAdapter({ channelId: 'email-main', url: `smtp://127.0.0.1:${port}`, pool: { maxConnections: 1 } });
    const payloads = await Promise.all([1, 2, 3, 4, 5].map((n) => payload(`r${n}@example.com`, n)));
    const results = await Promise.allSettled(payloads.map((p) => adapter?.send(p)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    for (const r of [results[1], results[2]] as PromiseRejectedResult[]) {
      expect(r.reason.connection).toBe(true);
      expect(r.reason.kind).toBe('transient');
    }
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value?.providerMessageId : undefined))).toEqual(['S1', undefined, undefined, 'S3', 'S4']);
  });

  it('maps 450 on RCPT to a transient recipient error', async () => {
    server = await startSmtpServer();
    server.rejectRecipient('busy@example.com', 450, '4.2.1 mailbox busy');
    adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url, pool: { maxConnections: 1 } });
    const e = await caught(adapter.send(await payload('busy@example.com')));
    expect(e.kind).toBe('transient');
    expect(e.connection).toBe(false);
    expect(e.code).toBe(450);
    expect(e.message).toBe('email-main: recipient temporarily rejected (450 4.2.1 mailbox busy)');
    // The connection stays usable for the next recipient.
    await adapter.send(await payload('ok@example.com'));
    expect(server.messages).toHaveLength(1);
  });

  it('maps 550 on RCPT to a permanent recipient error', async () => {
    server = await startSmtpServer();
    server.rejectRecipient('gone@example.com', 550, '5.1.1 user unknown');
    adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url, pool: { maxConnections: 1 } });
    const e = await caught(adapter.send(await payload('gone@example.com')));
    expect(e.kind).toBe('permanent');
    expect(e.connection).toBe(false);
    expect(e.code).toBe(550);
    expect(e.message).toBe('email-main: recipient rejected (550 5.1.1 user unknown)');
  });

  it('recovers after the first N attempts are rejected', async () => {
    server = await startSmtpServer();
    server.rejectNext(2, 451, '4.3.0 temporary failure');
    adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url, pool: { maxConnections: 1 } });
    for (let i = 0; i < 2; i++) expect((await caught(adapter.send(await payload('a@example.com')))).kind).toBe('transient');
    await adapter.send(await payload('a@example.com'));
    expect(server.rcptAttempts).toBe(3);
    expect(server.messages).toHaveLength(1);
  });

  it('maps a rate-limit reply to rate-limited', async () => {
    server = await startSmtpServer();
    server.rejectNext(1, 450, '4.7.0 Too many messages, slow down');
    adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url, pool: { maxConnections: 1 } });
    const e = await caught(adapter.send(await payload('a@example.com')));
    expect(e.kind).toBe('rate-limited');
    expect(e.retryAfterMs).toBeGreaterThan(0);
  });

  it('reports a rejected login as a connection problem without leaking the password', async () => {
    server = await startSmtpServer({ auth: { user: USER, pass: 'the-right-one' } });
    adapter = createSmtpAdapter({ channelId: 'email-main', url: urlWithCreds(server.port), pool: { maxConnections: 1 } });
    const e = await caught(adapter.send(await payload('a@example.com')));
    expect(e.kind).toBe('transient');
    expect(e.connection).toBe(true);
    expect(e.message).toMatch(/^email-main: SMTP server 127\.0\.0\.1:\d+ rejected the login \(535/);
    expectNoSecrets(e);
  });

  it('reports a server that is down quickly, as a connection problem, without the password', async () => {
    server = await startSmtpServer();
    const port = server.port;
    await server.close();
    server = undefined;
    adapter = createSmtpAdapter({ channelId: 'email-main', url: urlWithCreds(port), pool: { maxConnections: 2 } });
    const started = Date.now();
    const e = await caught(adapter.send(await payload('a@example.com')));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(e.kind).toBe('transient');
    expect(e.connection).toBe(true);
    expect(e.message).toBe(`email-main: SMTP server 127.0.0.1:${port} refused the connection`);
    expectNoSecrets(e);
  });

  it('keeps failing fast (never hangs) after more connection failures than pool slots', async () => {
    server = await startSmtpServer();
    const port = server.port;
    await server.close();
    server = undefined;
    adapter = createSmtpAdapter({ channelId: 'email-main', url: `smtp://127.0.0.1:${port}`, pool: { maxConnections: 2 } });
    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled([1, 2, 3].map(async (n) => adapter?.send(await payload('a@example.com', n))));
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    }
  });

  it('times out a server that accepts but never greets', async () => {
    rawServer = createServer(() => {
      /* accept and say nothing */
    });
    await new Promise<void>((r) => rawServer?.listen(0, '127.0.0.1', () => r()));
    const port = (rawServer.address() as { port: number }).port;
    adapter = createSmtpAdapter({
      channelId: 'email-main',
      url: urlWithCreds(port),
      pool: { maxConnections: 1 },
      timeouts: { greetingMs: 300, connectionMs: 300, socketMs: 1000 },
    });
    const started = Date.now();
    const e = await caught(adapter.send(await payload('a@example.com')));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(e.kind).toBe('transient');
    expect(e.connection).toBe(true);
    expect(e.message).toBe(`email-main: SMTP server 127.0.0.1:${port} sent no greeting within 300 ms`);
    expectNoSecrets(e);
    rawServer.unref();
  });

  it('speaks implicit TLS (smtps://) and STARTTLS over its own no-delay socket', async () => {
    for (const tls of ['implicit', 'starttls'] as const) {
      server = await startSmtpServer({ tls });
      adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url, pool: { maxConnections: 1 }, tls: { rejectUnauthorized: false } });
      await adapter.send(await payload('a@example.com'));
      expect(server.messages[0]?.secure).toBe(true);
      await adapter.close();
      await server.close();
    }
    server = undefined;
    adapter = undefined;
  });

  it('maps an untrusted certificate to a TLS connection error', async () => {
    server = await startSmtpServer({ tls: 'implicit' });
    adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url, pool: { maxConnections: 1 } });
    const e = await caught(adapter.send(await payload('a@example.com')));
    expect(e.connection).toBe(true);
    expect(e.message).toMatch(new RegExp(`^email-main: TLS with SMTP server 127\\.0\\.0\\.1:${server.port} failed: .*cert`, 'i'));
  });

  it('reports an unresolvable host as a connection problem', async () => {
    adapter = createSmtpAdapter({ channelId: 'email-main', url: `smtp://u:${PASSWORD}@no-such-host.invalid:2525`, timeouts: { connectionMs: 3000 } });
    const e = await caught(adapter.send(await payload('a@example.com')));
    expect(e.connection).toBe(true);
    expect(e.message).toMatch(/^email-main: could not resolve SMTP host no-such-host\.invalid/);
    expectNoSecrets(e);
  });

  it('verify() checks the connection', async () => {
    server = await startSmtpServer();
    adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url });
    await expect(adapter.verify()).resolves.toBeUndefined();
  });

  it('close() lets pending sends finish, then refuses new ones', async () => {
    server = await startSmtpServer();
    adapter = createSmtpAdapter({ channelId: 'email-main', url: server.url, pool: { maxConnections: 1 } });
    const pending = [adapter.send(await payload('a@example.com', 1)), adapter.send(await payload('b@example.com', 2))];
    await adapter.close();
    await expect(Promise.all(pending)).resolves.toHaveLength(2);
    expect(server.messages).toHaveLength(2);
    const e = await caught(adapter.send(await payload('c@example.com')));
    expect(e.message).toBe('email-main: SMTP adapter is closed');
  });
});

describe('SMTP URL handling', () => {
  it('rejects a bad URL without echoing it', () => {
    expect(() => createSmtpAdapter({ channelId: 'email-main', url: `smtp://user:${PASSWORD}@` })).toThrow(/email-main: the smtp/);
    try {
      createSmtpAdapter({ channelId: 'email-main', url: `http://user:${PASSWORD}@host` });
    } catch (e) {
      expect(String(e)).not.toContain(PASSWORD);
      expect(String(e)).toMatch(/must start with smtp:\/\/ or smtps:\/\//);
    }
  });
});
