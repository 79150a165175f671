/**
 * Gmail clips a message whose HTML is past ~102 KB: the footer with its unsubscribe link
 * disappears behind "[Message clipped]". A digest that would be too large keeps its newest
 * articles and moves the last ones into its "N more articles" line until it fits.
 */

export interface Fitted<T> {
  value: T;
  /** Articles kept in the body. */
  count: number;
  /** The measured size of `value`. */
  bytes: number;
}

/**
 * The largest count in [1, max] whose rendering measures at most `limit` bytes (sizes grow
 * with the count). The first guess scales by size, so a digest that is too large usually
 * costs two or three renders, not one per article. When even one article is too large,
 * that one is returned (over the limit; the caller warns).
 */
export async function fitWithin<T>(max: number, limit: number, render: (count: number) => Promise<T>, measure: (value: T) => number): Promise<Fitted<T>> {
  const cache = new Map<number, Promise<Fitted<T>>>();
  const at = (count: number) => {
    let f = cache.get(count);
    if (!f) {
      f = render(count).then((value) => ({ value, count, bytes: measure(value) }));
      cache.set(count, f);
    }
    return f;
  };
  const full = await at(max);
  if (full.bytes <= limit || max <= 1) return full;
  // Sizes grow about linearly with the count: interpolate between the largest count known
  // to fit and the smallest known not to, then narrow down.
  let fits: Fitted<T> | undefined;
  let over = full;
  while (over.count - (fits?.count ?? 0) > 1) {
    const low = fits ?? { count: 0, bytes: 0 };
    const guess = low.count + Math.floor(((limit - low.bytes) / (over.bytes - low.bytes)) * (over.count - low.count));
    const f = await at(Math.min(over.count - 1, Math.max(low.count + 1, guess)));
    if (f.bytes <= limit) fits = f;
    else over = f;
  }
  return fits ?? over;
}
