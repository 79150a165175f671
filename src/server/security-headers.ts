/**
 * The security headers of every answer (helmet): one set of options for @fastify/helmet,
 * which adds them to routed requests, and the same headers as a plain list for the answers
 * written where no hook runs (a malformed URL, a path over the length limit, a request the
 * HTTP parser refused or a client that was too slow).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import helmet from 'helmet';

export function helmetOptions(https: boolean): FastifyHelmetOptions {
  return {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'https:', 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        frameSrc: ["'self'"],
        frameAncestors: ["'self'"],
        formAction: ["'self'"],
        // Only when Herald is reached over https: on a plain-http install it would send forms and styles to a port that is not there.
        upgradeInsecureRequests: https ? [] : null,
      },
    },
  };
}

/** The headers helmet sets with these options, lower-cased names. */
export function securityHeaders(options: FastifyHelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
    getHeader: () => undefined,
  };
  // The same helmet @fastify/helmet runs (its types come from the CommonJS build, hence the cast).
  helmet(options as Parameters<typeof helmet>[0])({} as IncomingMessage, res as unknown as ServerResponse, () => {});
  return headers;
}
