/**
 * The SMTP server, without sending anything: connect, greeting, EHLO, TLS (implicit for
 * smtps://, else STARTTLS), the certificate for the host name in the URL, AUTH with the
 * URL's credentials, QUIT. A small client of its own (node:net and node:tls) so each step
 * gets its own line; the delivery path itself uses nodemailer.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { parseSmtpUrl, scrub, type SmtpTarget } from '../channels/email/smtp-url.ts';
import { Checks, type CheckResult } from './report.ts';
import type { DoctorResolver } from './resolver.ts';

const TIMEOUT_MS = 10_000;

interface Reply {
  code: number;
  lines: string[];
}

/** Reads SMTP replies (multi-line aware) from a socket that can be swapped for its TLS upgrade. */
class Conversation {
  private buffer = '';
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private replies: Reply[] = [];
  private failure: Error | undefined;

  constructor(public socket: Socket) {
    this.attach(socket);
  }

  attach(socket: Socket): void {
    this.socket = socket;
    this.buffer = '';
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error(`no reply within ${TIMEOUT_MS / 1000}s`)));
    socket.on('data', (chunk: Buffer) => this.onData(chunk.toString('latin1')));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  detach(): void {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
    this.socket.setTimeout(0);
  }

  private onData(text: string): void {
    this.buffer += text;
    let lines: string[] = [];
    for (;;) {
      const nl = this.buffer.indexOf('\r\n');
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 2);
      lines.push(line);
      if (!/^\d{3}-/.test(line)) {
        this.deliver({ code: Number(line.slice(0, 3)) || 0, lines: lines.map((l) => l.slice(4)) });
        lines = [];
      }
    }
    if (lines.length > 0) this.buffer = `${lines.join('\r\n')}\r\n${this.buffer}`;
  }

  private deliver(r: Reply): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve(r);
    } else this.replies.push(r);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.reject(e);
    }
  }

  read(): Promise<Reply> {
    const r = this.replies.shift();
    if (r) return Promise.resolve(r);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  async command(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.read();
  }
}

function connectTcp(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: address, port });
    const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${TIMEOUT_MS / 1000}s`)), TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function startTls(options: { socket?: Socket; host?: string; port?: number; servername: string }): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // Verified by hand below, so the report can say what is wrong with the certificate.
    const tls = tlsConnect({ ...options, rejectUnauthorized: false, ...(options.socket ? {} : { host: options.host, port: options.port }) });
    const timer = setTimeout(() => tls.destroy(new Error(`no TLS handshake within ${TIMEOUT_MS / 1000}s`)), TIMEOUT_MS);
    tls.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(tls);
    });
    tls.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

const oneLine = (r: Reply) => `${r.code} ${r.lines.join(' ').replace(/\s+/g, ' ').slice(0, 160)}`;

function extensions(r: Reply): Set<string> {
  return new Set(r.lines.slice(1).map((l) => l.trim().toUpperCase()));
}

function authMechanisms(ext: Set<string>): string[] {
  for (const e of ext) if (e.startsWith('AUTH ') || e.startsWith('AUTH=')) return e.slice(5).split(/\s+/);
  return [];
}

/** Checks one SMTP server as configured for a channel. */
export async function smtpChecks(r: DoctorResolver, c: { id: string; smtp: string }, ehloName: string): Promise<CheckResult[]> {
  const out = new Checks('smtp', c.id);
  let target: SmtpTarget;
  try {
    target = parseSmtpUrl(c.id, c.smtp);
  } catch (e) {
    out.fail('SMTP URL', (e as Error).message, 'set smtp: to smtp://user:password@host:587 or smtps://user:password@host:465');
    return out.results;
  }
  const server = target.display;
  const say = (s: string) => scrub(s, target.secrets);
  let conv: Conversation | undefined;
  try {
    const addresses = await r.addresses(target.host);
    if (addresses.length === 0) {
      out.fail(`connect ${server}`, `${target.host} has no address (via ${r.servers})`, 'check the host name in the smtp URL');
      return out.results;
    }
    let socket: Socket;
    try {
      socket = target.secure
        ? await startTls({ host: addresses[0] as string, port: target.port, servername: target.host })
        : await connectTcp(addresses[0] as string, target.port);
    } catch (e) {
      out.fail(`connect ${server}`, say((e as Error).message), 'check the host and port in the smtp URL (587 for STARTTLS, 465 for implicit TLS) and that a firewall lets Herald out');
      return out.results;
    }
    out.pass(`connect ${server}`, `connected to ${addresses[0]}${target.secure ? ' with TLS (smtps)' : ''}`);
    conv = new Conversation(socket);
    const greeting = await conv.read();
    if (greeting.code !== 220) {
      out.fail('greeting', oneLine(greeting), 'the server refuses connections; ask your mail provider');
      return out.results;
    }
    let ehlo = await conv.command(`EHLO ${ehloName}`);
    if (ehlo.code !== 250) {
      out.fail('EHLO', oneLine(ehlo), 'the server does not speak ESMTP; use your provider’s submission server');
      return out.results;
    }
    out.pass('EHLO', `${ehlo.lines[0] ?? ''} (${[...extensions(ehlo)].slice(0, 8).join(', ')})`);

    let tls: TLSSocket | undefined = target.secure ? (socket as TLSSocket) : undefined;
    if (!tls) {
      if (!extensions(ehlo).has('STARTTLS')) {
        out.fail('TLS', 'STARTTLS is not offered: the password and every message would cross the network unencrypted', 'use smtps://…:465 or a server that offers STARTTLS on 587');
      } else {
        const reply = await conv.command('STARTTLS');
        if (reply.code !== 220) {
          out.fail('TLS', `STARTTLS refused: ${oneLine(reply)}`, 'ask your mail provider');
        } else {
          conv.detach();
          try {
            tls = await startTls({ socket, servername: target.host });
          } catch (e) {
            out.fail('TLS', `STARTTLS handshake failed: ${(e as Error).message}`, 'ask your mail provider');
            return out.results;
          }
          conv.attach(tls);
          ehlo = await conv.command(`EHLO ${ehloName}`);
        }
      }
    }
    if (tls) {
      out.pass('TLS', `${target.secure ? 'implicit TLS' : 'STARTTLS'}, ${tls.getProtocol() ?? 'TLS'}`);
      const cert = tls.getPeerCertificate();
      if (tls.authorized) out.pass(`certificate for ${target.host}`, `valid, issued by ${cert.issuer?.O ?? cert.issuer?.CN ?? 'a trusted CA'}, until ${cert.valid_to}`);
      else {
        const why = String(tls.authorizationError ?? 'not trusted');
        out.fail(`certificate for ${target.host}`, `${why}${cert.subject?.CN ? ` (certificate for ${cert.subject.CN})` : ''}`, `use the host name the certificate was issued for in the smtp URL, or install a certificate valid for ${target.host}`);
      }
    }

    const mechanisms = authMechanisms(extensions(ehlo));
    if (target.user === undefined) {
      out.pass('AUTH', mechanisms.length > 0 ? `no login configured (the server offers ${mechanisms.join(' ')})` : 'no login configured or offered');
    } else if (!mechanisms.includes('PLAIN') && !mechanisms.includes('LOGIN')) {
      out.fail('AUTH', mechanisms.length === 0 ? 'the server offers no AUTH (it may only offer it after TLS)' : `the server offers ${mechanisms.join(' ')}, not PLAIN or LOGIN`, 'use your provider’s submission server (port 587 or 465)');
    } else {
      const reply = mechanisms.includes('PLAIN')
        ? await conv.command(`AUTH PLAIN ${Buffer.from(`\0${target.user}\0${target.pass ?? ''}`).toString('base64')}`)
        : await loginAuth(conv, target.user, target.pass ?? '');
      if (reply.code === 235) out.pass('AUTH', `logged in as ${target.user}`);
      else out.fail('AUTH', say(`login as ${target.user} rejected: ${oneLine(reply)}`), 'check the user and password in the smtp URL');
    }
    await conv.command('QUIT').catch(() => undefined);
  } catch (e) {
    out.fail(`session with ${server}`, say((e as Error).message), 'check the smtp URL; the server dropped the session');
  } finally {
    conv?.socket.destroy();
  }
  return out.results;
}

async function loginAuth(conv: Conversation, user: string, pass: string): Promise<Reply> {
  const first = await conv.command('AUTH LOGIN');
  if (first.code !== 334) return first;
  const second = await conv.command(Buffer.from(user).toString('base64'));
  if (second.code !== 334) return second;
  return conv.command(Buffer.from(pass).toString('base64'));
}
