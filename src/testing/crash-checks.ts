/** Checks of the crash tests: what a kill may leave of a phext written with store-writer's markers. */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { parse, type Phext } from '../phext/index.js';
import { MARKER_PATTERN } from './store-writer.js';

/** Valid UTF-8 that parses, every scroll made of whole markers only: nothing torn. */
export function wholePhext(bytes: Buffer, what: string): Phext {
  assert.ok(isUtf8(bytes), `${what} is not valid UTF-8 (torn)`);
  const phext = parse(bytes);
  for (const scroll of phext) {
    assert.equal(scroll.text.replace(MARKER_PATTERN, ''), '', `${what}: torn scroll at ${scroll.coordinate}`);
  }
  return phext;
}

/**
 * `earlier` is a state `later` went through. The crash writers set a scroll once (updates go to
 * fresh coordinates) or only append to it, so each scroll of an earlier state is a prefix of the
 * same scroll later.
 */
export function assertEarlierState(earlier: Phext, later: Phext, what: string): void {
  for (const scroll of earlier) {
    const now = later.get(scroll.coordinate);
    assert.ok(now.startsWith(scroll.text), `${what}: ${scroll.coordinate} went back (${scroll.text.length} → ${now.length} chars)`);
  }
}
