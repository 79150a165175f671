import type mjml2html from 'mjml';
import { TemplateError } from '../template-engine.ts';

/**
 * MJML → HTML. Validation runs in 'soft' mode (MJML renders and reports), and any
 * reported error is rethrown naming the template: a broken layout should stop the
 * send, not reach 20,000 inboxes. The HTML is then minified (html-minifier-terser, with
 * only the transformations that keep email HTML intact: see `minifyEmailHtml`), rather
 * than with MJML's own htmlnano step, which can rewrite attribute values and conditional
 * comments.
 */
export async function compileMjml(source: string, templateName: string): Promise<string> {
  // Loaded when an email is first compiled (MJML is large): other commands never pay for it.
  const { default: compile } = await import('mjml');
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    result = await compile(source, {
      validationLevel: 'soft',
      // No web fonts: the default list would add Google Fonts <link>s for some font names.
      fonts: {},
      keepComments: false,
      minify: false,
      beautify: false,
    });
  } catch (e) {
    throw new TemplateError(templateName, `MJML could not compile the rendered template: ${(e as Error).message}`, e);
  }
  if (result.errors.length > 0) {
    const details = result.errors
      .slice(0, 5)
      .map((err) => `line ${err.line}: ${err.message}`)
      .join('; ');
    const more = result.errors.length > 5 ? ` (and ${result.errors.length - 5} more)` : '';
    throw new TemplateError(templateName, `invalid MJML (line numbers refer to the rendered MJML): ${details}${more}`);
  }
  return minifyEmailHtml(dropInvalidImageHeights(result.html));
}

/**
 * Whitespace collapsed to single spaces (never removed: inline text keeps its gaps),
 * comments dropped except Outlook's conditional comments, CSS in <style> and style=""
 * minified. Attribute quotes, closing slashes, attribute values and the per-recipient
 * placeholders are left as they are. Gmail clips messages over ~102 KB.
 */
export async function minifyEmailHtml(html: string): Promise<string> {
  // Loaded on first use (terser and clean-css take ~200 ms to load): commands that render no email never pay for it.
  const { minify } = await import('html-minifier-terser');
  // collapseWhitespace leaves <pre> and <textarea> as they are.
  return minify(html, {
    collapseWhitespace: true,
    conservativeCollapse: true,
    removeComments: true,
    minifyCSS: true,
    caseSensitive: true,
    keepClosingSlash: true,
  });
}

/** MJML writes height="auto" on images, which is not a valid height attribute (the inline style already says height:auto). */
export function dropInvalidImageHeights(html: string): string {
  return html.replace(/(<img\b[^>]*?)\s+height="auto"/gi, '$1');
}
