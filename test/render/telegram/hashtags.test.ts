import { describe, expect, it } from 'vitest';
import { topicHashtag, topicHashtags } from '../../../src/render/telegram/hashtags.ts';

describe('topicHashtag', () => {
  it.each([
    ['AI千兆工厂', '#AI千兆工厂'],
    ['算力与芯片', '#算力与芯片'],
    ['Open Source', '#Open_Source'],
    ['  Node.js / Deno  ', '#Node_js_Deno'],
    ['C++', '#C'],
    ['🦀 Rust', '#Rust'],
    ['snake__case', '#snake_case'],
    ['Ünïcödé Straße', '#Ünïcödé_Straße'],
    ['हिन्दी', '#हिन्दी'],
    ['web3', '#web3'],
    ['2024年', '#2024年'],
  ])('%s → %s', (topic, tag) => {
    expect(topicHashtag(topic)).toBe(tag);
  });

  it('drops topics with nothing usable or only digits', () => {
    for (const t of ['', '   ', '!!!', '🎉', '2024', '2024-2025']) expect(topicHashtag(t)).toBeUndefined();
  });

  it('normalises to NFC so composed and decomposed forms are one tag', () => {
    expect(topicHashtag('Cafe\u0301')).toBe('#Caf\u00e9');
  });
});

describe('topicHashtags', () => {
  it('keeps order and drops empty ones and duplicates (case-insensitively)', () => {
    expect(topicHashtags(['Rust', 'rust', 'Open Source', 'open-source', '2024', '', 'AI千兆工厂'])).toEqual(['#Rust', '#Open_Source', '#AI千兆工厂']);
  });
});
