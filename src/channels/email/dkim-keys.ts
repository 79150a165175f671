/**
 * DKIM keys from the config: `privateKey` is PEM text or `file:<path>` (relative to the
 * config file). Each key is parsed once into a KeyObject; a key that cannot sign
 * (unreadable, not a private key, RSA under 1024 bits, another key type) is a config
 * problem naming the key's path, never its contents.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { domainToASCII } from 'node:url';
import type { DkimKey } from '../../render/email/dkim.ts';

export interface DkimEntry {
  domain: string;
  selector: string;
  privateKey: string;
}

/** RSA keys below this are refused outright (RFC 8301); below 2048 the doctor warns. */
export const MIN_RSA_BITS = 1024;

export class DkimKeyError extends Error {}

/** Reads and parses one entry; throws DkimKeyError with a message that is safe to print. */
export function loadDkimKey(entry: DkimEntry, baseDir: string): DkimKey {
  let pem: string;
  let source: string;
  if (entry.privateKey.startsWith('file:')) {
    const file = path.resolve(baseDir, entry.privateKey.slice('file:'.length).trim());
    source = file;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DkimKeyError(`cannot read the key file ${file}${code ? ` (${code})` : ''}`);
    }
  } else {
    pem = entry.privateKey;
    source = 'inline PEM';
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new DkimKeyError(`${source === 'inline PEM' ? 'the value' : source} is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----"; a public key cannot sign)`);
  }
  const domain = domainToASCII(entry.domain.trim().replace(/\.$/, '')).toLowerCase();
  if (domain === '' || !domain.includes('.')) throw new DkimKeyError(`domain "${entry.domain}" is not a domain name`);
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new DkimKeyError(`the RSA key in ${source} has ${bits} bits; receivers ignore DKIM keys under ${MIN_RSA_BITS} bits (use 2048)`);
    return { domain, selector: entry.selector, algorithm: 'rsa-sha256', privateKey: key, bits, source };
  }
  if (key.asymmetricKeyType === 'ed25519') return { domain, selector: entry.selector, algorithm: 'ed25519-sha256', privateKey: key, bits: 256, source };
  throw new DkimKeyError(`the key in ${source} is ${key.asymmetricKeyType ?? 'of an unknown type'}; DKIM signs with RSA (rsa-sha256) or Ed25519 (ed25519-sha256) keys`);
}

/** A KeyObject as a DkimKey (tests, benchmarks). */
export function dkimKeyFrom(domain: string, selector: string, privateKey: KeyObject): DkimKey {
  const rsa = privateKey.asymmetricKeyType === 'rsa';
  return {
    domain,
    selector,
    algorithm: rsa ? 'rsa-sha256' : 'ed25519-sha256',
    privateKey,
    bits: rsa ? (privateKey.asymmetricKeyDetails?.modulusLength ?? 0) : 256,
    source: 'inline PEM',
  };
}
