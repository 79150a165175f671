/**
 * RFC 822-style field blocks, as in message/delivery-status (RFC 3464) and
 * message/feedback-report (RFC 5965) parts and in a returned message's headers:
 * "Name: value" lines, continued by lines that start with white space, blocks separated
 * by blank lines. Lenient: a line that is no field is skipped, never an error.
 */
export type Fields = Map<string, string>;

export function fieldBlocks(text: string): Fields[] {
  const blocks: Fields[] = [];
  let current: Fields = new Map();
  let last: string | undefined;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line.trim() === '') {
      if (current.size > 0) blocks.push(current);
      current = new Map();
      last = undefined;
      continue;
    }
    if (/^[ \t]/.test(line) && last !== undefined) {
      current.set(last, `${current.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const m = /^([A-Za-z0-9-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) {
      last = undefined;
      continue;
    }
    last = (m[1] as string).toLowerCase();
    // The first occurrence wins (a report repeats nothing that matters).
    if (!current.has(last)) current.set(last, (m[2] as string).trim());
  }
  if (current.size > 0) blocks.push(current);
  return blocks;
}

/** The header block at the start of a message (up to the first blank line). */
export function headerBlock(raw: string): Fields {
  const end = raw.search(/\r?\n\r?\n/);
  return fieldBlocks(end < 0 ? raw : raw.slice(0, end))[0] ?? new Map();
}

/** "rfc822; x@example.com" → x@example.com; "<x@example.com>" → x@example.com. */
export function addressOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.includes(';') ? value.slice(value.indexOf(';') + 1) : value;
  const m = /<?([^\s<>;"]+@[^\s<>;"]+?)>?(?:\s|$)/.exec(v.trim());
  return m ? (m[1] as string).replace(/[>.,]+$/, '') : undefined;
}

/** "<abc@host>" out of a Message-ID header value. */
export function messageIdOf(value: string | undefined): string | undefined {
  const m = value ? /<[^<>\s]+>/.exec(value) : null;
  return m ? m[0] : undefined;
}
