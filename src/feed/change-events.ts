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
 * The `change` events of records of phext `name`, in the order given (version order), one string
 * each, made as they are asked for. A change carries `id:` only when it is the last of its version
 * here: the id is where a client resumes, and resuming after a version replays all of it, so no
 * change of that version is skipped.
 */
export function* changeEvents(name: string, records: readonly ChangeRecord[], shape: EventShape): Generator<string> {
  const prefix = shape.prefix;
  let previous: ChangeRecord | undefined;
  for (const r of records) {
    if (prefix !== undefined && !r.coordinate.key.startsWith(prefix)) continue;
    if (previous) yield changeEvent(name, previous, shape, previous.version !== r.version);
    previous = r;
  }
  if (previous) yield changeEvent(name, previous, shape, true);
}

/** A change as every consumer gets it (an SSE event's data, a webhook's body); `text` on request. */
export function changeData(name: string, r: ChangeRecord, text = false): string {
  return JSON.stringify({
    p: name,
    version: r.version,
    coord: r.coordinate.toString(),
    kind: r.kind,
    bytes: r.bytes,
    checksum: r.checksum,
    ...(text ? { text: r.text } : {}),
  });
}

function changeEvent(name: string, r: ChangeRecord, shape: EventShape, withId: boolean): string {
  return sseEvent('change', changeData(name, r, shape.text), withId ? eventId(name, r.version, shape.wide) : undefined);
}

/**
 * A `reset`: the changes the client asked for are no longer all held (or it named a version this
 * phext never had), or another program changed the phext (which scrolls is not known). It should
 * read the phext again (`delta` against its copy); the stream goes on from `version`. For a stream
 * of every phext (`p` null), any phext may have changed.
 */
export function resetEvent(name: string | undefined, version: number | undefined, checksum: string | undefined, wide = false): string {
  return sseEvent(
    'reset',
    resetData(name, version, checksum),
    name === undefined || version === undefined ? undefined : eventId(name, version, wide),
  );
}

/** A reset as every consumer gets it (an SSE event's data, a webhook's body). */
export function resetData(name: string | undefined, version: number | undefined, checksum: string | undefined): string {
  return JSON.stringify(name === undefined ? { p: null } : { p: name, version, checksum });
}

function eventId(name: string, version: number, wide: boolean): string {
  return wide ? `${name}:${version}` : String(version);
}
