/**
 * A long list printed as JSON a slice at a time: the same text as
 * `console.log(JSON.stringify(rows, null, 2))`, without building it as one string (10,000
 * articles or 1,000,000 subscribers would be tens of megabytes, twice: as text and as bytes).
 */
const SLICE = 256;

export function printJsonArray(rows: readonly unknown[], write: (text: string) => void = (t) => void process.stdout.write(t)): void {
  if (rows.length === 0) {
    write('[]\n');
    return;
  }
  for (let start = 0; start < rows.length; start += SLICE) {
    const parts: string[] = [];
    for (let i = start; i < Math.min(rows.length, start + SLICE); i++) {
      // As JSON.stringify writes an array's element: nested two spaces deeper; nothing at all is null.
      const text = JSON.stringify(rows[i], null, 2) ?? 'null';
      parts.push(`  ${text.replaceAll('\n', '\n  ')}`);
    }
    write(`${start === 0 ? '[\n' : ',\n'}${parts.join(',\n')}`);
  }
  write('\n]\n');
}
