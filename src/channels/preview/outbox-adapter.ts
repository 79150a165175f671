/**
 * Preview mode: a channel without credentials writes what it would send into
 * outbox/<channel>/ (emails as .eml plus a viewable .html, chat posts as .json), so a
 * newcomer sees Herald work with nothing configured. Same interface as a real adapter.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { wholeMessage } from '../message-bytes.ts';
import type { ChannelAdapter, EmailPayload, SendResult } from '../types.ts';

let counter = 0;

function stamp(): string {
  counter = (counter + 1) % 1_000_000;
  return `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${String(counter).padStart(6, '0')}`;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9@._-]+/g, '_').slice(0, 80);

export function createOutboxAdapter(opts: { channelId: string; type: string; dir: string }): ChannelAdapter<unknown> {
  const dir = path.join(opts.dir, opts.channelId);
  return {
    channelId: opts.channelId,
    type: opts.type,
    preview: true,
    async send(payload: unknown): Promise<SendResult> {
      mkdirSync(dir, { recursive: true });
      const base = path.join(dir, stamp());
      const email = payload as EmailPayload;
      if (email && email.kind === 'email') {
        const name = `${base}-${safe(email.envelope.to)}`;
        writeFileSync(`${name}.eml`, wholeMessage(email.raw));
        if (email.html) writeFileSync(`${name}.html`, email.html);
        return { providerMessageId: `preview:${path.basename(name)}.eml` };
      }
      writeFileSync(`${base}.json`, `${JSON.stringify(payload, null, 2)}\n`);
      return { providerMessageId: `preview:${path.basename(base)}.json` };
    },
    async close() {},
  };
}
