/**
 * Form bodies (application/x-www-form-urlencoded) of the subscriber pages. A pasted CSV of
 * 60,000 rows is a 5 MB body; decoding it in one go blocks the event loop for a few hundred
 * milliseconds on a busy machine, so a large body is decoded a slice at a time with the
 * server answering other requests in between. Small bodies are parsed as before
 * (fast-querystring, as @fastify/formbody does); both give the same fields.
 */
import { parse as parseQuery } from 'fast-querystring';
import type { FastifyInstance } from 'fastify';

const SLICE = 64 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Percent-decodes bytes [start, end) of `body` ('+' is a space), yielding every SLICE bytes. */
async function decode(body: Buffer, start0: number, end: number): Promise<string> {
  let start = start0;
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let sliceEnd = start; start < end; start = sliceEnd) {
    sliceEnd = Math.min(end, start + SLICE);
    for (let i = start; i < sliceEnd; i++) {
      const c = body[i] as number;
      if (c === 0x2b) out[n++] = 0x20;
      else if (c === 0x25 && i + 2 < end && hexValue(body[i + 1] as number) >= 0 && hexValue(body[i + 2] as number) >= 0) {
        out[n++] = hexValue(body[i + 1] as number) * 16 + hexValue(body[i + 2] as number);
        i += 2;
        // An escape may run past the slice: the next slice starts after it.
        if (i >= sliceEnd) sliceEnd = i + 1;
      } else out[n++] = c;
    }
    if (sliceEnd < end) await yieldToLoop();
  }
  try {
    return utf8.decode(out.subarray(0, n));
  } catch {
    // Escapes that are not UTF-8: the text as sent, only '+' read as a space (as fast-querystring does).
    return body.toString('latin1', start0, end).replaceAll('+', ' ');
  }
}

/** The fields of a urlencoded body; a repeated name gives a list, as fast-querystring does. */
export async function parseLargeForm(body: Buffer): Promise<Record<string, string | string[]>> {
  const fields = new Map<string, string | string[]>();
  for (let start = 0; start <= body.length; ) {
    let end = body.indexOf(0x26, start);
    if (end < 0) end = body.length;
    if (end > start) {
      const eq = body.indexOf(0x3d, start);
      const keyEnd = eq >= 0 && eq < end ? eq : end;
      const key = await decode(body, start, keyEnd);
      const value = keyEnd < end ? await decode(body, keyEnd + 1, end) : '';
      const prior = fields.get(key);
      fields.set(key, prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value]);
    }
    start = end + 1;
  }
  return Object.fromEntries(fields);
}

/** In this (encapsulated) scope, urlencoded bodies over 64 KiB are decoded in slices. */
export function sliceLargeForms(app: FastifyInstance, bodyLimit: number): void {
  app.removeContentTypeParser('application/x-www-form-urlencoded');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => {
    const buf = body as Buffer;
    if (buf.length <= SLICE) return done(null, parseQuery(buf.toString()));
    parseLargeForm(buf).then(
      (fields) => done(null, fields),
      (e: Error) => done(e, undefined),
    );
  });
}
