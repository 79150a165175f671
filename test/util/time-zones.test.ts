import { describe, expect, it } from 'vitest';
import { isKnownTimeZone } from '../../src/util/time-zones.ts';

describe('isKnownTimeZone', () => {
  it('knows what Intl.DateTimeFormat knows: listed zones, aliases and any case', () => {
    for (const zone of ['Asia/Shanghai', 'UTC', 'Etc/UTC', 'Asia/Kolkata', 'Asia/Calcutta', 'America/New_York', 'asia/shanghai', 'Etc/GMT+8']) {
      expect(isKnownTimeZone(zone), zone).toBe(true);
    }
    for (const zone of ['', 'Mars/Base', 'Asia/Shanghai ', '+08:00', 'GMT+8']) {
      let formatterAccepts = true;
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
      } catch {
        formatterAccepts = false;
      }
      expect(isKnownTimeZone(zone), zone).toBe(formatterAccepts && zone !== '');
    }
  });
});
