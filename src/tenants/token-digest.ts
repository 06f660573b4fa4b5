import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a token. Tokens are kept and compared only as digests, so no comparison leaks a prefix. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time check that `token` hashes to `digest`. */
export function tokenMatches(token: string, digest: Buffer): boolean {
  return timingSafeEqual(tokenDigest(token), digest);
}
