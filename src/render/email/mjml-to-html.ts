import type mjml2html from 'mjml';

/** What one MJML compile gives: the minified HTML, MJML's validation errors, or why MJML threw. */
export type MjmlOutcome = { html: string } | { errors: { line: number; message: string }[]; count: number } | { thrown: string };

/**
 * MJML → minified HTML, in whichever thread runs it (compile-mjml.ts runs it in a short-lived
 * worker thread). Validation runs in 'soft' mode (MJML renders and reports).
 */
export async function mjmlToHtml(source: string): Promise<MjmlOutcome> {
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
    return { thrown: e instanceof Error ? e.message : String(e) };
  }
  if (result.errors.length > 0) {
    return { errors: result.errors.slice(0, 5).map((err) => ({ line: err.line, message: err.message })), count: result.errors.length };
  }
  return { html: await minifyEmailHtml(dropInvalidImageHeights(result.html)) };
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
