import { Coordinate } from './coordinate.js';
import { LINE_BREAK, isDelimiter } from './delimiters.js';
import type { Phext } from './phext.js';

/** Longest summary in UTF-8 bytes, as in the original. */
export const SUMMARY_BYTES = 32;

/**
 * The start of a scroll for a table of contents (the original's `create_summary`): its first
 * {@link SUMMARY_BYTES} UTF-8 bytes, stopping before the first `\n` or delimiter, followed by
 * `...` when that is shorter than the scroll. A 32-byte scroll without a line break is shown
 * whole, a 33-byte one as 32 bytes + `...`. Unlike the original (which panicked), a character
 * that would cross byte 32 is left out whole: the summary never ends inside a character.
 */
export function summary(text: string): string {
  let bytes = 0;
  let i = 0;
  for (; i < text.length; ) {
    const unit = text.charCodeAt(i);
    if (unit === LINE_BREAK || (unit < 0x20 && isDelimiter(unit))) break;
    // UTF-8 width of the code point starting here; a surrogate pair is one 4-byte character.
    const next = text.charCodeAt(i + 1);
    const pair = unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
    const width = unit < 0x80 ? 1 : unit < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + width > SUMMARY_BYTES) break;
    bytes += width;
    i += pair ? 2 : 1;
  }
  return i < text.length ? `${text.slice(0, i)}...` : text;
}

/**
 * The table of contents (the original's `textmap`): one line `* <coord>: <summary>\n` per scroll
 * in coordinate order. Like the original, a phext without scrolls lists one empty scroll at the
 * origin (`* 1.1.1/1.1.1/1.1.1: \n`), since an empty file reads as one empty scroll there.
 */
export function toc(phext: Phext): string {
  let out = '';
  for (const line of tocLines(phext)) out += line;
  return out;
}

/** The lines of {@link toc}, one at a time (for answers streamed in chunks). */
export function* tocLines(phext: Phext): Generator<string> {
  if (phext.size === 0) yield `* ${Coordinate.ORIGIN.toString()}: \n`;
  for (const s of phext.scrolls()) yield `* ${s.coordinate.toString()}: ${summary(s.text)}\n`;
}
