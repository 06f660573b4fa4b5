import { randomBytes } from 'node:crypto';
import { tokenDigest } from './token-digest.js';

/** Prefix of a config key that holds the SHA-256 of a token instead of the token itself. */
const HASHED_PREFIX = 'sha256:';
const HASHED_KEY = /^sha256:[0-9a-fA-F]{64}$/;

/** A fresh API token, `pmb-v1-<32 lowercase hex>`, from 128 random bits. */
export function generateToken(): string {
  return `pmb-v1-${randomBytes(16).toString('hex')}`;
}

/** True when a config key is the `sha256:<64 hex>` form of a token. */
export function isHashedKey(key: string): boolean {
  return HASHED_KEY.test(key);
}

/** The digest a config key stands for: the hex of a `sha256:` key, else the SHA-256 of the raw token. */
export function keyDigest(key: string): Buffer {
  return isHashedKey(key) ? Buffer.from(key.slice(HASHED_PREFIX.length), 'hex') : tokenDigest(key);
}

/** The `sha256:<hex>` form of a token, for config files that should not hold secrets. */
export function hashedKey(token: string): string {
  return HASHED_PREFIX + tokenDigest(token).toString('hex');
}

/**
 * A token shortened for errors and logs: at most its first 6 characters (never more than half
 * of it) and `…`. A `sha256:` key is not secret, so it keeps 6 hex digits after the prefix.
 */
export function redact(key: string): string {
  if (isHashedKey(key)) return `${HASHED_PREFIX}${key.slice(HASHED_PREFIX.length, HASHED_PREFIX.length + 6)}…`;
  const shown = Math.min(6, Math.floor(key.length / 2));
  return `${key.slice(0, shown)}…`;
}
