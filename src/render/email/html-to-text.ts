import { createRequire } from 'node:module';

/**
 * Plain-text alternative derived from the HTML, used only when a template set has
 * no `*.txt.liquid` counterpart. Links read as "text [url]"; layout tables are
 * flattened; the hidden MJML preview text is dropped.
 */
export function htmlToPlainText(html: string): string {
  // Loaded on first use (htmlparser2 and friends): only emails without a text template need it.
  const { convert } = createRequire(import.meta.url)('html-to-text') as typeof import('html-to-text');
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['[', ']'] } },
      { selector: 'img', format: 'skip' },
      { selector: 'table', format: 'block' },
      { selector: 'tr', format: 'block' },
      { selector: 'td', format: 'block' },
      { selector: 'head', format: 'skip' },
      // Hidden content (mj-preview renders as one) is not meant to be read.
      { selector: 'div[style*="display:none"]', format: 'skip' },
    ],
  });
}
