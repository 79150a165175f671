import { convert } from 'html-to-text';

/**
 * Plain-text alternative derived from the HTML, used only when a template set has
 * no `*.txt.liquid` counterpart. Links read as "text [url]"; layout tables are
 * flattened; the hidden MJML preview text is dropped.
 */
export function htmlToPlainText(html: string): string {
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
