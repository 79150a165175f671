import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BUTTON_TTL_MS, signButton, verifyButton } from '../../src/bots/buttons.ts';
import { discordPublicKey, verifyInteraction } from '../../src/bots/discord/verify.ts';
import { type Line, splitMessages, telegramLine, telegramVisibleLength } from '../../src/bots/reply.ts';

const SECRET = 'button-test-secret';
const now = new Date('2025-07-02T01:00:00Z');

describe('signed buttons', () => {
  it('round-trips, fits Telegram’s 64 bytes, and expires after 24 hours', () => {
    const data = signButton(SECRET, 'as', 123456789, now);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(verifyButton(SECRET, data, now)).toEqual({ ok: true, verb: 'as', id: 123456789 });
    expect(verifyButton(SECRET, data, new Date(now.getTime() + BUTTON_TTL_MS - 1000))).toMatchObject({ ok: true });
    expect(verifyButton(SECRET, data, new Date(now.getTime() + BUTTON_TTL_MS))).toEqual({ ok: false, why: 'expired' });
  });

  it('refuses any change, another secret, and junk', () => {
    const data = signButton(SECRET, 'ah', 42, now);
    const [p, verb, id, exp, mac] = data.split('.');
    expect(verifyButton('another-secret', data, now)).toEqual({ ok: false, why: 'forged' });
    expect(verifyButton(SECRET, [p, 'as', id, exp, mac].join('.'), now)).toEqual({ ok: false, why: 'forged' });
    expect(verifyButton(SECRET, [p, verb, '2b', exp, mac].join('.'), now)).toEqual({ ok: false, why: 'forged' });
    // A later expiry cannot be written in: it is signed.
    expect(verifyButton(SECRET, [p, verb, id, (Number.parseInt(exp!, 36) + 86400).toString(36), mac].join('.'), now)).toEqual({ ok: false, why: 'forged' });
    for (const junk of ['', 'h1', 'h1.as.1.2', 'x.as.1.2.3', `${data}.more`]) expect(verifyButton(SECRET, junk, now)).toEqual({ ok: false, why: 'forged' });
  });
});

describe('Discord request signatures', () => {
  const keys = generateKeyPairSync('ed25519');
  const hex = Buffer.from((keys.publicKey.export({ format: 'jwk' }) as { x: string }).x, 'base64url').toString('hex');
  const key = discordPublicKey(hex);
  const body = '{"type":1}';
  const ts = String(Math.floor(now.getTime() / 1000));
  const sig = sign(null, Buffer.from(ts + body), keys.privateKey).toString('hex');

  it('accepts Discord’s signature over timestamp + body with the raw public key', () => {
    expect(verifyInteraction(key, sig, ts, body, now.getTime())).toEqual({ ok: true });
  });

  it('refuses another body, another key, a replay minutes later and missing headers', () => {
    expect(verifyInteraction(key, sig, ts, '{"type":2}', now.getTime())).toEqual({ ok: false, why: 'bad signature' });
    const other = generateKeyPairSync('ed25519');
    expect(verifyInteraction(key, sign(null, Buffer.from(ts + body), other.privateKey).toString('hex'), ts, body, now.getTime())).toEqual({ ok: false, why: 'bad signature' });
    expect(verifyInteraction(key, sig, ts, body, now.getTime() + 6 * 60_000)).toEqual({ ok: false, why: 'stale timestamp' });
    expect(verifyInteraction(key, undefined, ts, body, now.getTime())).toEqual({ ok: false, why: 'no signature headers' });
    expect(verifyInteraction(key, 'zz', ts, body, now.getTime())).toEqual({ ok: false, why: 'malformed signature' });
  });
});

describe('long answers', () => {
  it('are split at line ends within the limit, a line longer than a message is cut', () => {
    const lines: Line[] = Array.from({ length: 100 }, (_, i): Line => [{ b: `#${i}` }, ` ${'字'.repeat(100)} <&>`]);
    lines.push('x'.repeat(5000));
    const parts = splitMessages(lines, telegramLine, 4096, telegramVisibleLength);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) expect(telegramVisibleLength(p)).toBeLessThanOrEqual(4096);
    expect(parts.join('\n')).toContain('<b>#99</b>');
    expect(parts[0]).toContain('&lt;&amp;&gt;');
    expect(parts[parts.length - 1]).toMatch(/^x+…$/);
  });
});
