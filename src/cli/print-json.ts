/**
 * A long list printed as JSON a slice at a time: the same text as
 * `console.log(JSON.stringify(rows, null, 2))`, without building it as one string (10,000
 * articles or 1,000,000 subscribers would be tens of megabytes, twice: as text and as bytes).
 */
const SLICE = 64;

export function printJsonArray(rows: readonly unknown[], write: (text: string) => void = (t) => void process.stdout.write(t)): void {
  if (rows.length === 0) {
    write('[]\n');
    return;
  }
  for (let start = 0; start < rows.length; start += SLICE) {
    // A slice printed as an array is indented as the whole would be: "[\n  …\n]" minus its brackets.
    const text = JSON.stringify(rows.slice(start, start + SLICE), null, 2);
    write(`${start === 0 ? '[\n' : ',\n'}${text.slice(2, -2)}`);
  }
  write('\n]\n');
}
