import { performance } from 'node:perf_hooks';
import { type Article, displayTitle } from '../../content/article.ts';
import type { SiteSettings } from '../../content/site.ts';
import { formatLocalDate } from '../filters.ts';
import { defusePlaceholders, PLACEHOLDERS } from '../placeholders.ts';
import type { TemplateEngine } from '../template-engine.ts';
import { compileMjml } from './compile-mjml.ts';
import { htmlToPlainText } from './html-to-text.ts';

/**
 * Pure email renderers: data in, subject/HTML/text out. The result still contains
 * the per-recipient PLACEHOLDERS; prepared-message.ts fills them in per recipient,
 * so one render (one MJML compile) serves every recipient with the same topics.
 */

/** Greeting lines in the email's language; `named` contains `{name}`. */
export interface GreetingForms {
  named: string;
  anonymous: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  /** The interface language actually used (after fallback), e.g. 'zh-CN'. */
  lang: string;
  /** What PLACEHOLDERS.greeting becomes for a recipient with / without a name. */
  greeting: GreetingForms;
  /** Milliseconds spent in Liquid (all parts) and in the MJML compile. */
  timings: { templateMs: number; mjmlMs: number };
}

/** One line of a digest's corrections section. */
export interface DigestCorrection {
  kind: 'corrected' | 'retracted';
  /** The title now (corrected) or as the digest showed it (retracted). */
  title: string;
  url?: string;
  /** What changed: title, summary, image, link, topics. */
  fields?: string[];
}

export interface DigestRenderInput {
  site: SiteSettings;
  /** Newest first, already filtered and cut. */
  articles: Article[];
  /** Articles that matched but were cut; > 0 adds an "N more articles on <site>" line. */
  moreCount: number;
  /** Breaking stories this reader already got as alerts: named in one line (`already_sent`). */
  alreadySent?: Article[];
  /** Articles of the previous digest corrected or retracted since (`corrections`). */
  corrections?: DigestCorrection[];
  /** The digest's date (shown in the default subject in the site's time zone). */
  date: Date;
  /** Liquid; variables: site, date, count, lang. Default: i18n `subject_digest`. */
  subjectTemplate?: string;
  /** Template path without extension, default 'email/digest'. */
  template?: string;
}

export interface SingleRenderInput {
  site: SiteSettings;
  article: Article;
  /** Liquid; variables: site, article, lang. Default: the article title. */
  subjectTemplate?: string;
  /** Template path without extension, default 'email/each'. */
  template?: string;
}

const PREVIEW_MAX = 150;

export async function renderDigest(engine: TemplateEngine, input: DigestRenderInput): Promise<RenderedEmail> {
  const template = input.template ?? 'email/digest';
  const site = safeSite(input.site);
  const articles = input.articles.map(safeArticle);
  const lang = engine.i18n.resolve(site.language);
  const started = performance.now();

  const subjectData = { site, date: input.date, count: articles.length, lang };
  const subject = input.subjectTemplate
    ? await renderSubject(engine, input.subjectTemplate, subjectData, `subject template of ${template}`)
    : engine.i18n.t(lang, 'subject_digest', {
        site: site.title,
        date: formatLocalDate(input.date, site.timezone, site.language),
      });

  const data = {
    ...subjectData,
    articles,
    more_count: Math.max(0, Math.trunc(input.moreCount)),
    already_sent: (input.alreadySent ?? []).map(safeArticle),
    corrections: (input.corrections ?? []).map((c) => ({ ...c, title: defusePlaceholders(c.title), url: c.url === undefined ? undefined : defusePlaceholders(c.url), fields: c.fields ?? [] })),
    subject,
    preview: preview(articles.map((a) => a.title).join(' · ')),
    ...recipientVariables(),
  };
  return renderParts(engine, template, data, lang, subject, started);
}

export async function renderSingle(engine: TemplateEngine, input: SingleRenderInput): Promise<RenderedEmail> {
  const template = input.template ?? 'email/each';
  const site = safeSite(input.site);
  const article = safeArticle(input.article);
  const lang = engine.i18n.resolve(site.language);
  const started = performance.now();

  const subjectData = { site, article, lang };
  const subject = input.subjectTemplate
    ? await renderSubject(engine, input.subjectTemplate, subjectData, `subject template of ${template}`)
    : oneLine(article.title);

  const data = { ...subjectData, subject, preview: preview(article.summary || article.title), ...recipientVariables() };
  return renderParts(engine, template, data, lang, subject, started);
}

async function renderParts(
  engine: TemplateEngine,
  template: string,
  data: Record<string, unknown>,
  lang: string,
  subject: string,
  started: number,
): Promise<RenderedEmail> {
  const mjmlName = `${template}.mjml.liquid`;
  const textName = `${template}.txt.liquid`;
  const hasText = engine.exists(textName);
  const [mjmlSource, textSource] = await Promise.all([
    engine.render(mjmlName, data),
    hasText ? engine.render(textName, data) : Promise.resolve(undefined),
  ]);
  const compileStart = performance.now();
  const html = await compileMjml(mjmlSource, mjmlName);
  const mjmlMs = performance.now() - compileStart;
  const text = tidyText(textSource ?? htmlToPlainText(html));
  return {
    subject,
    html,
    text,
    lang,
    greeting: {
      named: engine.i18n.t(lang, 'greeting_named'),
      anonymous: engine.i18n.t(lang, 'greeting_anonymous'),
    },
    timings: { templateMs: compileStart - started, mjmlMs },
  };
}

function recipientVariables() {
  return {
    recipient: { greeting: PLACEHOLDERS.greeting, name: PLACEHOLDERS.name },
    unsubscribe_url: PLACEHOLDERS.unsubscribeUrl,
    preferences_url: PLACEHOLDERS.preferencesUrl,
  };
}

async function renderSubject(engine: TemplateEngine, source: string, data: Record<string, unknown>, label: string): Promise<string> {
  const subject = oneLine(await engine.renderString(source, data, { label, escape: false }));
  if (subject === '') throw new Error(`${label}: rendered an empty subject`);
  return subject;
}

/** Subjects are headers: one line, no control characters, no runs of spaces. */
function oneLine(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return s.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
}

function preview(s: string): string {
  const line = oneLine(s);
  return line.length <= PREVIEW_MAX ? line : `${line.slice(0, PREVIEW_MAX - 1).trimEnd()}…`;
}

/**
 * Templates are easier to write when whitespace does not matter: strip trailing
 * spaces (keeping the "-- " signature delimiter), collapse runs of blank lines.
 */
export function tidyText(s: string): string {
  return `${s
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => (line === '-- ' ? line : line.trimEnd()))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

function safeSite(site: SiteSettings): SiteSettings {
  return { ...site, title: defusePlaceholders(site.title), ...(site.address === undefined ? {} : { address: defusePlaceholders(site.address) }) };
}

function safeArticle(a: Article): Article {
  return {
    ...a,
    title: defusePlaceholders(displayTitle(a)),
    summary: defusePlaceholders(a.summary),
    url: defusePlaceholders(a.url),
    image: a.image === undefined ? undefined : defusePlaceholders(a.image),
    topics: a.topics.map(defusePlaceholders),
    authors: a.authors.map(defusePlaceholders),
  };
}
