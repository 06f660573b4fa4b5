/** Checks of the crash tests: what a kill may leave of a phext written with store-writer's markers. */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { parse, type Phext, type Scroll } from '../phext/index.js';
import { parsedBytes } from '../phext/phext.js';
import { MARKER_PATTERN } from './store-writer.js';

/**
 * {@link MARKER_PATTERN} over the UTF-8 bytes read as Latin-1 (one character a byte): V8 runs it
 * over a 100 MB phext five times faster than over the decoded text.
 */
const MARKER_BYTES = new RegExp(
  [...MARKER_PATTERN.source].map((c) => (c.charCodeAt(0) < 0x80 ? c : `(?:${Buffer.from(c).toString('latin1')})`)).join(''),
  'g',
);
const ONLY_DELIMITERS = /^[\x01\x17-\x1a\x1c-\x1f]*$/;

/** Valid UTF-8 that parses, every scroll made of whole markers only: nothing torn. */
export function wholePhext(bytes: Buffer, what: string): Phext {
  assert.ok(isUtf8(bytes), `${what} is not valid UTF-8 (torn)`);
  const phext = parse(bytes);
  // Markers cannot hold a delimiter: with them gone, only delimiters are left of a whole phext.
  if (ONLY_DELIMITERS.test(bytes.toString('latin1').replace(MARKER_BYTES, ''))) return phext;
  for (const scroll of phext) {
    assert.equal(scroll.text.replace(MARKER_PATTERN, ''), '', `${what}: torn scroll at ${scroll.coordinate}`);
  }
  assert.fail(`${what}: text outside every scroll`);
}

/**
 * `earlier` is a state `later` went through. The crash writers set a scroll once (updates go to
 * fresh coordinates) or only append to it, so each scroll of an earlier state is a prefix of the
 * same scroll later. Both are walked in coordinate order, and parsed scrolls are compared as bytes
 * (a prefix of valid UTF-8 is a prefix of its text): decoding the texts of a 100 MB phext twice
 * took seconds.
 */
export function assertEarlierState(earlier: Phext, later: Phext, what: string): void {
  const laterScrolls = later.scrolls();
  let next = laterScrolls.next();
  for (const scroll of earlier) {
    const key = scroll.coordinate.key;
    while (!next.done && next.value.coordinate.key < key) next = laterScrolls.next();
    const now = !next.done && next.value.coordinate.key === key ? next.value : undefined;
    if (now && isPrefix(scroll, now)) continue;
    const text = now?.text ?? '';
    assert.ok(text.startsWith(scroll.text), `${what}: ${scroll.coordinate} went back (${scroll.text.length} → ${text.length} chars)`);
  }
}

/** Whether `a`'s text begins `b`'s, from their bytes when both were parsed (false: look at the texts). */
function isPrefix(a: Scroll, b: Scroll): boolean {
  const x = parsedBytes(a);
  const y = parsedBytes(b);
  if (!x || !y || x.end - x.start > y.end - y.start) return false;
  return x.bytes.compare(y.bytes, y.start, y.start + (x.end - x.start), x.start, x.end) === 0;
}
