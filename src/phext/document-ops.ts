/**
 * The operations of ops.ts on a whole serialized phext, as the original library offered them:
 * a document goes in as a string or bytes and comes out the same kind (string → string,
 * bytes → Buffer), normalized. Each wrapper parses, applies the Phext operation, serializes.
 */
import type { Coordinate } from './coordinate.js';
import { fetch, insert, merge, rangeReplace, remove, replace, subtract } from './ops.js';
import { parse } from './parse.js';
import type { Phext } from './phext.js';
import { serialize } from './serialize.js';
import { shiftBreaks, type ShiftDirection } from './shift.js';

/** A serialized phext. */
export type PhextDocument = string | Uint8Array;
/** The output kind matching input kind `D`. */
export type SameKind<D extends PhextDocument> = D extends string ? string : Buffer;

const bytesOf = (doc: PhextDocument): Uint8Array => (typeof doc === 'string' ? Buffer.from(doc, 'utf8') : doc);
const like = <D extends PhextDocument>(doc: D, bytes: Buffer): SameKind<D> =>
  (typeof doc === 'string' ? bytes.toString('utf8') : bytes) as SameKind<D>;

/** Lifts an in-place edit to documents. */
function edit<A extends unknown[]>(op: (phext: Phext, ...args: A) => unknown) {
  return <D extends PhextDocument>(doc: D, ...args: A): SameKind<D> => {
    const phext = parse(bytesOf(doc));
    op(phext, ...args);
    return like(doc, serialize(phext));
  };
}

/** Lifts a phext-to-phext function to documents. */
function map(op: (phext: Phext) => Phext) {
  return <D extends PhextDocument>(doc: D): SameKind<D> => like(doc, serialize(op(parse(bytesOf(doc)))));
}

/** Lifts a combination of two phexts to documents; the result has the left document's kind. */
function combine(op: (left: Phext, right: Phext) => Phext) {
  return <D extends PhextDocument>(left: D, right: PhextDocument): SameKind<D> =>
    like(left, serialize(op(parse(bytesOf(left)), parse(bytesOf(right)))));
}

/** Byte-level expand/contract: the original worked on the raw bytes, so these do not normalize. */
function shift(direction: ShiftDirection) {
  return <D extends PhextDocument>(doc: D): SameKind<D> => like(doc, shiftBreaks(bytesOf(doc), direction));
}

/** Whole-document operations; see the functions of the same names in ops.ts for their meaning. */
export const documentOps = {
  /** The scroll text at a coordinate of the document. */
  fetch: (doc: PhextDocument, coordinate: Coordinate): string => fetch(parse(bytesOf(doc)), coordinate),
  insert: edit(insert),
  replace: edit(replace),
  remove: edit(remove),
  rangeReplace: edit(rangeReplace),
  /** Parse then serialize: minimal delimiter runs, coordinate order, no empty scrolls. */
  normalize: map((phext) => phext),
  merge: combine(merge),
  subtract: combine(subtract),
  /** Byte-level, as the original: see shiftBreaks. */
  expand: shift('expand'),
  contract: shift('contract'),
};
