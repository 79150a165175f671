/** Jekyll's permalink styles: a module of its own, so reading a site's config does not load the page parser. */

export const JEKYLL_PERMALINK_STYLES: Record<string, string> = {
  none: '/:categories/:title:output_ext',
  date: '/:categories/:year/:month/:day/:title:output_ext',
  ordinal: '/:categories/:year/:y_day/:title:output_ext',
  pretty: '/:categories/:year/:month/:day/:title/',
  weekdate: '/:categories/:year/W:week/:short_day/:title:output_ext',
};

/** Jekyll's add_permalink_suffix: a collection's default template ends as the site's style does. */
export function withPermalinkSuffix(template: string, style: string): string {
  if (style === 'pretty') return `${template}/`;
  if (style === 'date' || style === 'ordinal' || style === 'none') return `${template}:output_ext`;
  let out = template;
  if (style.endsWith('/')) out += '/';
  if (style.endsWith(':output_ext')) out += ':output_ext';
  return out;
}
