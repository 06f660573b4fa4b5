/** How much one tool answer may carry, so that an agent cannot pull a huge phext into its context by accident. */
export interface Limits {
  /** UTF-8 bytes of text in one answer (a scroll, a listing); the rest is cut with a note. */
  readonly answerBytes: number;
  /** The largest phext a search reads whole. */
  readonly searchBytes: number;
}

export const DEFAULT_LIMITS: Limits = { answerBytes: 64 * 1024, searchBytes: 64 * 1024 * 1024 };

const encoder = new TextEncoder();

/**
 * The longest start of `text` within `maxBytes` UTF-8 bytes, never cutting a character in two,
 * and its length in characters (UTF-16 units, as `offset` counts them).
 */
export function clip(text: string, maxBytes: number): string {
  if (text.length <= maxBytes / 3 || encoder.encode(text).length <= maxBytes) return text;
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const unit = text.charCodeAt(i);
    const pair = unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length;
    const width = unit < 0x80 ? 1 : unit < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + width > maxBytes) break;
    bytes += width;
    i += pair ? 2 : 1;
  }
  return text.slice(0, i);
}

/** Lines up to `maxBytes` in all; a note says how many were left out. */
export function clipLines(lines: readonly string[], maxBytes: number, more: string): string {
  let out = '';
  let bytes = 0;
  let shown = 0;
  for (const line of lines) {
    const width = encoder.encode(line).length + 1;
    if (bytes + width > maxBytes) break;
    out += `${line}\n`;
    bytes += width;
    shown++;
  }
  if (shown < lines.length) out += `[${lines.length - shown} more not shown (answer limit ${maxBytes} bytes); ${more}]\n`;
  return out;
}
