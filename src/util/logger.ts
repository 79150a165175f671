/**
 * pino: readable lines in a terminal, JSON otherwise; always on stderr so stdout stays
 * clean for --json and CSV. Every string argument passes through `redact`.
 */
import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type pretty from 'pino-pretty';
import { redact } from './secrets.ts';

export type { Logger };

export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.HERALD_LOG_LEVEL ?? 'info';
  const usePretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    hooks: {
      logMethod(args, method) {
        const clean = args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<typeof method>;
        method.apply(this, clean);
      },
    },
    formatters: {
      log(obj) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(obj)) out[k] = typeof v === 'string' ? redact(v) : v instanceof Error ? redact(v.message) : v;
        return out;
      },
    },
  };
  // pino-pretty (and its dependencies) only for a terminal.
  const stream = usePretty
    ? (createRequire(import.meta.url)('pino-pretty') as typeof pretty)({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' })
    : pino.destination({ fd: 2, sync: true });
  return pino(options, stream);
}
