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
