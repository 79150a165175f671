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
