import { PART_MAX, PART_MIN } from '../phext/coordinate.js';

/**
 * A branch of a phext, as `c=` names it: the leading parts of a coordinate in their usual
 * notation, `.` within a triple and `/` (or `;`, as in URLs) after the third and sixth part —
 * `2` is library 2, `2.1.1` series 1 of shelf 1 of it, `2.1.1/3.1` a volume, and a whole
 * coordinate one scroll. Returns the prefix of the coordinate keys in that branch (one UTF-16
 * unit per part, see Coordinate.key), or a one-line reason it is not a prefix.
 */
export function coordinatePrefix(text: string): { key: string } | { problem: string } {
  const bad = (why: string) => ({ problem: `Invalid coordinate prefix '${printable(text)}' for c: ${why}` });
  if (!/^[0-9]+([./;][0-9]+)*$/.test(text)) {
    return bad('use 1 to 9 parts such as 2, 2.1.1 or 2.1.1/1.1.1/1.1.1');
  }
  const parts = text.split(/[./;]/).map(Number);
  const separators = text.replace(/[0-9]+/g, '');
  if (parts.length > 9) return bad('a coordinate has 9 parts');
  for (let i = 0; i < separators.length; i++) {
    const between = i % 3 === 2 ? '/' : '.';
    const sep = separators[i] === ';' ? '/' : separators[i];
    if (sep !== between) return bad(`part ${i + 2} follows '${between}'`);
  }
  const out = parts.find((p) => !(p >= PART_MIN && p <= PART_MAX));
  if (out !== undefined) return bad(`parts are ${PART_MIN}..${PART_MAX}`);
  return { key: String.fromCharCode(...parts) };
}

function printable(text: string): string {
  const capped = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  return JSON.stringify(capped).slice(1, -1);
}
