/** mailauth ships no types for this helper (its DMARC lookup with the organizational-domain fallback). */
declare module 'mailauth/lib/dmarc/get-dmarc-record.js' {
  export interface DmarcRecord {
    v: string;
    p?: string;
    sp?: string;
    adkim?: string;
    aspf?: string;
    pct?: number;
    /** The record as published. */
    rr: string;
    /** True when it came from the organizational domain, not the From domain itself. */
    isOrgRecord: boolean;
    [tag: string]: string | number | boolean | undefined;
  }
  const getDmarcRecord: (domain: string, resolver?: (name: string, rrtype: string) => Promise<unknown>) => Promise<DmarcRecord | false>;
  export default getDmarcRecord;
}
