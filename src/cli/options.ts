import { megabytesOf, MEGABYTES_RULE } from '../units/megabytes.js';
import { UsageError } from './command.js';

/**
 * Shared parsing of command-line values, so `sq host`, `sq basic` and `sq route` accept the
 * same forms for the same kinds of option and refuse bad ones with the same usage error.
 */

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** A TCP port; 0 asks the system for a free one. */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`invalid port '${text}'`);
  return port;
}

/** A number of megabytes (fractions allowed), e.g. `--cache-mb 0.5`, `--quota-mb 2`. */
export function positiveNumber(value: string | undefined, name: string): number | undefined;
export function positiveNumber(value: string | undefined, name: string, fallback: number): number;
export function positiveNumber(value: string | undefined, name: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = megabytesOf(value);
  if (n === undefined) throw new UsageError(`--${name} ${MEGABYTES_RULE}, got '${value}'`);
  return n;
}

/** A fraction or multiple, e.g. `--checkpoint-ratio 0.1`: a decimal number > 0. */
export function positiveRatio(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || !(n > 0)) throw new UsageError(`--${name} must be a number > 0 (e.g. 0.1), got '${value}'`);
  return n;
}

/** A positive whole number, e.g. `--max-connections 512`, `--headers-timeout-ms 10000`. */
export function positiveInteger(value: string | undefined, name: string): number | undefined;
export function positiveInteger(value: string | undefined, name: string, fallback: number): number;
export function positiveInteger(value: string | undefined, name: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--${name} must be a whole number >= 1, got '${value}'`);
  }
  return n;
}

/** A byte size with an optional binary suffix: `67108864`, `64M`, `64MiB`, `1G`. */
export function byteSize(value: string | undefined, name: string): number | undefined;
export function byteSize(value: string | undefined, name: string, fallback: number): number;
export function byteSize(value: string | undefined, name: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const match = /^(\d+)([KMG]?)(?:i?B)?$/i.exec(value.trim());
  const n = match ? Number(match[1]) * (UNITS[(match[2] ?? '').toUpperCase()] ?? NaN) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a size in bytes (K/M/G suffixes allowed), got '${value}'`);
  return n;
}

/** True for addresses only this machine can reach. */
export function isLoopbackAddress(bind: string): boolean {
  return bind === 'localhost' || bind === '::1' || bind.startsWith('127.');
}

/** The three slow-client limits, as `sq host` and `sq route` both take them. */
export const TIMEOUT_OPTIONS = {
  'headers-timeout-ms': { type: 'string' },
  'request-timeout-ms': { type: 'string' },
  'keep-alive-timeout-ms': { type: 'string' },
} as const;

export const TIMEOUT_USAGE = `  --headers-timeout-ms N cut clients still sending headers after N ms (default 10000)
  --request-timeout-ms N cut requests not fully received after N ms (default 120000)
  --keep-alive-timeout-ms N
                         close idle keep-alive connections after N ms (default 5000)`;

/** Reads the timeout options; absent ones take the given defaults (undefined without them). */
export function timeouts(values: Partial<Record<keyof typeof TIMEOUT_OPTIONS, string>>): Partial<Timeouts>;
export function timeouts(values: Partial<Record<keyof typeof TIMEOUT_OPTIONS, string>>, defaults: Timeouts): Timeouts;
export function timeouts(values: Partial<Record<keyof typeof TIMEOUT_OPTIONS, string>>, defaults?: Timeouts): Partial<Timeouts> {
  return {
    headersTimeoutMs: positiveInteger(values['headers-timeout-ms'], 'headers-timeout-ms') ?? defaults?.headersTimeoutMs,
    requestTimeoutMs: positiveInteger(values['request-timeout-ms'], 'request-timeout-ms') ?? defaults?.requestTimeoutMs,
    keepAliveTimeoutMs: positiveInteger(values['keep-alive-timeout-ms'], 'keep-alive-timeout-ms') ?? defaults?.keepAliveTimeoutMs,
  };
}

interface Timeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}
