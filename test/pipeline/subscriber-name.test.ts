import { describe, expect, it } from 'vitest';
import { checkName, displayName, NAME_MAX, showValue } from '../../src/pipeline/subscriber-name.ts';

describe('checkName: the one name rule of the forms, import, CLI and dashboard', () => {
  it('refuses control characters anywhere inside, line and paragraph separators, and bidi controls', () => {
    for (const bad of [
      'A\r\nBcc: x@example.com',
      'A\nB',
      'A\rB',
      'Ada\u0000',
      'Ada\u001b[31m',
      'A\tB',
      'A\u007fB',
      'A\u0085B',
      'A\u2028B',
      'A\u2029B',
      'evil\u202Egpj.exe',
      'A\u2066B',
    ]) {
      expect(checkName(bad), JSON.stringify(bad)).toEqual({ ok: false, problem: 'control' });
    }
  });

  it(`refuses more than ${NAME_MAX} characters (counted as characters, not UTF-16 units)`, () => {
    expect(checkName('x'.repeat(NAME_MAX + 1))).toEqual({ ok: false, problem: 'length' });
    expect(checkName('x'.repeat(NAME_MAX))).toEqual({ ok: true, name: 'x'.repeat(NAME_MAX) });
    // 100 astral characters are 200 UTF-16 units: still 100 characters.
    expect(checkName('😀'.repeat(NAME_MAX))).toMatchObject({ ok: true });
  });

  it('trims, turns empty into no name, and keeps any other text as it is', () => {
    expect(checkName('  林小明 ')).toEqual({ ok: true, name: '林小明' });
    expect(checkName('   ')).toEqual({ ok: true, name: undefined });
    expect(checkName(undefined)).toEqual({ ok: true, name: undefined });
    for (const good of ["O'Brien", 'Zoë Ünal', '👩‍💻 Dev', "%%HERALD_UNSUBSCRIBE_URL%% $` $' $& <script>", 'Doe, "JJ"']) {
      expect(checkName(good), good).toEqual({ ok: true, name: good });
    }
  });

  it('displayName leaves out a stored name that breaks the rule, instead of failing every email', () => {
    expect(displayName('A\r\nB')).toBeUndefined();
    expect(displayName(' Ada ')).toBe('Ada');
    expect(displayName(undefined)).toBeUndefined();
  });

  it('showValue makes control characters visible and cuts long values', () => {
    expect(showValue('A\r\nB\u001b')).toBe('A\\r\\nB\\u001b');
    expect(showValue('y'.repeat(200), 10)).toBe(`${'y'.repeat(10)}…`);
  });
});
