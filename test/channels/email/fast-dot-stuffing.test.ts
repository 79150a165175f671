import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fastDotStuffing, fastDotStuffingFlush, installFastDotStuffing } from '../../../src/channels/email/fast-dot-stuffing.ts';
import { dataBlock } from '../../../src/channels/email/pipelined-transaction.ts';

type DataStreamClass = new () => Transform & { inByteCount: number; outByteCount: number };
const DataStream = createRequire(import.meta.url)('nodemailer/lib/smtp-connection/data-stream.js') as DataStreamClass & { prototype: { _transform: unknown; _flush: unknown } };
// nodemailer's own loop and end, kept before anything replaces them.
const original = DataStream.prototype._transform === fastDotStuffing ? undefined : { transform: DataStream.prototype._transform, flush: DataStream.prototype._flush };
const fast = { transform: fastDotStuffing, flush: fastDotStuffingFlush };

async function run(chunks: Buffer[], impl: { transform: unknown; flush: unknown } | undefined): Promise<{ out: Buffer; pushes: number[]; inBytes: number; outBytes: number }> {
  const s = new DataStream();
  Object.defineProperty(s, '_transform', { value: impl?.transform });
  Object.defineProperty(s, '_flush', { value: impl?.flush });
  const pieces: Buffer[] = [];
  s.on('data', (b: Buffer) => pieces.push(b));
  const ended = new Promise((r) => s.on('end', r));
  for (const c of chunks) s.write(c);
  s.end();
  await ended;
  return { out: Buffer.concat(pieces), pushes: pieces.map((p) => p.length), inBytes: s.inByteCount, outBytes: s.outByteCount };
}

/** Text full of what dot-stuffing cares about: dots at line starts, bare LFs, CRLFs, CRs. */
function sample(seed: number, length: number): Buffer {
  let x = seed;
  const alphabet = ['.', '\n', '\r\n', '\r', 'a', 'bc', ' ', '..', '\n.', '.\r\n', '中'];
  let s = '';
  while (s.length < length) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += alphabet[x % alphabet.length];
  }
  return Buffer.from(s);
}

function split(b: Buffer, seed: number): Buffer[] {
  const out: Buffer[] = [];
  let x = seed;
  for (let i = 0; i < b.length; ) {
    x = (x * 69069 + 1) % 4294967296;
    const n = 1 + (x % 40);
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe("fast dot-stuffing gives nodemailer's bytes", () => {
  it('for random text cut into random chunks (dots and line ends across chunk borders)', async () => {
    expect(original).toBeDefined();
    for (let seed = 1; seed <= 300; seed++) {
      const chunks = split(sample(seed, 50 + (seed % 7) * 40), seed);
      const a = await run(chunks, original);
      const b = await run(chunks, fast);
      expect({ ...b, pushes: undefined }).toEqual({ ...a, pushes: undefined });
      // The terminator travels with the end of the body: one piece fewer.
      expect(b.pushes.length).toBe(a.pushes.length - 1);
    }
  });

  it('for messages that start with a dot, end without a line end, or are one line feed', async () => {
    for (const text of ['.', '.\n.', '\n', '\r', '\r\n.', 'a\n..b\r\n.\r\n', 'no line end']) {
      const a = await run([Buffer.from(text)], original);
      const b = await run([Buffer.from(text)], fast);
      expect(b.out).toEqual(a.out);
      expect([b.inBytes, b.outBytes]).toEqual([a.inBytes, a.outBytes]);
      expect(b.pushes).toEqual([a.out.length]);
    }
  });

  it('for a whole message at once (the pipelined path), without copying it', async () => {
    const texts = ['', '.', '.\n.', '\n', '\r', '\r\n.', 'a\n..b\r\n.\r\n', 'no line end', 'a\r\nb\r\n'];
    for (let seed = 1; seed <= 300; seed++) texts.push(sample(seed, 50 + (seed % 7) * 40).toString());
    for (const text of texts) {
      const raw = Buffer.from(text);
      const pieces = dataBlock(raw);
      expect(Buffer.concat(pieces), JSON.stringify(text)).toEqual((await run([raw], original)).out);
      // A message without dots at line starts or bare LFs goes out as itself plus the terminator.
      if (text !== '' && !/(^|\n)\.|(^|[^\r])\n/.test(text)) expect(pieces[0]).toBe(raw);
    }
  });

  it('for a message given as its pieces, shared pieces reused after any kind of byte, without joining them', async () => {
    // Large pieces (their stuffing is kept) shared between messages, small ones per message.
    // 2 KB and more: the pieces whose stuffing dataBlock keeps.
    const shared = Array.from({ length: 12 }, (_, i) => sample(1000 + i, 2100 + i * 97));
    for (const text of ['.', '\n', '\r', 'x', '\r\n', '..', '\n.']) shared.push(Buffer.concat([Buffer.from(text), sample(77, 2100)]));
    // As most of a digest is: lines of quoted-printable or base64, nothing to stuff.
    for (const lead of ['', '.', '\n']) shared.push(Buffer.from(`${lead}${`${'q'.repeat(73)}=\r\n`.repeat(30)}`));
    let x = 7;
    const pick = (n: number) => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return (x >>> 8) % n;
    };
    let kept = 0;
    for (let m = 0; m < 400; m++) {
      const pieces: Buffer[] = [];
      for (let k = pick(8); k >= 0; k--) pieces.push(pick(3) === 0 ? sample(m * 31 + k, pick(40)) : (shared[pick(shared.length)] as Buffer));
      const whole = Buffer.concat(pieces);
      const out = dataBlock(pieces);
      expect(Buffer.concat(out), `message ${m}`).toEqual(Buffer.concat(dataBlock(whole)));
      if (m < 60) expect(Buffer.concat(out), `message ${m}`).toEqual((await run([whole], original)).out);
      // Every shared piece without anything to stuff goes out as itself.
      for (const p of pieces) {
        if (p.length < 2048 || /^[.\n]|\n\.|[^\r]\n/.test(p.toString('latin1'))) continue;
        expect(out).toContain(p);
        kept++;
      }
    }
    expect(kept).toBeGreaterThan(10);
    expect(Buffer.concat(dataBlock([]))).toEqual(Buffer.concat(dataBlock(Buffer.alloc(0))));
  });

  it('is what nodemailer runs once installed', () => {
    installFastDotStuffing();
    expect(DataStream.prototype._transform).toBe(fastDotStuffing);
    expect(DataStream.prototype._flush).toBe(fastDotStuffingFlush);
  });
});
