import { Coordinate } from './coordinate.js';
import { BREAK_FOR_PART } from './delimiters.js';
import { parsedBytes, type Phext, type Scroll } from './phext.js';

const BREAK_CHAR = BREAK_FOR_PART.map((b) => String.fromCharCode(b));

/**
 * The minimal delimiter run that moves a reader from `from` to `to` (`to` must sort after
 * `from`): at the highest differing part, (to − from) copies of its break; below it, (value − 1)
 * copies of each lower part's break.
 */
export function delimitersBetween(from: Coordinate, to: Coordinate): string {
  const a = from.parts;
  const b = to.parts;
  let i = 0;
  while (i < 9 && a[i] === b[i]) i++;
  if (i === 9) return '';
  let run = BREAK_CHAR[i]!.repeat(b[i]! - a[i]!);
  for (let j = i + 1; j < 9; j++) if (b[j]! > 1) run += BREAK_CHAR[j]!.repeat(b[j]! - 1);
  return run;
}

/** The text of a phext: non-empty scrolls in coordinate order joined by minimal delimiter runs. */
export function serializeToString(scrolls: Phext | Iterable<Scroll>): string {
  const pieces: string[] = [];
  let at = Coordinate.ORIGIN;
  for (const s of scrolls) {
    if (s.text === '') continue;
    pieces.push(delimitersBetween(at, s.coordinate), s.text);
    at = s.coordinate;
  }
  return pieces.join('');
}

/**
 * The text of {@link serializeToString} as delimiter runs and scroll texts, one at a time (for
 * answers streamed in chunks). `scrolls` must come in coordinate order.
 */
export function* serializePieces(scrolls: Iterable<Scroll>): Generator<string> {
  let at = Coordinate.ORIGIN;
  for (const s of scrolls) {
    if (s.text === '') continue;
    yield delimitersBetween(at, s.coordinate);
    yield s.text;
    at = s.coordinate;
  }
}

/**
 * The bytes of a phext file, identical to the original's `implode`. Parsed scrolls are copied
 * from the bytes they were parsed from without decoding them, and a run of them that still sits
 * in those bytes as it did (with the same delimiters between) is copied in one piece: a commit
 * that changes one scroll of a large parsed file copies the rest in a few large blocks.
 */
export function serialize(scrolls: Phext | Iterable<Scroll>): Buffer {
  const out = [...serializeChunks(scrolls)];
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

/**
 * The bytes of {@link serialize} as the pieces it joins (slices of parsed bytes, encoded text),
 * one at a time, so that a large phext can be written or hashed without a second whole copy and
 * without holding the event loop (see serializeInTurns).
 */
function* serializeChunks(scrolls: Phext | Iterable<Scroll>): Generator<Buffer> {
  let text: string[] = []; // pending text, encoded in one go
  let run: { bytes: Buffer; start: number; end: number } | undefined; // pending bytes
  let at = Coordinate.ORIGIN;
  for (const s of scrolls) {
    const source = parsedBytes(s);
    if (!source && s.text === '') continue;
    const coordinate = s.coordinate;
    const gap = delimitersBetween(at, coordinate);
    at = coordinate;
    if (source && run && run.bytes === source.bytes && holds(source.bytes, run.end, source.start, gap)) {
      run.end = source.end;
      continue;
    }
    if (run) yield run.bytes.subarray(run.start, run.end);
    run = undefined;
    if (source) {
      text.push(gap);
      yield Buffer.from(text.join(''), 'utf8');
      text = [];
      run = { bytes: source.bytes, start: source.start, end: source.end };
    } else {
      text.push(gap, s.text);
      // Flushed now and then, so a phext of many small new scrolls still comes in pieces.
      if (text.length >= 2048) {
        yield Buffer.from(text.join(''), 'utf8');
        text = [];
      }
    }
  }
  if (run) yield run.bytes.subarray(run.start, run.end);
  else if (text.length > 0) yield Buffer.from(text.join(''), 'utf8');
}

/** How much a turn of serializeInTurns produces before it lets the event loop run: ~1-2 ms of work. */
const TURN_BYTES = 1 << 20;

/**
 * {@link serializeChunks} in batches of about a megabyte, with a turn of the event loop before
 * each batch after the first: a checkpoint of a 100 MB phext never stalls the other requests.
 * Large slices of parsed bytes pass through without a copy.
 */
export async function* serializeInTurns(scrolls: Phext | Iterable<Scroll>): AsyncGenerator<Buffer> {
  let batch: Buffer[] = [];
  let size = 0;
  let first = true;
  for (const chunk of serializeChunks(scrolls)) {
    if (chunk.length === 0) continue;
    batch.push(chunk);
    size += chunk.length;
    if (size < TURN_BYTES) continue;
    if (!first) await new Promise<void>((resolve) => setImmediate(resolve));
    first = false;
    yield batch.length === 1 ? batch[0]! : Buffer.concat(batch);
    batch = [];
    size = 0;
  }
  if (!first) await new Promise<void>((resolve) => setImmediate(resolve));
  if (batch.length > 0) yield Buffer.concat(batch);
}

/** True when `bytes[from, to)` is the ASCII text `ascii`. */
function holds(bytes: Buffer, from: number, to: number, ascii: string): boolean {
  if (to - from !== ascii.length) return false;
  for (let i = 0; i < ascii.length; i++) if (bytes[from + i] !== ascii.charCodeAt(i)) return false;
  return true;
}
