import { isUtf8 } from 'node:buffer';
import { HttpError } from './http-error.js';

/** Request parameters by name; the first occurrence of a name wins. */
export type Params = Map<string, string>;

const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%xx` a byte (either
 * case). Unlike URLSearchParams, invalid UTF-8 is an error rather than silently becoming U+FFFD.
 */
function decodeComponent(text: string, what: string): string {
  if (!text.includes('%')) return text.includes('+') ? text.replace(/\+/g, ' ') : text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '+') bytes.push(0x20);
    else if (ch === '%' && HEX.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      // Whole code points: a surrogate half on its own would encode as U+FFFD.
      const point = String.fromCodePoint(text.codePointAt(i)!);
      for (const b of Buffer.from(point, 'utf8')) bytes.push(b);
      i += point.length - 1;
    }
  }
  const buf = Buffer.from(bytes);
  if (!isUtf8(buf)) throw new HttpError(400, `Invalid UTF-8 in ${what}`);
  return buf.toString('utf8');
}

/** Parses a query string or form body into {@link Params}, adding to `into` without overriding. */
export function parseParams(text: string, what: string, into: Params = new Map()): Params {
  if (text === '') return into;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq), what);
    const value = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1), `parameter '${name}' of the ${what}`);
    if (!into.has(name)) into.set(name, value);
  }
  return into;
}
