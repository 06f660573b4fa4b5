import type { ChangeRecord } from '../store/change-record.js';
import { sseEvent } from './sse.js';

/** How a stream's events look. */
export interface EventShape {
  /** Include each scroll's text (`&text=1`). */
  readonly text: boolean;
  /** A stream of every phext of the tenant: ids name the phext (`<name>:<version>`). */
  readonly wide: boolean;
  /** Only scrolls whose coordinate key starts with this (see coordinatePrefix). */
  readonly prefix: string | undefined;
}

/**
 * The `change` events of records of phext `name`, in the order given (version order). A change
 * carries `id:` only when it is the last of its version here: the id is where a client resumes,
 * and resuming after a version replays all of it, so no change of that version is skipped.
 */
export function changeEvents(name: string, records: readonly ChangeRecord[], shape: EventShape): string {
  const shown = shape.prefix === undefined ? records : records.filter((r) => r.coordinate.key.startsWith(shape.prefix!));
  let out = '';
  for (let i = 0; i < shown.length; i++) {
    const r = shown[i]!;
    const last = shown[i + 1]?.version !== r.version;
    const data = {
      p: name,
      version: r.version,
      coord: r.coordinate.toString(),
      kind: r.kind,
      bytes: r.bytes,
      checksum: r.checksum,
      ...(shape.text ? { text: r.text } : {}),
    };
    out += sseEvent('change', JSON.stringify(data), last ? eventId(name, r.version, shape.wide) : undefined);
  }
  return out;
}

/**
 * A `reset`: the changes the client asked for are no longer all held (or it named a version this
 * phext never had). It should read the phext again (`delta` against its copy); the stream goes
 * on from `version`. For a stream of every phext (`p` null), any phext may have changed.
 */
export function resetEvent(name: string | undefined, version: number | undefined, checksum: string | undefined): string {
  const data = name === undefined ? { p: null } : { p: name, version, checksum };
  return sseEvent('reset', JSON.stringify(data), name === undefined || version === undefined ? undefined : String(version));
}

function eventId(name: string, version: number, wide: boolean): string {
  return wide ? `${name}:${version}` : String(version);
}
