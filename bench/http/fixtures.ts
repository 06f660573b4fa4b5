import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Coordinate, Phext, serialize } from '../../src/phext/index.js';

/** A phext the bench serves: `scrolls` scrolls of `scrollBytes` ASCII bytes each. */
export interface PhextFixture {
  /** The `p` parameter; the file is `<name>.phext`. */
  readonly name: string;
  readonly scrolls: number;
  readonly scrollBytes: number;
}

/** ~1 KB: 8 scrolls. */
export const SMALL: PhextFixture = { name: 'small', scrolls: 8, scrollBytes: 127 };
/** ~1 MB: 1,000 scrolls spread over scroll numbers 1..999 of two sections. */
export const LARGE: PhextFixture = { name: 'large', scrolls: 1000, scrollBytes: 1000 };

/**
 * ~`mb` MB (`mb` a whole number): `mb` × 1,000 scrolls of 1,000 bytes, 999 to a section as
 * `coordinateOf` places them; 1 MB has LARGE's shape, 100 MB fills sections 1..100 and 100 scrolls of 101.
 */
export function megabytes(mb: number): PhextFixture {
  return { name: `mb${mb}`, scrolls: mb * 1000, scrollBytes: 1000 };
}

/** The coordinate of scroll `i` (0-based) of a fixture, in URL form (`;` for `/`). */
export function coordinateOf(i: number): string {
  return `1.1.1;1.1.1;1.${1 + Math.floor(i / 999)}.${1 + (i % 999)}`;
}

function coordinate(i: number): Coordinate {
  return Coordinate.of([1, 1, 1, 1, 1, 1, 1, 1 + Math.floor(i / 999), 1 + (i % 999)]);
}

/**
 * A scroll text of exactly `bytes` ASCII bytes that starts with `serial`, so that every write is a
 * real change (the store skips writes that change nothing) while the file size stays the same.
 */
export function scrollText(serial: number, bytes: number): string {
  const head = `#${serial} `;
  return (head + 'abcdefghijklmnopqrstuvwxyz '.repeat(Math.ceil(bytes / 27))).slice(0, bytes);
}

/** Writes the fixture with the codec's serializer; returns the file size in bytes. */
export function writeFixture(dir: string, fixture: PhextFixture): number {
  const phext = new Phext();
  for (let i = 0; i < fixture.scrolls; i++) phext.set(coordinate(i), scrollText(i, fixture.scrollBytes));
  const bytes = serialize(phext);
  writeFileSync(join(dir, `${fixture.name}.phext`), bytes);
  return bytes.length;
}
