/**
 * `herald doctor`'s findings: one line per check, pass / warn / fail, what was seen, and
 * what to do about it. Any fail makes the command exit 1.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail';
export type CheckArea = 'config' | 'dns' | 'web' | 'smtp' | 'sample';

export interface CheckResult {
  status: CheckStatus;
  area: CheckArea;
  /** What was checked, e.g. "SPF example.com". */
  check: string;
  /** What was seen. */
  seen: string;
  /** What to do about it (warn and fail). */
  fix?: string;
  /** The email channel the check belongs to, when it belongs to one. */
  channel?: string;
}

export interface DoctorReport {
  /** The email channels examined. */
  channels: string[];
  results: CheckResult[];
  counts: Record<CheckStatus, number>;
  ok: boolean;
}

export function makeReport(channels: string[], results: CheckResult[]): DoctorReport {
  const counts = { pass: 0, warn: 0, fail: 0 };
  for (const r of results) counts[r.status]++;
  return { channels, results, counts, ok: counts.fail === 0 };
}

export function formatLine(r: CheckResult): string {
  const where = r.channel ? `${r.channel}: ` : '';
  return `${r.status.toUpperCase().padEnd(4)} ${r.area.padEnd(6)} ${where}${r.check}: ${r.seen}${r.fix ? `\n${' '.repeat(12)}fix: ${r.fix}` : ''}`;
}

export function formatReport(report: DoctorReport): string[] {
  const lines = report.results.map(formatLine);
  lines.push(`${report.counts.pass} passed, ${report.counts.warn} warning(s), ${report.counts.fail} failed`);
  return lines;
}

/** Collects results for one area (and channel). */
export class Checks {
  readonly results: CheckResult[] = [];
  constructor(
    private readonly area: CheckArea,
    private readonly channel?: string,
  ) {}
  pass(check: string, seen: string): void {
    this.add('pass', check, seen);
  }
  warn(check: string, seen: string, fix: string): void {
    this.add('warn', check, seen, fix);
  }
  fail(check: string, seen: string, fix: string): void {
    this.add('fail', check, seen, fix);
  }
  private add(status: CheckStatus, check: string, seen: string, fix?: string): void {
    this.results.push({ status, area: this.area, check, seen, ...(fix === undefined ? {} : { fix }), ...(this.channel === undefined ? {} : { channel: this.channel }) });
  }
}
