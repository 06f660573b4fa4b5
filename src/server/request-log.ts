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

/** Formats request log lines as plain text or JSON, one per request. */
export function formatLogEntry(entry: RequestLogEntry, format: LogFormat): string {
  if (format === 'json') return JSON.stringify(entry);
  const who = entry.tenant ? ` tenant=${entry.tenant}` : '';
  const p = entry.phext ? ` p=${entry.phext}` : '';
  return `${entry.time} ${entry.remote} ${entry.method} ${entry.path}${p}${who} ${entry.status} ${entry.bytes}B ${entry.ms.toFixed(1)}ms`;
}
