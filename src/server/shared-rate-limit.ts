/**
 * Web rate limits (login, sign-up, the publish hook) counted in PostgreSQL when the store is
 * shared, so every process behind a load balancer counts against one budget: a store for
 * @fastify/rate-limit (fixed windows, like its in-memory store). On SQLite the plugin keeps
 * its own in-memory store.
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Cluster } from '../store/cluster.ts';

type Incr = (key: string, cb: (err: Error | null, r: { current: number; ttl: number }) => void, timeWindow: number, max: number) => void;

/** Plugin options adding the shared store (none when `cluster` is undefined). `scope` keeps the plugin's registrations apart. */
export function sharedRateLimit(cluster: Cluster | undefined, scope: string): { store?: FastifyRateLimitStoreCtor } {
  if (!cluster) return {};
  const make = (route: string): FastifyRateLimitStore => {
    const incr: Incr = (key, cb, timeWindow) => {
      const now = Date.now();
      cluster.hit(`${scope}:${route}:${key}`, timeWindow, now).then(
        (r) => cb(null, { current: r.hits, ttl: Math.max(0, r.resetAt - now) }),
        (e: Error) => cb(e, { current: 0, ttl: 0 }),
      );
    };
    return {
      incr: incr as FastifyRateLimitStore['incr'],
      child: (routeOptions) => make((routeOptions as { routeInfo?: { url?: string; method?: string | string[] } }).routeInfo?.url ?? route),
    };
  };
  const Store = function SharedRateLimitStore() {
    return make('*');
  } as unknown as FastifyRateLimitStoreCtor;
  return { store: Store };
}
