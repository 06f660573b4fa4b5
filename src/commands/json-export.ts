import type { Phext } from '../phext/index.js';
import { safeCut } from './body-stream.js';

/** Longest slice of a scroll escaped at once, in UTF-16 units (its JSON is up to 6 times longer). */
const SLICE_UNITS = 8 * 1024;

/**
 * `json-export` as pieces of text: exactly `JSON.stringify([{ coord, scroll }, ...])`, one scroll
 * at a time, with a long scroll text escaped in slices so that no piece is much larger than a chunk.
 */
export function* jsonExportPieces(phext: Phext, sliceSize = SLICE_UNITS): Generator<string> {
  let separator = '[';
  for (const s of phext.scrolls()) {
    // A coordinate is digits, dots and slashes: nothing JSON escapes.
    yield `${separator}{"coord":"${s.coordinate.toString()}","scroll":`;
    yield* jsonStringPieces(s.text, sliceSize);
    yield '}';
    separator = ',';
  }
  yield separator === '[' ? '[]' : ']';
}

/** JSON.stringify(text) in slices; cutting between whole characters keeps every escape the same. */
function* jsonStringPieces(text: string, sliceSize: number): Generator<string> {
  if (text.length <= sliceSize) {
    yield JSON.stringify(text);
    return;
  }
  yield '"';
  for (let at = 0; at < text.length; ) {
    let end = safeCut(text, at + sliceSize);
    if (end === at) end = at + 2;
    yield JSON.stringify(text.slice(at, end)).slice(1, -1);
    at = end;
  }
  yield '"';
}
