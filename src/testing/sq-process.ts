/** `sq host` and `sq route` servers as child processes, found by the port they print. */
import { launchSq, type SqChild } from './sq-child.js';

/** `sq host`'s line: `SQ <version> listening on http://127.0.0.1:<port> (...)`. */
const HOST_LISTENING = /^SQ \S+ listening on http:\/\/127\.0\.0\.1:(\d+) \(.*\)$/m;
/** `sq route`'s line: `SQ router listening on http://127.0.0.1:<port>`. */
const ROUTER_LISTENING = /^SQ router listening on http:\/\/127\.0\.0\.1:(\d+)$/m;

/** A running `sq` server process. */
export interface SqProcess extends SqChild {
  readonly port: number;
  /** The listening line itself. */
  readonly banner: string;
}

export interface StartSqOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The listening line, port as first group; by default `sq route`'s or `sq host`'s. */
  listening?: RegExp;
  startTimeoutMs?: number;
}

/**
 * Spawns `node bin/sq <args>` and resolves once it prints its listening line. The caller stops
 * it (`stop()` in an after hook); `killAll()` of sq-child.ts is the safety net.
 */
export async function startSq(args: string[], options: StartSqOptions = {}): Promise<SqProcess> {
  const ready = options.listening ?? (args[0] === 'route' ? ROUTER_LISTENING : HOST_LISTENING);
  const child = await launchSq(args, { ...options, ready });
  return { ...child, port: Number(child.match[1]), banner: child.match[0] };
}
