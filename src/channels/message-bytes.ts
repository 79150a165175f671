import type { EmailPayload } from './types.ts';

/** An email's bytes as one Buffer, for what needs them whole (a file, nodemailer's own `send`). */
export function wholeMessage(raw: EmailPayload['raw']): Buffer {
  return Buffer.isBuffer(raw) ? raw : Buffer.concat(raw);
}
