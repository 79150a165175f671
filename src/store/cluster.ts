/**
 * What several Herald processes on one PostgreSQL share beyond the ledger: who is alive
 * (heartbeats), who leads (scans, plans, makes digests), wake-ups for new work, pacing budgets
 * for chat platforms, dashboard sessions and web rate limits. A SQLite store has none of it:
 * one process does everything, as before.
 */
import type { Store } from './types.ts';

export interface ProcessInfo {
  /** host:pid:start, the prefix of the claims it holds. */
  process: string;
  host: string;
  pid: number;
  /** run, worker, serve, … */
  role: string;
  leader: boolean;
  startedAt: Date;
  seenAt: Date;
  /** How long since its last heartbeat, by the database's clock. */
  silentMs: number;
}

/** The wake-up that asks the leader for a whole pass (scan, plan, send). */
export const PASS_REQUEST = '!pass';

/** A process silent this long is taken for dead (its claims are released, status says so). */
export const HEARTBEAT_DEAD_MS = 20_000;

/** A leadership held by one session of the database (an advisory lock): it ends with that connection. */
export interface Leadership {
  /** True while this process leads; checks the lock is still held, takes it when free. */
  check(): Promise<boolean>;
  /** Gives it up (at a clean stop) so another process takes over at once. */
  release(): Promise<void>;
}

export interface SessionRecord {
  id: string;
  data: Record<string, unknown>;
  createdAt: number;
  lastSeenAt: number;
}

export interface Cluster {
  heartbeat(p: Omit<ProcessInfo, 'seenAt' | 'silentMs'>): Promise<void>;
  /** Every process that wrote a heartbeat, newest first. */
  processes(): Promise<ProcessInfo[]>;
  /** A process stopped cleanly: its row goes. */
  forget(process: string): Promise<void>;
  leadership(): Leadership;
  /**
   * Calls back when deliveries become due (another process planned or released some: the
   * channel id, or '*') or when a process asks the leader for a pass (PASS_REQUEST); returns stop.
   */
  onWork(listener: (payload: string) => void): Promise<() => Promise<void>>;
  /** Asks the leader for a pass now (the publish hook or a dashboard button on another process). */
  requestPass(): Promise<void>;
  /**
   * Takes the next slot of a pacing budget shared by every process: slots are `intervalMs`
   * apart; returns when (ms since the epoch) this one may go.
   */
  paceSlot(key: string, intervalMs: number, nowMs: number): Promise<number>;
  /** Nothing on this budget before `untilMs` (a platform asked to wait). */
  holdPace(key: string, untilMs: number): Promise<void>;
  /** Fixed-window hit counter: hits so far in the window (this one included) and its end. */
  hit(key: string, windowMs: number, nowMs: number): Promise<{ hits: number; resetAt: number }>;
  resetHits(key: string): Promise<void>;
  sessions: {
    put(s: SessionRecord): Promise<void>;
    get(id: string): Promise<SessionRecord | undefined>;
    remove(id: string): Promise<void>;
    /** Drops sessions idle since `idleBefore` or made before `createdBefore`. */
    sweep(idleBefore: number, createdBefore: number): Promise<void>;
  };
}

/** The cluster a store offers, if its engine has one (PostgreSQL). */
export function clusterOf(store: Store): Cluster | undefined {
  const c = (store as { cluster?: Cluster }).cluster;
  return c && typeof c.heartbeat === 'function' ? c : undefined;
}
