/** Enough multipart/form-data for the API imitations: text fields as strings, files as their name, size and bytes. */
export function parseMultipart(raw: Buffer, boundary: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const text = raw.toString('latin1');
  for (const part of text.split(`--${boundary}`)) {
    const end = part.indexOf('\r\n\r\n');
    if (end < 0) continue;
    const headers = part.slice(0, end);
    const name = /name="([^"]*)"/.exec(headers)?.[1];
    if (name === undefined) continue;
    const value = Buffer.from(part.slice(end + 4).replace(/\r\n$/, ''), 'latin1');
    const filename = /filename="([^"]*)"/.exec(headers)?.[1];
    out[name] = filename === undefined ? value.toString('utf8') : { filename, size: value.length, data: value };
  }
  return out;
}

export function multipartBoundary(contentType: string): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}
