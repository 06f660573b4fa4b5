import crypto, { createHash, timingSafeEqual } from 'node:crypto';

// crypto.hash (node >= 20.12) hashes in one call, without a Hash object: every request pays one.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer }).hash;

/** SHA-256 of a token. Tokens are kept and compared only as digests, so no comparison leaks a prefix. */
export function tokenDigest(token: string): Buffer {
  return oneShot ? oneShot('sha256', token, 'buffer') : createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time check that `token` hashes to `digest`. */
export function tokenMatches(token: string, digest: Buffer): boolean {
  return timingSafeEqual(tokenDigest(token), digest);
}
