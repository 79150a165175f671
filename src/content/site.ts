/** Site settings that content/ and render/ need (a subset of the validated config). */
export interface SiteSettings {
  title: string;
  /** Base URL, absolute, e.g. https://example.com/ (always ends with '/'). */
  url: string;
  /** BCP 47 language tag, e.g. 'zh-CN' or 'en'. */
  language: string;
  /** IANA time zone, e.g. 'Asia/Shanghai'. */
  timezone: string;
  /** Postal address for email footers. */
  address?: string;
}

export interface ContentSettings {
  /** Absolute path of the content folder. */
  dir: string;
  /** Hugo-style permalink pattern, default '/:section/:filename/'. */
  permalink: string;
}
