import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EmailChannelConfig } from '../../src/channels/email/email-config.ts';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { redact } from '../../src/util/secrets.ts';

function setup(yaml: string, dotenv?: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-config-'));
  mkdirSync(path.join(dir, 'site/content'), { recursive: true });
  mkdirSync(path.join(dir, 'conf'));
  const file = path.join(dir, 'conf/herald.yaml');
  writeFileSync(file, yaml);
  if (dotenv) writeFileSync(path.join(dir, '.env'), dotenv);
  return { dir, file };
}

const base = `
site: { title: T, url: "https://example.com", timezone: Asia/Shanghai, language: zh-CN }
content: { dir: ../site/content }
`;

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('resolves relative paths against the config file folder and fills defaults', () => {
    const { dir, file } = setup(`${base}store: { url: "sqlite:../data/h.db" }\n`);
    const c = loadConfig({ file, env: {} });
    expect(c.content.dir).toBe(path.join(dir, 'site/content'));
    expect(c.store.path).toBe(path.join(dir, 'data/h.db'));
    expect(c.outboxDir).toBe(path.join(dir, 'conf/outbox'));
    expect(c.site.url).toBe('https://example.com/');
    expect(c.content.lookbackMs).toBe(24 * 3600_000);
    expect(c.content.maxAgeMs).toBe(7 * 86400_000);
    expect(c.content.permalink).toBe('');
    expect(c.delivery.maxAttempts).toBe(8);
  });

  it('server.timeouts: defaults that cut slow clients off, each settable; a request timeout is never shorter than the headers one', () => {
    const { file } = setup(base);
    expect(loadConfig({ file, env: {} }).server.timeouts).toEqual({ headersMs: 10_000, requestMs: 30_000, idleMs: 120_000, keepAliveMs: 5_000 });
    const custom = setup(`${base}server: { timeouts: { headers: 2s, request: 1s, idle: 90s } }\n`);
    expect(loadConfig({ file: custom.file, env: {} }).server.timeouts).toEqual({ headersMs: 2_000, requestMs: 2_000, idleMs: 90_000, keepAliveMs: 5_000 });
    const bad = setup(`${base}server: { timeouts: { request: soon, slow: 1s } }\n`);
    const found = problems(() => loadConfig({ file: bad.file, env: {} })).join('\n');
    expect(found).toContain('server.timeouts.request: expected a duration like 30s');
    expect(found).toMatch(/server\.timeouts.*slow/);
  });

  it('fills ${VAR} and ${VAR:-default} from the environment and .env, process env winning', () => {
    const yaml = `${base}channels:
  news:
    type: email
    from: "News <n@example.com>"
    smtp: \${SMTP_URL}
    subject: "\${SUBJECT:-Weekly}"
    schedule: "\${CRON:-0 8 * * 1}"
`;
    const { dir, file } = setup(yaml, 'SMTP_URL=smtp://u:dotenvpass@mail.example.com:2525\nCRON=0 9 * * *\n');
    const c = loadConfig({ file, cwd: dir, env: undefined as never });
    const ch = c.channels[0] as EmailChannelConfig;
    expect(ch.smtp).toBe('smtp://u:dotenvpass@mail.example.com:2525');
    expect(ch.subject).toBe('Weekly');
    expect(ch.schedule).toBe('0 9 * * *');
    // The password was registered as a secret.
    expect(redact('failed: dotenvpass')).toBe('failed: ***');
    process.env.CRON = '0 10 * * *';
    try {
      expect((loadConfig({ file, cwd: dir }).channels[0] as EmailChannelConfig).schedule).toBe('0 10 * * *');
    } finally {
      delete process.env.CRON;
    }
  });

  it('names the key path and what was expected', () => {
    const { file } = setup(`${base}channels:
  news:
    type: email
    from: "News <n@example.com>"
    schedule: every day
    maxArticles: lots
  bad id!:
    type: email
    from: "x <x@example.com>"
`);
    const p = problems(() => loadConfig({ file, env: {} }));
    expect(p.some((l) => l.startsWith('channels.news.schedule: expected a cron expression'))).toBe(true);
    expect(p.some((l) => l.startsWith('channels.news.maxArticles:'))).toBe(true);
    expect(p.some((l) => l.startsWith('channels.bad id!: expected an id of letters'))).toBe(true);
  });

  it('reports unknown keys, bad durations, time zones, URLs and channel types', () => {
    const { file } = setup(`site: { title: T, url: "example.com", timezone: Mars/Base }
content: { dir: ../site/content, lookback: 3 days }
extra: 1
channels:
  chat: { type: pigeon }
`);
    const p = problems(() => loadConfig({ file, env: {} }));
    expect(p).toContainEqual(expect.stringMatching(/^site\.url: expected an absolute http\(s\) URL/));
    expect(p).toContainEqual(expect.stringMatching(/^site\.timezone: expected an IANA time zone/));
    expect(p).toContainEqual(expect.stringMatching(/^content\.lookback: expected a duration like 24h/));
    expect(p).toContainEqual(expect.stringMatching(/extra/));
    expect(p).toContainEqual(expect.stringMatching(/^channels\.chat\.type:/));
  });

  it('says which environment variable is missing, and where', () => {
    const { file } = setup(`${base}channels:\n  news: { type: email, from: "a <a@example.com>", smtp: "\${NOPE_URL}" }\n`);
    expect(problems(() => loadConfig({ file, env: {} }))).toEqual([
      'channels.news.smtp: environment variable NOPE_URL is not set (write ${NOPE_URL:-default} to make it optional)',
    ]);
  });

  it('reports YAML syntax errors and a missing content folder', () => {
    const { file } = setup('site: [unclosed\n');
    expect(problems(() => loadConfig({ file, env: {} }))[0]).toMatch(/^YAML: /);
    const other = setup(`site: { title: T, url: "https://e.com" }\ncontent: { dir: ../nowhere }\n`);
    expect(problems(() => loadConfig({ file: other.file, env: {} }))[0]).toMatch(/^content\.dir: folder ".*nowhere" does not exist/);
  });

  it('never shows an SMTP password in its errors', () => {
    const { file } = setup(`${base}channels:\n  news: { type: email, from: "a <a@example.com>", smtp: "ftp://user:hunter2secret@x", schedule: nope }\n`);
    const err = (() => {
      try {
        loadConfig({ file, env: {} });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).not.toContain('hunter2secret');
  });
});

describe('editors and approval windows in the config', () => {
  const editors = `editors:
  telegram:
    token: \${EDITOR_TOKEN:-}
    users: [123456789, "987654321"]
    chat: "-1001234567890"
`;
  const channel = (approval: string) => `channels:
  news:
    type: telegram
    chat: "@news"
    approval: ${approval}
`;

  it('reads editors, registers their tokens as secrets, and accepts an approval window', () => {
    const { file } = setup(`${base}${editors}${channel('{ window: 15m }')}`);
    const c = loadConfig({ file, env: { EDITOR_TOKEN: '4242:editor-token-SECRET' } });
    expect(c.editors?.telegram).toMatchObject({ users: [123456789, 987654321], chat: -1001234567890, webhook: false, apiRoot: 'https://api.telegram.org' });
    expect((c.channels[0] as { approval?: unknown }).approval).toEqual({ window: 15 * 60_000, required: false, breaking: false });
    expect(redact('token 4242:editor-token-SECRET')).toBe('token ***');
  });

  it('an approval window without editors is an error naming the channel', () => {
    const { file } = setup(`${base}${channel('{ window: 15m }')}`);
    expect(problems(() => loadConfig({ file, env: {} }))).toEqual([
      'channels.news.approval: an approval window needs editors to decide: configure editors.telegram or editors.discord (with a token)',
    ]);
    // Editors whose token is unset count as none.
    const unset = setup(`${base}${editors}${channel('{ required: true }')}`);
    expect(problems(() => loadConfig({ file: unset.file, env: {} }))[0]).toMatch(/^channels\.news\.approval: an approval window needs editors/);
  });

  it('explains bad editors and approval values', () => {
    const { file } = setup(`${base}editors:
  telegram:
    token: "bot123:abc"
    users: [alice]
    webhook: true
  discord:
    applicationId: 1234567890123456789
    publicKey: nothex
    token: x
    guildId: "1234567890"
${channel('{ window: soon }')}`);
    const p = problems(() => loadConfig({ file, env: {} }));
    expect(p).toContain('editors.telegram.token: expected a bot token like 123456789:AAE… as given by @BotFather (value not shown)');
    expect(p).toContain('editors.telegram.users.0: expected a Telegram user id (a positive number like 123456789; @userinfobot tells you yours), got "alice"');
    expect(p).toContain('editors.discord.applicationId: put the application id in quotes ("1234567890123456800" loses digits as a YAML number)');
    expect(p).toContain('editors.discord.publicKey: expected the application public key: 64 hex digits from the Discord developer portal');
    expect(p).toContain('editors.discord.roles: list the role ids and/or user ids allowed to command Herald (roles: [...] or users: [...])');
    expect(p).toContain('channels.news.approval.window: expected a duration like 15m (units ms, s, m, h, d, w), got "soon"');
    const empty = setup(`${base}${editors}${channel('{}')}`);
    expect(problems(() => loadConfig({ file: empty.file, env: { EDITOR_TOKEN: '4242:tok' } }))).toEqual([
      'channels.news.approval: expected window: 15m (released automatically at its end) or required: true (waits for an editor)',
    ]);
  });

  it('approval cards need somewhere to go', () => {
    const { file } = setup(`${base}editors:
  discord:
    applicationId: "1234567890123456789"
    publicKey: "${'ab'.repeat(32)}"
    token: bot-token-value
    guildId: "1234567890123456789"
    roles: ["1234567890123456789"]
${channel('{ window: 15m }')}`);
    expect(problems(() => loadConfig({ file, env: {} }))).toEqual([
      "editors.discord.channelId: channel news has an approval window: set the editors' channel (channelId) where its approval cards go",
    ]);
  });

  it('a Telegram webhook needs an https publicUrl', () => {
    const { file } = setup(`${base}server: { publicUrl: "http://example.com/" }\n${editors.replace('    chat:', '    webhook: true\n    chat:')}`);
    expect(problems(() => loadConfig({ file, env: { EDITOR_TOKEN: '4242:tok' } }))).toEqual([
      'editors.telegram.webhook: Telegram delivers webhooks only over https: set server.publicUrl to an https:// address, or use webhook: false (long polling)',
    ]);
  });
});

describe('loadConfig with content.site', () => {
  function site(files: Record<string, string>, heraldYaml: string): { dir: string; file: string } {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-site-config-'));
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, 'site', rel)), { recursive: true });
      writeFileSync(path.join(dir, 'site', rel), text);
    }
    const file = path.join(dir, 'herald.yaml');
    writeFileSync(file, heraldYaml);
    return { dir, file };
  }

  const HUGO = {
    'hugo.toml': 'baseURL = "https://blog.example.com/"\ntitle = "My Blog"\ntimeZone = "Asia/Shanghai"\ncontentDir = "posts-src"\ndefaultContentLanguage = "zh"\n[permalinks]\n  posts = "/:year/:slug/"\n',
    'config/_default/languages.toml': '[zh]\nweight = 1\nlanguageCode = "zh-CN"\ntitle = "我的博客"\n[en]\nweight = 2\ncontentDir = "posts-en"\n',
    'config/_default/params.toml': 'author = "x"\n',
    'config/production/hugo.toml': 'uglyURLs = true\nignoreFiles = ["\\\\.draft\\\\.md$"]\n',
    'posts-src/.keep': '',
    'posts-en/.keep': '',
  };

  it("reads a Hugo site's own config (root file, config/_default, config/production) and says where each setting came from", () => {
    const { dir, file } = site(HUGO, 'content:\n  site: site\nchannels: {}\n');
    const c = loadConfig({ file, env: {} });
    expect(c.site).toEqual({ title: 'My Blog', url: 'https://blog.example.com/', timezone: 'Asia/Shanghai', language: 'zh-CN' });
    expect(c.content).toMatchObject({
      generator: 'hugo',
      dir: path.join(dir, 'site/posts-src'),
      permalink: '',
      permalinks: { posts: '/:year/:slug/' },
      uglyURLs: true,
      ignoreFiles: ['\\.draft\\.md$'],
      defaultLanguage: 'zh',
    });
    expect(c.content.languages).toEqual([
      { code: 'zh', locale: 'zh-CN', title: '我的博客', baseUrl: 'https://blog.example.com/', prefix: '', contentDir: path.join(dir, 'site/posts-src'), weight: 1 },
      { code: 'en', locale: 'en', baseUrl: 'https://blog.example.com/', prefix: 'en', contentDir: path.join(dir, 'site/posts-en'), weight: 2 },
    ]);
    expect(c.sources.site).toEqual({ generator: 'hugo', root: path.join(dir, 'site'), files: ['hugo.toml', 'config/_default/languages.toml', 'config/_default/params.toml', 'config/production/hugo.toml'] });
    const from = Object.fromEntries(c.sources.settings.map((s) => [s.setting, s.from]));
    expect(from).toMatchObject({ 'site.url': 'hugo.toml baseurl', 'site.timezone': 'hugo.toml timezone', permalinks: 'hugo.toml permalinks', uglyURLs: 'config/production/hugo.toml uglyurls', languages: 'config/_default/languages.toml languages' });
  });

  it("lets Herald's own site and content keys win, and says what they override", () => {
    const { file } = site(HUGO, 'site:\n  url: https://www.example.org/blog/\n  timezone: UTC\ncontent:\n  site: site\n  permalink: /:section/:filename/\nchannels: {}\n');
    const c = loadConfig({ file, env: {} });
    expect(c.site.url).toBe('https://www.example.org/blog/');
    expect(c.site.timezone).toBe('UTC');
    expect(c.content.permalink).toBe('/:section/:filename/');
    // Languages on the site's address follow Herald's.
    expect(c.content.languages?.map((l) => l.baseUrl)).toEqual(['https://www.example.org/blog/', 'https://www.example.org/blog/']);
    const tz = c.sources.settings.find((s) => s.setting === 'site.timezone');
    expect(tz).toEqual({ setting: 'site.timezone', value: 'UTC', from: 'herald.yaml, over Asia/Shanghai from hugo.toml timezone' });
  });

  it('checks channel languages against the site', () => {
    const { file } = site(HUGO, 'content:\n  site: site\nchannels:\n  zh-only: { type: telegram, chat: "@xchannel", languages: [zh] }\n  bad: { type: telegram, chat: "@ychannel", languages: [fr] }\n');
    expect(problems(() => loadConfig({ file, env: {} }))).toEqual(['channels.bad.languages: "fr" is not a language of the site (it has zh, en)']);
  });

  it("reads a Jekyll site's _config.yml", () => {
    const { dir, file } = site(
      { '_config.yml': 'title: J\nurl: https://j.example.com\nbaseurl: /blog\ntimezone: Europe/Berlin\npermalink: pretty\nlang: de\ncollections:\n  recipes: { output: true }\n  hidden: { output: false }\n' },
      'content:\n  site: site\nchannels: {}\n',
    );
    const c = loadConfig({ file, env: {} });
    expect(c.site).toEqual({ title: 'J', url: 'https://j.example.com/blog/', timezone: 'Europe/Berlin', language: 'de' });
    expect(c.content.generator).toBe('jekyll');
    expect(c.content.jekyll).toMatchObject({ source: path.join(dir, 'site'), permalink: '/:categories/:year/:month/:day/:title/', collections: [{ label: 'recipes', permalink: '/:collection/:path/' }] });
  });

  it('says what is missing: no site config, no address, no content folder', () => {
    const empty = site({ 'readme.txt': 'x' }, 'content:\n  site: site\nchannels: {}\n');
    expect(problems(() => loadConfig({ file: empty.file, env: {} }))[0]).toMatch(/^content\.site: .*site: neither a Hugo site .* nor a Jekyll site/);
    const noUrl = site({ 'hugo.toml': 'title = "T"\n', 'content/.keep': '' }, 'content:\n  site: site\nchannels: {}\n');
    expect(problems(() => loadConfig({ file: noUrl.file, env: {} }))).toEqual(["site.url: expected the site's address, like https://example.com/ (baseURL is not set in the site's config either)"]);
    const noDir = site({ 'hugo.toml': 'baseURL = "https://e.com/"\ntitle = "T"\n' }, 'content:\n  site: site\nchannels: {}\n');
    expect(problems(() => loadConfig({ file: noDir.file, env: {} }))[0]).toMatch(/^content\.dir: folder ".*site\/content" does not exist/);
    const neither = setup('site: { title: T, url: "https://e.com" }\ncontent: { lookback: 1h }\n');
    expect(problems(() => loadConfig({ file: neither.file, env: {} }))).toEqual(['content: expected "dir" (the folder of markdown articles) or "site" (the root of a Hugo or Jekyll site)']);
  });
});

describe('living posts, roundups and breaking news in the config', () => {
  it('chat channels: defaults for edits and retractions; roundups, breaking topics and alerts as written', () => {
    const { file } = setup(`${base}breaking: { topics: [quake] }
channels:
  tg: { type: telegram, chat: "@news_chat", roundup: { threshold: 5 } }
  dc: { type: discord, onEdit: ignore, editNote: false, settle: 30s, onRetract: delete, retractOnExpiry: true }
  mail: { type: email, from: "a@example.com", breaking: email, alreadySent: mention, corrections: true }
`);
    const c = loadConfig({ file, env: {} });
    expect(c.breaking).toEqual({ topics: ['quake'] });
    expect(c.channels[0]).toMatchObject({ onEdit: 'update', editNote: true, settle: 120_000, onRetract: 'mark', retractOnExpiry: false, roundup: { threshold: 5, window: 600_000 } });
    expect(c.channels[1]).toMatchObject({ onEdit: 'ignore', editNote: false, settle: 30_000, onRetract: 'delete', retractOnExpiry: true });
    expect(c.channels[1]).not.toHaveProperty('roundup');
    expect(c.channels[2]).toMatchObject({ breaking: 'email', alreadySent: 'mention', corrections: true });
  });

  it('names the key and what was expected', () => {
    const { file } = setup(`${base}channels:
  tg: { type: telegram, chat: "@news_chat", onRetract: remove, roundup: { threshold: 0, window: soon } }
  mail: { type: email, from: "a@example.com", breaking: sms }
`);
    const found = problems(() => loadConfig({ file, env: {} })).join('\n');
    expect(found).toMatch(/channels\.tg\.onRetract: .*"delete".*"mark".*"ignore"/);
    expect(found).toContain('channels.tg.roundup.threshold: expected a threshold of at least 1');
    expect(found).toContain('channels.tg.roundup.window: expected a duration like 10m');
    expect(found).toMatch(/channels\.mail\.breaking: .*"off".*"email"/);
  });
});
