import { charset, lookup } from 'mime-types';
import { TEXT } from './outcome.js';

/**
 * Pages in scrolls run on the API's origin, next to other tenants' pages and the admin API: the
 * sandbox gives them an opaque origin (no access to the origin's storage or cookies, no scripting
 * of its other windows) while their scripts, forms and cross-origin `fetch` calls still work.
 */
const PAGE_SANDBOX = 'sandbox allow-scripts allow-forms allow-modals allow-popups allow-downloads';

/**
 * The type of a scroll served as the file `name` (`f=`): the extension's type, with the charset
 * for text types (scrolls are UTF-8). A name the library does not know is served as plain text:
 * a scroll is text, and text/plain under nosniff shows it rather than downloading it.
 */
function pageContentType(name: string): string {
  const type = lookup(name);
  if (type === false) return TEXT;
  return charset(type) ? `${type}; charset=utf-8` : type;
}

/**
 * How an answer is served as the file `name` (`f=`): the browser is told the type and not to
 * guess, and unless `trusted` (`sq basic` on loopback, where one user owns every page) the page
 * is sandboxed. The original sent no Content-Type, so browsers sniffed its HTML.
 */
export function pageHeaders(name: string, trusted: boolean): { contentType: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'X-Content-Type-Options': 'nosniff' };
  if (!trusted) headers['Content-Security-Policy'] = PAGE_SANDBOX;
  return { contentType: pageContentType(name), headers };
}
