/** preview: render exactly what would be sent, without sending or recording anything. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Article } from '../../content/article.ts';
import type { Body, renderEmailBody } from '../../pipeline/payloads/email-kind.ts';
import { act, EXIT, UsageError } from '../exit.ts';
import { type GlobalOptions, requireChannel, withHerald } from '../session.ts';

const SAMPLE = { email: 'reader@example.com', name: 'Preview Reader', publicId: 'preview' };

export function registerPreviewCommand(program: Command, g: () => GlobalOptions): void {
  program
    .command('preview [article]')
    .description('render an article for a channel (or the next digest) without sending; email HTML is written to a file')
    .option('--channel <id>', 'the channel to render for')
    .option('--digest <channel>', "preview that email channel's next digest")
    .option('--language <code>', 'email: as a reader of this site language sees it (default: the article\'s language; for a digest, the default language)')
    .action(act(async (articleRef: string | undefined, o: { channel?: string; digest?: string; language?: string }) =>
      withHerald(g(), async (h) => {
        // Loaded when the command runs (`herald --help` loads none of it).
        const { articleStatus, matchesTopics } = await import('../../content/article.ts');
        const { scanSite } = await import('../../pipeline/scan.ts');
        const { channelKind } = await import('../../pipeline/channel-kinds.ts');
        const { personalHtml, renderEmailBody } = await import('../../pipeline/payloads/email-kind.ts');
        const { planChannel, readerContext } = await import('../../pipeline/plan.ts');
        const { siteLanguageCode, siteLanguageCodes } = await import('../../pipeline/subscriber-import.ts');
        const { articlesForReader } = await import('../../pipeline/translations.ts');
        const { preferencesUrl, unsubscribeUrl } = await import('../../util/tokens.ts');
        const language = o.language === undefined ? undefined : siteLanguageCode(h, o.language);
        if (o.language !== undefined && language === undefined) {
          throw new UsageError(`"${o.language}" is not a language of the site (it has ${siteLanguageCodes(h).join(', ')})`);
        }
        if (!o.digest && !articleRef) throw new UsageError('give an article (id or path) with --channel <id>, or --digest <channel>');
        const scan = await scanSite(h);
        const now = h.now();
        const found = requireChannel(h, o.digest ?? o.channel, (c) =>
          o.digest && !(c.type === 'email' && c.mode === 'digest') ? `channel "${c.id}" is not an email digest channel` : undefined,
        );
        const findArticle = (ref: string) => {
          const article = scan.articles.find((a) => a.id === ref || a.file === ref);
          if (article) return article;
          const bad = scan.problems.find((p) => p.file === ref);
          throw new UsageError(bad ? `${bad.file}: ${bad.reason}` : `no article "${ref}" (see \`herald articles\`)`);
        };
        if (found.type !== 'email') {
          // Chat posts: print the exact request and how close each field is to its limit.
          const kind = channelKind(found);
          const { description } = await kind.preview!(h, found, findArticle(articleRef as string));
          console.log(`${found.id} (${found.type}${kind.isPreview(found) ? ', preview mode' : ''}): ${description.method}`);
          console.log(JSON.stringify(description.fields, null, 2));
          for (const l of description.limits) console.log(`${l.field}: ${l.length} / ${l.limit}${l.length > l.limit ? '  OVER THE LIMIT' : ''}`);
          return EXIT.ok;
        }
        const channel = found;
        let label: string;
        let content: Parameters<typeof renderEmailBody>[2];
        if (o.digest) {
          // The next digest = what is waiting plus what this pass would add.
          const seen = new Map((await h.store.listArticles()).map((s) => [s.article.id, s]));
          const plan = await planChannel(h, channel, scan.articles, seen, now, { dryRun: true });
          const ids = new Set([...(await h.store.waitingArticles(channel.id)), ...plan.waiting]);
          let articles: Article[] = scan.articles.filter((a) => ids.has(a.id) && articleStatus(a, now) === 'published');
          if (articles.length === 0) {
            articles = scan.articles.filter((a) => articleStatus(a, now) === 'published' && matchesTopics(a.topics, channel.topics, channel.exclude));
            console.log(`no articles are waiting for ${channel.id}'s next digest; previewing with the most recent published ones`);
          }
          if (articles.length === 0) {
            console.log(`${channel.id}: no published article matches this channel; nothing to preview`);
            return EXIT.ok;
          }
          articles.sort((a, b) => b.publishedAt.localeCompare(a.publishedAt));
          // What a reader of that language (and every topic) gets: one version of each page.
          articles = articlesForReader(articles, { topics: [], language }, await readerContext(h, channel, articles, scan.articles));
          content = { kind: 'digest', articles, date: now };
          label = `digest-${now.toISOString().slice(0, 10)}`;
        } else {
          const article = findArticle(articleRef as string);
          content = { kind: 'post', article };
          label = article.id.replace(/[^A-Za-z0-9_-]+/g, '_');
        }
        const body = await renderEmailBody(h, channel, content, language ?? (content.kind === 'post' ? content.article.language : undefined));
        const unsubscribe = unsubscribeUrl(h.config.server.publicUrl, h.secret, SAMPLE.publicId);
        const preferences = preferencesUrl(h.config.server.publicUrl, h.secret, SAMPLE.publicId);
        const raw = await body.prepared.build({
          to: { address: SAMPLE.email, name: SAMPLE.name },
          messageId: h.messageId(channel.id, `preview.${now.getTime()}`),
          unsubscribeUrl: unsubscribe,
          preferencesUrl: preferences,
          unsubscribeMailto: channel.unsubscribeMailto,
          name: SAMPLE.name,
        });
        const dir = path.join(h.config.outboxDir, 'previews', channel.id);
        mkdirSync(dir, { recursive: true });
        const file = path.join(dir, `${label}.html`);
        writeFileSync(file, personalHtml(body, { name: SAMPLE.name, unsubscribeUrl: unsubscribe, preferencesUrl: preferences }));
        writeFileSync(file.replace(/\.html$/, '.eml'), raw);
        console.log(`subject: ${body.subject}`);
        for (const line of sizeReport(raw.length, body)) console.log(line);
        const keys = channel.dkimKeys ?? [];
        console.log(keys.length > 0 ? `DKIM: signed with ${keys.map((k) => `${k.selector}._domainkey.${k.domain} (${k.algorithm})`).join(', ')}` : 'DKIM: not signed (no dkim key configured; mailbox providers expect bulk mail to be signed)');
        console.log(file);
        return EXIT.ok;
      }),
    ));
}

const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;

/** The message size, and the HTML part's size as sent against the clipping limit. */
export function sizeReport(rawBytes: number, body: Body): string[] {
  const p = body.prepared.parts;
  const lines = [
    `size: ${rawBytes} bytes as sent (text part ${p.text.encoding}, HTML part ${p.html.encoding})`,
    `HTML part: ${kb(body.htmlBytes)} of ${kb(body.maxBytes)} (email.maxBytes)${body.htmlBytes > body.maxBytes ? '  OVER THE LIMIT: Gmail clips the message, hiding the footer and its unsubscribe link' : ''}`,
  ];
  if (body.articles && body.articles.movedForSize > 0) {
    lines.push(`digest: ${body.articles.kept} article(s) in the body; ${body.articles.movedForSize} moved into the "more articles" line to stay under the limit`);
  }
  return lines;
}
