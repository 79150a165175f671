/**
 * What a post (or a digest entry) shows of an article: the fields a correction is compared on.
 * A change elsewhere in the page changes nothing a reader saw.
 */
import { type Article, displayTitle } from '../content/article.ts';
import type { PostShown } from '../store/types.ts';

/** What a post shows of an article: the fields a correction is compared on. */
export function shownOf(a: Article): PostShown {
  return { title: displayTitle(a), summary: a.summary, ...(a.image === undefined ? {} : { image: a.image }), url: a.url, topics: [...a.topics] };
}

/** Names of the fields that differ, in a fixed order. */
export function shownChanges(before: PostShown, after: PostShown): string[] {
  const out: string[] = [];
  if (before.title !== after.title) out.push('title');
  if (before.summary !== after.summary) out.push('summary');
  if ((before.image ?? '') !== (after.image ?? '')) out.push('image');
  if (before.url !== after.url) out.push('link');
  if (JSON.stringify(before.topics) !== JSON.stringify(after.topics)) out.push('topics');
  return out;
}

