/**
 * Whether this Node knows an IANA time zone, without making a formatter when it can: the first
 * Intl.DateTimeFormat of a process costs 20-30 ms of ICU loading (every start of a command,
 * every unchanged rescan), while the list of zones ICU knows costs ~2 ms. Names not listed
 * (aliases such as "UTC", "Etc/UTC" or "Asia/Kolkata") are tried with a formatter, as before.
 */
let listed: Set<string> | undefined;

export function isKnownTimeZone(zone: string): boolean {
  if (!zone) return false;
  listed ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (listed.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
