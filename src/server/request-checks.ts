import type { IncomingMessage } from 'node:http';

/** A request from this machine itself; one relayed by a proxy (X-Forwarded-For) does not count. */
export function isLocal(req: IncomingMessage): boolean {
  if (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined) return false;
  const address = req.socket.remoteAddress;
  return address === '::1' || !!address?.startsWith('127.') || !!address?.startsWith('::ffff:127.');
}

const FORM_FIELD = /^(p|c|s|content|algo|limit)=/;

/**
 * A form body carries p/c/s fields (`content` is another name for `s`, as ecosystem scripts send it). curl's `--data-binary` labels raw text as a form too, so the
 * body counts as a form only when every `&`-separated part is `<one of our fields>=...` (forms
 * always write the `=`, so a body of just `s` is text); otherwise it is the scroll text, as in
 * the original.
 */
export function isFormBody(req: IncomingMessage, body: Buffer): boolean {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded') || body.length === 0) return false;
  return body
    .toString('latin1')
    .split('&')
    .every((part) => FORM_FIELD.test(part));
}
