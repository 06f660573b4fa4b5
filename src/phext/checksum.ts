import { xxh3 } from '@node-rs/xxhash';

/**
 * The phext checksum: XXH3-128 of the UTF-8 bytes as 32 lowercase hex characters, zero-padded
 * (the original's `checksum`). `hello` → `b5e9c1ad071b3e7fc779cfaa5e523818`, the empty phext →
 * `99aa06d3014798d86001c324468d497f`. A string is hashed as its UTF-8 encoding.
 */
export function checksum(bytes: Uint8Array | string): string {
  return xxh3.xxh128(bytes).toString(16).padStart(32, '0');
}
