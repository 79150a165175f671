import { parse as parseQuery } from 'fast-querystring';
import { describe, expect, it } from 'vitest';
import { parseLargeForm } from '../../../src/server/admin/form-body.ts';

describe('parseLargeForm: a large urlencoded body decoded in slices', () => {
  it('gives exactly the fields fast-querystring gives, escapes cut by a slice included', async () => {
    const csv = Array.from({ length: 20_000 }, (_, i) => `reader${i}@example.com,读者 ${i} 😀,a;b+c`).join('\n');
    const bodies = [
      new URLSearchParams({ _csrf: 'tok+en/=', csv }).toString(),
      `a=1&a=2&a=3&empty=&novalue&=x&%E4%B8%AD=%E6%96%87&plus=a+b&bad=%ZZ%4&tail=%E4`,
      // A value long enough that every slice boundary lands somewhere else in an escape.
      `x=${'%E8%AF%BB'.repeat(30_000)}&y=${'ab%20'.repeat(20_000)}`,
      '',
      '&&&',
    ];
    for (const body of bodies) {
      const expected = { ...parseQuery(body) };
      expect(await parseLargeForm(Buffer.from(body)), body.slice(0, 40)).toEqual(expected);
    }
  });
});
