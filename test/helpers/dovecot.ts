/**
 * A real IMAP server for tests: Debian's Dovecot (/usr/sbin/dovecot, package dovecot-imapd),
 * started in the foreground with a config written into a temp dir: one user with a password,
 * maildir storage in the temp dir, IMAPS (and IMAP with STARTTLS) on loopback ports, the test
 * CA's certificate (test/fixtures/tls). Runs as the current user; as root (Dovecot refuses to
 * give mail to uid 0), the mail folder belongs to `nobody` and login/auth processes use
 * Dovecot's own users (dovenull, dovecot).
 *
 *   const imap = await startDovecot();
 *   imap.url('INBOX')             // imaps://bounces:secret@127.0.0.1:PORT/INBOX
 *   await imap.append('INBOX', raw);
 *   await imap.list('INBOX')      // [{ uid, flags, source }]
 *   await imap.close();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImapFlow } from 'imapflow';

const TLS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tls');
export const DOVECOT = '/usr/sbin/dovecot';
export const dovecotAvailable = existsSync(DOVECOT);

export interface TestDovecot {
  port: number;
  startTlsPort: number;
  user: string;
  pass: string;
  url(folder?: string, scheme?: 'imaps' | 'imap'): string;
  append(folder: string, raw: string | Buffer, flags?: string[]): Promise<void>;
  list(folder: string): Promise<Array<{ uid: number; flags: string[]; source: string }>>;
  folders(): Promise<string[]>;
  /** Dovecot's log so far (to show when something goes wrong). */
  log(): string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, log: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited (${child.exitCode}): ${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`dovecot did not listen on ${port}: ${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startDovecot(): Promise<TestDovecot> {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-dovecot-'));
  const me = userInfo();
  const user = 'bounces';
  const pass = 'imap-secret-123';
  const [port, startTlsPort] = [await freePort(), await freePort()];
  for (const d of ['run', 'state', 'mail']) mkdirSync(path.join(dir, d), { recursive: true });
  writeFileSync(path.join(dir, 'passwd'), `${user}:{PLAIN}${pass}::::::\n`);
  // As root, Dovecot's auth process runs as its own user and must reach the password file.
  chmodSync(dir, 0o755);
  chmodSync(path.join(dir, 'passwd'), 0o644);
  const root = me.uid === 0;
  // Dovecot never gives mail to uid 0: as root, the mailbox belongs to nobody.
  const mailUid = root ? 65534 : me.uid;
  const mailGid = root ? 65534 : me.gid;
  if (root) chownSync(path.join(dir, 'mail'), mailUid, mailGid);
  const conf = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${TLS}/server.pem
ssl_key = <${TLS}/server-key.pem
${existsSync('/usr/share/dovecot/dh.pem') ? 'ssl_dh = </usr/share/dovecot/dh.pem' : ''}
disable_plaintext_auth = yes
auth_mechanisms = plain login
first_valid_uid = ${mailUid}
${root ? '' : `default_internal_user = ${me.username}\ndefault_login_user = ${me.username}`}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailGid} home=${dir}/mail/%u
}
mail_location = maildir:${dir}/mail/%u/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${startTlsPort}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${port}
    ssl = yes
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
`;
  const confFile = path.join(dir, 'dovecot.conf');
  writeFileSync(confFile, conf);
  const child = spawn(DOVECOT, ['-F', '-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  try {
    await waitForPort(port, child, path.join(dir, 'dovecot.log'));
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${output}`);
  }

  const client = async () => {
    const c = new ImapFlow({ host: '127.0.0.1', port, secure: true, auth: { user, pass }, logger: false, tls: { rejectUnauthorized: false } });
    c.on('error', () => {});
    await c.connect();
    return c;
  };
  return {
    port,
    startTlsPort,
    user,
    pass,
    url: (folder = 'INBOX', scheme = 'imaps') => `${scheme}://${user}:${pass}@127.0.0.1:${scheme === 'imaps' ? port : startTlsPort}/${encodeURIComponent(folder)}`,
    async append(folder, raw, flags = []) {
      const c = await client();
      try {
        await c.append(folder, typeof raw === 'string' ? raw.replace(/\r?\n/g, '\r\n') : raw, flags);
      } finally {
        await c.logout();
      }
    },
    async list(folder) {
      const c = await client();
      try {
        const status = await c.status(folder, { messages: true });
        if (status === false || !status.messages) return [];
        const lock = await c.getMailboxLock(folder, { readOnly: true });
        try {
          const out: Array<{ uid: number; flags: string[]; source: string }> = [];
          for await (const m of c.fetch('1:*', { uid: true, flags: true, source: true }, { uid: true })) {
            out.push({ uid: m.uid, flags: [...(m.flags ?? [])].sort(), source: m.source?.toString('utf8') ?? '' });
          }
          return out;
        } finally {
          lock.release();
        }
      } finally {
        await c.logout();
      }
    },
    async folders() {
      const c = await client();
      try {
        return (await c.list()).map((m) => m.path).sort();
      } finally {
        await c.logout();
      }
    },
    log: () => (existsSync(path.join(dir, 'dovecot.log')) ? readFileSync(path.join(dir, 'dovecot.log'), 'utf8') : '') + output,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
