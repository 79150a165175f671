/**
 * How far V8 lets the old generation grow past what was live after a full collection: 20%
 * instead of V8's own factor (up to 4×), so a long send's memory stays flat.
 *
 * Why: during a fan-out, each delivery's short-lived objects are often promoted (they outlive
 * two young-generation collections while their page of deliveries is in flight) and then die
 * in the old generation, which V8 lets grow to several times its live size before it collects.
 * `herald digest` to 200,000 subscribers (DKIM off, Postfix smtp-sink, 2 cores) peaked at
 * 172–177 MB with V8's default and at 146–147 MB with 20%, in 66–70 s either way (alternating
 * runs); at 20,000 the send itself peaked ~15 MB lower, at no measurable cost.
 *
 * A node flag set on the command line (`node --heap-growing-percent=… bin/herald`) wins.
 * This flag is only read when V8 sizes the heap after a collection, which is why setting it
 * once the process runs is safe.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 20;

/** Applies the policy unless the process was started with its own setting; says whether it did. */
export function applyHeapPolicy(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
