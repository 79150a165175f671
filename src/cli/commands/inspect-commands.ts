/** check, articles, status: read-only views of the site and the ledger. */
import type { Command } from 'commander';
import { channelRates, percent, type Rates } from '../../bounces/rates.ts';
import type { ChannelState } from '../../pipeline/article-state.ts';
import { clusterOf, HEARTBEAT_DEAD_MS } from '../../store/cluster.ts';
import { act, EXIT } from '../exit.ts';
import { printJsonArray } from '../print-json.ts';
import { type GlobalOptions, openConfig, withHerald } from '../session.ts';

export function registerInspectCommands(program: Command, g: () => GlobalOptions): void {
  program
    .command('check')
    .description('validate the config and every article; show where the site settings came from; list each problem (exit 1 if any) and warning')
    .action(act(async () => {
      const config = await openConfig(g());
      const { scanContent } = await import('../../content/scan.ts');
      const { emailChecks } = await import('../../config/email-checks.ts');
      const { site, settings } = config.sources;
      if (site) console.log(`site: ${site.generator === 'hugo' ? 'Hugo' : 'Jekyll'} site at ${site.root} (read ${site.files.join(', ') || 'no config file'})`);
      for (const s of settings) console.log(`  ${s.setting} = ${s.value}  (${s.from})`);
      const scan = await scanContent(config.content, config.site);
      for (const w of scan.warnings) console.log(`${w.file}${w.line === undefined ? '' : `:${w.line}`}: warning: ${w.message}`);
      for (const p of scan.problems) console.log(`${p.file}: ${p.reason}`);
      const email = await emailChecks(config);
      for (const c of email) console.log(`${c.level}: ${c.message}`);
      const configProblems = email.filter((c) => c.level === 'problem').length;
      const warnings = email.length - configProblems;
      const others = scan.skipped.length > 0 ? `, ${scan.skipped.length} other file(s) not articles (see herald articles)` : '';
      const summary = `${scan.articles.length} article(s) OK, ${scan.problems.length} problem(s), ${scan.warnings.length} warning(s)${others}; config ${config.file} ${configProblems > 0 ? `has ${configProblems} problem(s)` : 'OK'}${warnings > 0 ? `, ${warnings} warning(s)` : ''} (${config.channels.length} channel(s))`;
      console.log(summary);
      return scan.problems.length > 0 || configProblems > 0 ? EXIT.failed : EXIT.ok;
    }));

  program
    .command('articles')
    .description('every content file: each article with its status and per-channel delivery state, every other file with why it is not one')
    .option('--json', 'machine-readable output')
    .option('--all', 'also list files that are not content (images, data)')
    .action(act(async (o: { json?: boolean; all?: boolean }) =>
      withHerald(g(), async (h) => {
        const { listSite } = await import('../../pipeline/scan.ts');
        const { loadedChannelState } = await import('../../pipeline/article-state.ts');
        const { articleStatus } = await import('../../content/article.ts');
        // What the rows show and the status needs: an unchanged site's snapshot gives back only these.
        const scan = await listSite(h, ['translationKey', 'title', 'publishedAt', 'draft', 'expiresAt', 'topics'], { all: o.all });
        const now = h.now();
        const rows = [];
        // Each channel's ledger read once, not per article.
        const ledgers = await Promise.all(
          h.config.channels.map(async (c) => ({ id: c.id, decisions: await h.store.decisions(c.id), approvals: await h.store.postApprovals(c.id), summaries: await h.store.deliverySummaries(c.id) })),
        );
        for (const a of scan.articles) {
          const channels: Record<string, ChannelState> = {};
          for (const l of ledgers) channels[l.id] = loadedChannelState(a.id, l.decisions, l.approvals, l.summaries);
          rows.push({
            id: a.id,
            file: a.file,
            language: a.language,
            translationKey: a.translationKey,
            status: articleStatus(a, now),
            title: a.title,
            date: a.publishedAt,
            url: a.url,
            topics: a.topics,
            channels,
          });
        }
        for (const p of scan.problems) rows.push({ file: p.file, status: 'invalid', error: p.reason });
        // Not articles, and not broken either: each with the reason.
        for (const s of scan.skipped) rows.push({ file: s.file, ...(s.language ? { language: s.language } : {}), status: s.reason, reason: s.detail });
        const byFile = (x: { file: string; language?: string }, y: { file: string; language?: string }) =>
          x.file < y.file ? -1 : x.file > y.file ? 1 : (x.language ?? '') < (y.language ?? '') ? -1 : (x.language ?? '') > (y.language ?? '') ? 1 : 0;
        rows.sort(byFile);
        if (o.json) printJsonArray(rows);
        else
          for (const r of rows) {
            // The latest editor's decision, if any: "tg=held(@ann via telegram)".
            const decided = (s: ChannelState) => {
              const d = s.approval?.decisions.filter((x) => x.action !== 'planned').pop();
              return d ? `(${d.action} ${d.by.name} via ${d.by.via})` : '';
            };
            const states = 'channels' in r && r.channels ? Object.entries(r.channels).map(([id, s]) => `${id}=${s.state}${decided(s)}`).join(' ') : '';
            const lang = 'language' in r && r.language && (h.config.content.languages?.length ?? 1) > 1 ? ` [${r.language}]` : '';
            const why = 'error' in r ? `  (${r.error})` : 'reason' in r ? `  (${r.reason})` : '';
            console.log(`${r.status.padEnd(12)} ${r.file}${lang}${'title' in r ? `  ${r.title}` : ''}${why}${states ? `  [${states}]` : ''}`);
          }
        return EXIT.ok;
      }),
    ));

  program
    .command('status')
    .description('channels, what is pending or failed, when the next digests go, subscribers; with PostgreSQL, the Herald processes alive')
    .option('--json', 'machine-readable output')
    .action(act(async (o: { json?: boolean }) =>
      withHerald(g(), async (h) => {
        const { channelKind } = await import('../../pipeline/channel-kinds.ts');
        const { nextScheduled } = await import('../../pipeline/digest-schedule.ts');
        const { articleStatus } = await import('../../content/article.ts');
        const now = h.now();
        const counts = new Map((await h.store.counts()).map((c) => [c.channelId, c]));
        const rates = new Map((await channelRates(h)).map((r) => [r.channelId, r]));
        const channels = [];
        for (const c of h.config.channels) {
          const state = await h.store.getChannel(c.id);
          const n = counts.get(c.id) ?? { pending: 0, sending: 0, sent: 0, failed: 0 };
          const digest =
            c.type === 'email' && c.mode === 'digest' && state
              ? {
                  waiting: (await h.store.waitingArticles(c.id)).length,
                  nextAt: nextScheduled(c.schedule, h.config.site.timezone, new Date(state.lastDigestAt ?? state.firstRunAt)).toISOString(),
                  lastAt: state.lastDigestAt,
                }
              : undefined;
          channels.push({
            id: c.id,
            type: c.type,
            enabled: c.enabled,
            preview: channelKind(c).isPreview(c),
            firstRunAt: state?.firstRunAt,
            deliveries: { pending: n.pending, sending: n.sending, sent: n.sent, failed: n.failed },
            nextAttemptAt: await h.store.nextAttemptAt(c.id),
            digest,
            ...(rates.has(c.id) ? { bounces: { lastDigest: rates.get(c.id)?.lastDigest, last30Days: rates.get(c.id)?.last30Days } } : {}),
          });
        }
        const articles = await h.store.listArticles();
        const byStatus: Record<string, number> = {};
        for (const a of articles.filter((x) => !x.goneAt)) {
          const s = articleStatus(a.article, now);
          byStatus[s] = (byStatus[s] ?? 0) + 1;
        }
        const failures = (await h.store.recentFailures(10)).map((d) => ({ id: d.id, channel: d.channelId, recipient: d.recipient, error: d.lastError }));
        // What waits for the editors: awaiting approval (until when) or held.
        const approvals = (await h.store.openApprovals()).map((a) => ({
          channel: a.channelId,
          ...(a.kind === 'post' ? { article: a.articleId } : { digest: a.scheduledAt }),
          status: a.status,
          ...(a.releaseAt && a.status === 'awaiting' ? { releaseAt: a.releaseAt } : {}),
        }));
        const warnings = [...rates.values()].flatMap((r) => r.warnings);
        // On a shared store: every process that wrote a heartbeat (one silent for 20 s is taken for dead).
        const cluster = clusterOf(h.store);
        const processes = cluster
          ? (await cluster.processes()).map((p) => ({
              host: p.host,
              pid: p.pid,
              role: p.role,
              leader: p.leader,
              startedAt: p.startedAt.toISOString(),
              lastHeartbeat: p.seenAt.toISOString(),
              secondsSilent: Math.round(p.silentMs / 1000),
              alive: p.silentMs < HEARTBEAT_DEAD_MS,
            }))
          : undefined;
        const out = { channels, articles: byStatus, subscribers: await h.store.subscriberCounts(), approvals, recentFailures: failures, warnings, ...(processes ? { processes } : {}) };
        if (o.json) {
          console.log(JSON.stringify(out, null, 2));
          return EXIT.ok;
        }
        for (const c of channels) {
          const d = c.deliveries;
          console.log(`${c.id} (${c.type}${c.preview ? ', preview mode' : ''}${c.enabled ? '' : ', disabled'}): ${d.sent} sent, ${d.pending} pending, ${d.sending} sending, ${d.failed} failed`);
          if (c.nextAttemptAt && d.pending) console.log(`  next attempt ${c.nextAttemptAt}`);
          if (c.digest) console.log(`  ${c.digest.waiting} article(s) waiting; next digest ${c.digest.nextAt}${c.digest.lastAt ? `; last ${c.digest.lastAt}` : ''}`);
          if (!c.firstRunAt) console.log('  has not run yet');
          const show = (label: string, r: Rates) => `${label}: ${r.sent} sent, ${r.bounced} bounced (${percent(r.bounceRate)}), ${r.complained} complaints (${percent(r.complaintRate)})`;
          if (c.bounces?.lastDigest) console.log(`  ${show(`last digest #${c.bounces.lastDigest.digestId}`, c.bounces.lastDigest)}`);
          if (c.bounces?.last30Days) console.log(`  ${show('last 30 days', c.bounces.last30Days)}`);
        }
        console.log(`articles: ${Object.entries(byStatus).map(([k, v]) => `${v} ${k}`).join(', ') || 'none seen yet'}`);
        const s = out.subscribers;
        console.log(`subscribers: ${s.active} active, ${s.pending} pending, ${s.unsubscribed} unsubscribed, ${s.bounced} bounced, ${s.complained} complained`);
        for (const a of approvals) {
          const what = 'article' in a ? a.article : `digest of ${a.digest}`;
          console.log(`${a.status === 'held' ? 'held' : 'awaiting approval'}: ${a.channel} ${what}${'releaseAt' in a ? ` (released at ${a.releaseAt} unless held)` : a.status === 'awaiting' ? ' (waits for an editor)' : ''}`);
        }
        for (const f of failures) console.log(`failed #${f.id} ${f.channel} → ${f.recipient}: ${f.error}`);
        for (const w of warnings) console.log(`warning: ${w}`);
        if (processes) {
          console.log(`processes: ${processes.filter((p) => p.alive).length} alive`);
          for (const p of processes) {
            console.log(`  ${p.host} pid ${p.pid} ${p.role}${p.leader ? ' (leader)' : ''}: last heartbeat ${p.secondsSilent} s ago${p.alive ? '' : ', not answering'}`);
          }
        }
        return EXIT.ok;
      }),
    ));
}
