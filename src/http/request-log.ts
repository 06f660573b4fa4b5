/** One line per request. Never receives the token or the query string (it may carry data). */
export interface RequestLogEntry {
  time: string;
  remote: string;
  method: string;
  path: string;
  phext?: string;
  tenant?: string;
  status: number;
  bytes: number;
  ms: number;
}

export type LogFormat = 'text' | 'json';

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators could end or rewrite a
// log line; a space could fake a field (`p=x tenant=other`). The backslash too, so that an escape
// in the log is always ours.
const UNSAFE = /[\\\x00-\x20\x7f-\x9f\u2028\u2029]/g;
const NAMED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every character that could forge or break a text log line escaped (\n, \x20, \u2028...). */
export function escapeLogField(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ?? (code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`);
  });
}

/**
 * Formats request log lines as plain text or JSON, one per request. Fields may come from the
 * client (`p` is decoded from the query string), so text lines escape them.
 */
export function formatLogEntry(entry: RequestLogEntry, format: LogFormat): string {
  if (format === 'json') return JSON.stringify(entry);
  const e = escapeLogField;
  const who = entry.tenant ? ` tenant=${e(entry.tenant)}` : '';
  const p = entry.phext ? ` p=${e(entry.phext)}` : '';
  return `${entry.time} ${e(entry.remote)} ${e(entry.method)} ${e(entry.path)}${p}${who} ${entry.status} ${entry.bytes}B ${entry.ms.toFixed(1)}ms`;
}
