/**
 * Independent DKIM verifiers for tests: Debian's python3-dkim (dkimpy, through
 * /usr/bin/python3; the pyenv python3 on PATH lacks it) and the `mailauth` package.
 * Both look the public key up in `records` (name → TXT value) instead of DNS.
 *
 *   const py = await verifyWithDkimpy(raw, { 'sel._domainkey.example.com': 'v=DKIM1; k=rsa; p=…' });
 *   py.results  // one boolean per DKIM-Signature, top to bottom
 */
import { spawn } from 'node:child_process';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, sys, logging, io, dkim
records = json.loads(sys.argv[1])
message = sys.stdin.buffer.read()
headers, _ = dkim.rfc822_parse(message)
count = sum(1 for name, _ in headers if name.lower() == b'dkim-signature')
def dnsfunc(name, timeout=5):
    value = records.get(name.decode('ascii').rstrip('.'))
    return value.encode('ascii') if value is not None else None
results = []
log = io.StringIO()
for idx in range(count):
    d = dkim.DKIM(message, logger=logging.getLogger('dkim'))
    handler = logging.StreamHandler(log)
    logging.getLogger('dkim').addHandler(handler)
    try:
        results.append(bool(d.verify(idx=idx, dnsfunc=dnsfunc)))
    except Exception as e:
        log.write('%s: %s\n' % (type(e).__name__, e))
        results.append(False)
    logging.getLogger('dkim').removeHandler(handler)
print(json.dumps({'results': results, 'log': log.getvalue()}))
`;

export interface VerifyResult {
  results: boolean[];
  log: string;
}

export function verifyWithDkimpy(raw: Buffer, records: Record<string, string>): Promise<VerifyResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, ['-c', SCRIPT, JSON.stringify(records)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`python3-dkim exited ${code}: ${err}`));
      resolve(JSON.parse(out) as VerifyResult);
    });
    child.stdin.end(raw);
  });
}

export async function verifyWithMailauth(raw: Buffer, records: Record<string, string>): Promise<VerifyResult & { info: string[] }> {
  const r = await dkimVerify(raw, {
    resolver: async (name: string, rr: string) => {
      const value = rr === 'TXT' ? records[name.replace(/\.$/, '')] : undefined;
      if (value === undefined) throw Object.assign(new Error(`no ${rr} record for ${name}`), { code: 'ENOTFOUND' });
      return [[value]];
    },
  });
  const results = r.results.map((x: { status: { result: string } }) => x.status.result === 'pass');
  const info = r.results.map((x: { info: string }) => x.info);
  return { results, log: info.join('\n'), info };
}

/** Flip one byte of the body (a letter or digit, so the message stays well-formed). */
export function tamperBody(raw: Buffer, from = 0.6): Buffer {
  const copy = Buffer.from(raw);
  const bodyAt = copy.indexOf('\r\n\r\n') + 4;
  for (let i = Math.max(bodyAt, Math.floor(copy.length * from)); i < copy.length; i++) {
    const c = copy[i] as number;
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
      copy[i] = c === 0x41 ? 0x42 : 0x41;
      return copy;
    }
  }
  throw new Error('nothing to tamper with');
}
