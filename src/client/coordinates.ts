import { Coordinate } from '../phext/coordinate.js';

/** A coordinate as the client takes it: the codec's, or its text in full (`1.1.1/1.1.1/1.1.2`, `;` for `/`). */
export type CoordinateLike = Coordinate | string;

const FULL = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})[/;](\d{1,3})\.(\d{1,3})\.(\d{1,3})[/;](\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
/** A branch as `watch`'s `c=` takes it: the leading parts of a coordinate, in its usual notation. */
const BRANCH = /^\d{1,3}(\.\d{1,3}){0,2}([/;]\d{1,3}(\.\d{1,3}){0,2}){0,2}$/;
const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * Why text cannot be sent as a coordinate, or the coordinate. The server reads `c` as the original
 * does, skipping any character that is not a digit or separator, so `1.1.1 /1.1.1/1.1.2` or
 * `1.1.1/1.1.1/1.1.1 2` would land on a scroll the caller did not mean: the client takes only the
 * full nine-part form, each part 1..999.
 */
export function parseCoordinate(text: string): Coordinate | string {
  const m = FULL.exec(text);
  if (!m) return `Invalid coordinate '${shown(text)}': write nine parts as LB.SF.SR/CN.VM.BK/CH.SN.SC (e.g. 1.1.1/1.1.1/1.1.2)`;
  const coordinate = Coordinate.of(m.slice(1).map(Number));
  return coordinate.problem() === undefined ? coordinate : `Invalid coordinate: ${coordinate.problem()}`;
}

/** The canonical text of a coordinate to send, or why it cannot be sent. */
export function coordinateText(c: CoordinateLike): string | { problem: string } {
  if (typeof c !== 'string') {
    const problem = c.problem();
    return problem === undefined ? c.toString() : { problem: `Invalid coordinate: ${problem}` };
  }
  const parsed = parseCoordinate(c);
  return typeof parsed === 'string' ? { problem: parsed } : parsed.toString();
}

/** A branch for `watch` (`2`, `2.1.1`, `2.1.1/3.1`, a whole coordinate), or why not. */
export function branchProblem(text: string): string | undefined {
  return BRANCH.test(text) ? undefined : `Invalid branch '${shown(text)}': the leading parts of a coordinate, e.g. 2.1.1 or 2.1.1/3`;
}

/** Why `name` is not a phext name the server takes, or undefined ('' is the default phext). */
export function nameProblem(name: string): string | undefined {
  if (name === '' || NAME.test(name)) return undefined;
  return `Invalid phext name '${shown(name)}': use 1-128 of A-Z a-z 0-9 . _ - and do not start with '.'`;
}

function shown(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text).slice(1, -1);
}
