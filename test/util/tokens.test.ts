import { describe, expect, it } from 'vitest';
import { signToken, unsubscribeUrl, verifyToken } from '../../src/util/tokens.ts';
import { redact, registerSecret } from '../../src/util/secrets.ts';

describe('signed tokens', () => {
  it('round-trips, and rejects forged, tampered or other-purpose tokens', () => {
    const t = signToken('s3cret', 'unsubscribe', 'pub123');
    expect(verifyToken('s3cret', 'unsubscribe', t)).toBe('pub123');
    expect(verifyToken('other', 'unsubscribe', t)).toBeUndefined();
    expect(verifyToken('s3cret', 'confirm', t)).toBeUndefined();
    expect(verifyToken('s3cret', 'unsubscribe', `${Buffer.from('pub124').toString('base64url')}.${t.split('.')[1]}`)).toBeUndefined();
    expect(verifyToken('s3cret', 'unsubscribe', 'garbage')).toBeUndefined();
  });

  it('accepts only the canonical spelling: the unused low bits of the last character, padding or stray characters never verify', () => {
    // A 16-character public id is 16 bytes: 22 base64url characters, the last one carrying 4 unused bits.
    const t = signToken('s3cret', 'unsubscribe', 'Q2xQk9aZ3mN_b1Xw');
    const [payload, macPart] = t.split('.') as [string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBytes = [...alphabet]
      .map((c) => `${payload.slice(0, -1)}${c}.${macPart}`)
      .filter((v) => Buffer.from(v.split('.')[0]!, 'base64url').equals(Buffer.from(payload, 'base64url')));
    // Node's decoder reads all 16 alike; exactly one of them is the token.
    expect(sameBytes).toHaveLength(16);
    expect(sameBytes.filter((v) => verifyToken('s3cret', 'unsubscribe', v) !== undefined)).toEqual([t]);
    for (const v of [`${payload}=.${macPart}`, `${payload}.${macPart}=`, `${payload.slice(0, 4)}!${payload.slice(4)}.${macPart}`, `${payload}.${macPart.slice(0, 3)}*${macPart.slice(3)}`, `${payload}.${macPart} `]) {
      expect(verifyToken('s3cret', 'unsubscribe', v), v).toBeUndefined();
    }
  });

  it('builds unsubscribe URLs under publicUrl without the address', () => {
    const u = unsubscribeUrl('https://news.example.com/herald/', 'k', 'pubid');
    expect(u).toMatch(/^https:\/\/news\.example\.com\/herald\/unsubscribe\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(u).not.toContain('@');
  });
});

describe('redact', () => {
  it('hides registered secrets and URL credentials', () => {
    registerSecret('tok-123456');
    expect(redact('GET /bottok-123456/sendMessage failed')).toBe('GET /bot***/sendMessage failed');
    expect(redact('smtp://user:pa55word@mail:587 refused')).toBe('smtp://user:***@mail:587 refused');
  });
});
