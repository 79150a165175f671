/**
 * Typed delivery errors, so retry policy lives in one place (pipeline/retry-policy.ts).
 * Messages must be understandable by an editor and must never contain secrets.
 */
export type DeliveryErrorKind = 'transient' | 'permanent' | 'rate-limited';

export interface DeliveryErrorOptions {
  /** For 'rate-limited': how long the provider asked us to wait. */
  retryAfterMs?: number;
  /**
   * True when the failure is about reaching the provider at all (connection refused,
   * DNS, TLS, timeout), not about this one recipient. The pipeline gives up a channel
   * for the run when such failures persist.
   */
  connection?: boolean;
  /** Provider code, e.g. SMTP 550 or HTTP 403. */
  code?: number | string;
  cause?: unknown;
}

export class DeliveryError extends Error {
  readonly kind: DeliveryErrorKind;
  readonly retryAfterMs?: number;
  readonly connection: boolean;
  readonly code?: number | string;

  constructor(kind: DeliveryErrorKind, message: string, opts: DeliveryErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DeliveryError';
    this.kind = kind;
    this.retryAfterMs = opts.retryAfterMs;
    this.connection = opts.connection ?? false;
    this.code = opts.code;
  }
}

export const transient = (message: string, opts?: DeliveryErrorOptions) => new DeliveryError('transient', message, opts);
export const permanent = (message: string, opts?: DeliveryErrorOptions) => new DeliveryError('permanent', message, opts);
export const rateLimited = (message: string, retryAfterMs: number, opts?: DeliveryErrorOptions) =>
  new DeliveryError('rate-limited', message, { ...opts, retryAfterMs });

export function isDeliveryError(e: unknown): e is DeliveryError {
  return e instanceof DeliveryError;
}
