/**
 * Where JSON.parse failed, as ` at line L column C` (or nothing). V8's own message quotes the
 * text around the error, which in a config file may be a token, so it is never shown.
 */
export function jsonErrorWhere(err: unknown, text: string): string {
  const at = /position (\d+)/.exec((err as Error).message);
  if (!at) return '';
  const before = text.slice(0, Number(at[1])).split('\n');
  return ` at line ${before.length} column ${before.at(-1)!.length + 1}`;
}
