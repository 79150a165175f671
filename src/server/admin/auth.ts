/**
 * Who may use the dashboard: one editor account from the environment, sessions behind an
 * opaque random cookie, and a per-session CSRF token. On SQLite sessions live in the
 * process (a restart means logging in again); on PostgreSQL they live in the database,
 * so a restart keeps them and every `serve` behind a load balancer knows them.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { FastifyReply } from 'fastify';
import type { Cluster } from '../../store/cluster.ts';
import { basePath, publicPath } from '../base-path.ts';

export interface AdminCredentials {
  user: string;
  /** Plain password (HERALD_ADMIN_PASSWORD) … */
  password?: string;
  /** … or a bcrypt hash (HERALD_ADMIN_PASSWORD_HASH), which wins when both are set. */
  hash?: string;
}

export type CredentialsState = { ok: true; creds: AdminCredentials } | { ok: false; reason: 'missing' | 'bad-hash' };

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export function adminCredentials(env: Record<string, string | undefined>): CredentialsState {
  const user = env.HERALD_ADMIN_USER?.trim();
  const hash = env.HERALD_ADMIN_PASSWORD_HASH?.trim();
  const password = env.HERALD_ADMIN_PASSWORD;
  if (!user || (!hash && !password)) return { ok: false, reason: 'missing' };
  if (hash) return BCRYPT.test(hash) ? { ok: true, creds: { user, hash } } : { ok: false, reason: 'bad-hash' };
  return { ok: true, creds: { user, password } };
}

/** Equal-length digests, so neither the content nor the length of a secret leaks through timing. */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

export async function verifyLogin(creds: AdminCredentials, user: string, password: string): Promise<boolean> {
  const userOk = safeEqual(user, creds.user);
  // The password is checked even for a wrong user, so both cost the same time.
  const passOk = creds.hash ? await bcrypt.compare(password, creds.hash) : safeEqual(password, creds.password ?? '');
  return userOk && passOk;
}

export interface Flash {
  kind: 'ok' | 'error' | 'info';
  text: string;
  lines?: string[];
}

export interface Session {
  id: string;
  user: string;
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  /** Shown once on the next page (post/redirect/get). */
  flash?: Flash;
  /** Logged out (or replaced at login): never written back. */
  ended?: boolean;
}

export const SESSION_COOKIE = 'herald_admin';
export const LOGIN_COOKIE = 'herald_login';
const ABSOLUTE_MS = 12 * 3600_000;
const IDLE_MS = 2 * 3600_000;
const MAX_SESSIONS = 1000;

export const randomToken = () => randomBytes(32).toString('base64url');

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  /** `shared`: the database's session table (PostgreSQL); without it, this process's memory. */
  constructor(
    private readonly clock: () => number = Date.now,
    private readonly shared?: Cluster['sessions'],
  ) {}

  private expired(s: Pick<Session, 'createdAt' | 'lastSeenAt'>, now: number): boolean {
    return now - s.createdAt > ABSOLUTE_MS || now - s.lastSeenAt > IDLE_MS;
  }

  async create(user: string): Promise<Session> {
    const now = this.clock();
    const s: Session = { id: randomToken(), user, csrf: randomToken(), createdAt: now, lastSeenAt: now };
    if (this.shared) {
      await this.shared.sweep(now - IDLE_MS, now - ABSOLUTE_MS);
      await this.save(s);
      return s;
    }
    this.sweep();
    // Oldest first in a Map: evicting from the front keeps memory bounded.
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    this.sessions.set(s.id, s);
    return s;
  }

  async get(id: string | undefined): Promise<Session | undefined> {
    if (!id) return undefined;
    const now = this.clock();
    if (this.shared) {
      const r = await this.shared.get(id);
      if (!r) return undefined;
      if (this.expired(r, now)) {
        await this.shared.remove(id);
        return undefined;
      }
      const d = r.data as { user: string; csrf: string; flash?: Flash };
      const s: Session = { id, user: d.user, csrf: d.csrf, createdAt: r.createdAt, lastSeenAt: now, ...(d.flash ? { flash: d.flash } : {}) };
      await this.save(s);
      return s;
    }
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (this.expired(s, now)) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeenAt = now;
    return s;
  }

  /** Writes a session's changes (its flash) where other processes see them; in memory they are already there. */
  async save(s: Session): Promise<void> {
    if (!this.shared || s.ended) return;
    await this.shared.put({ id: s.id, data: { user: s.user, csrf: s.csrf, ...(s.flash ? { flash: s.flash } : {}) }, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt });
  }

  async destroy(id: string | undefined): Promise<void> {
    if (!id) return;
    if (this.shared) await this.shared.remove(id);
    else this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.clock();
    for (const [id, s] of this.sessions) if (this.expired(s, now)) this.sessions.delete(id);
  }
}

export interface CookiePolicy {
  secure: boolean;
  /** The dashboard's path as the browser sees it (under publicUrl's path). */
  path: string;
}

export function cookiePolicy(publicUrl: string): CookiePolicy {
  const path = publicPath(basePath(publicUrl), '/admin');
  try {
    return { secure: new URL(publicUrl).protocol === 'https:', path };
  } catch {
    return { secure: false, path };
  }
}

export function setCookie(reply: FastifyReply, policy: CookiePolicy, name: string, value: string, maxAgeSec: number): void {
  reply.setCookie(name, value, { path: policy.path, httpOnly: true, sameSite: 'lax', secure: policy.secure, maxAge: maxAgeSec });
}

export function clearCookie(reply: FastifyReply, policy: CookiePolicy, name: string): void {
  reply.clearCookie(name, { path: policy.path, httpOnly: true, sameSite: 'lax', secure: policy.secure });
}

export const SESSION_MAX_AGE_SEC = ABSOLUTE_MS / 1000;

/** Only a path inside the dashboard: never an absolute or protocol-relative URL (no open redirect). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/admin(?:[/?][^\\\s]*)?$/.test(next) ? next : '/admin';
}
