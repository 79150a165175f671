/**
 * pino: readable lines in a terminal, JSON otherwise; always on stderr so stdout stays
 * clean for --json and CSV. Every string argument passes through `redact`.
 */
import { createRequire } from 'node:module';
import type pino from 'pino';
import type { Logger } from 'pino';
import type pretty from 'pino-pretty';
import { redact } from './secrets.ts';

export type { Logger };

const load = createRequire(import.meta.url);

/** pino's levels: any other makes pino throw, which it still does, at once. */
const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * The logger, made on its first use: pino and its streams (~15 modules) are loaded then, so a
 * command that logs nothing (most runs of `articles`, `status`…) never loads them.
 */
export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.HERALD_LOG_LEVEL ?? 'info';
  const usePretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  if (!LEVELS.has(level)) return makeLogger(level, usePretty);
  let real: Logger | undefined;
  const logger = () => (real ??= makeLogger(level, usePretty));
  return new Proxy({} as Logger, {
    get(_target, prop) {
      // Not a promise: `await`ing the logger (an async function returning it) asks for `then`,
      // which must not make the real one.
      if (prop === 'then') return undefined;
      const l = logger();
      const value = Reflect.get(l, prop, l) as unknown;
      return typeof value === 'function' ? value.bind(l) : value;
    },
    set: (_target, prop, value) => Reflect.set(logger(), prop, value),
    has: (_target, prop) => Reflect.has(logger(), prop),
  });
}

function makeLogger(level: string, usePretty: boolean): Logger {
  const pinoFn = load('pino') as typeof pino;
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
    ? (load('pino-pretty') as typeof pretty)({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' })
    : pinoFn.destination({ fd: 2, sync: true });
  return pinoFn(options, stream);
}
