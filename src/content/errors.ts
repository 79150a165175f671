import type { ArticleProblem } from './article.ts';

/** Thrown by parseArticle for a file that cannot become an Article; scanContent turns it into an ArticleProblem. */
export class ArticleParseError extends Error {
  /** Human-readable, names the field or check that failed and what was expected. */
  readonly reason: string;

  constructor(reason: string) {
    super(reason);
    this.name = 'ArticleParseError';
    this.reason = reason;
  }
}

/** A file's problem as a scan reports it: a parse error's reason, else why it could not be read. */
export function problemOf(file: string, err: unknown): ArticleProblem {
  if (err instanceof ArticleParseError) return { file, reason: err.reason };
  return { file, reason: `cannot read file: ${(err as Error).message}` };
}
