/**
 * The one rule for settings counted in megabytes: the tenants file's `quota_mb` and
 * `default_quota_mb`, the admin API's `quota_mb`, and the `--quota-mb`, `--cache-mb` and
 * `--max-phext-mb` options. Each caller words the refusal for its reader with {@link MEGABYTES_RULE}.
 */

/** One megabyte as quotas and the `--*-mb` options count it. */
export const MB = 1_048_576;

export const MEGABYTES_RULE = 'must be a number of megabytes > 0';

/** A finite number > 0; fractions are allowed (`0.5` MB). */
export function isMegabytes(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** `text` (a command-line value) as megabytes, or undefined when it is not one; blank text is not 0. */
export function megabytesOf(text: string): number | undefined {
  const n = Number(text);
  return text.trim() !== '' && isMegabytes(n) ? n : undefined;
}
