import { consoleFiles } from '../http/console-assets.js';
import { open } from './guards.js';
import { HttpError } from './http-error.js';
import type { Route } from './route.js';

/** The web console: its page at `/`, its scripts and styles under `/console/`, open to all like `/health`. */
export function consoleRoutes(): Route[] {
  const files = consoleFiles();
  const route = (path: string, prefix: boolean): Route => ({
    path,
    prefix,
    methods: ['GET', 'HEAD'],
    command: 'console',
    auth: open,
    handler: async (ex) => {
      const answer = files(ex.path, ex.req.headers['if-none-match']);
      if (!answer) throw new HttpError(404, `Not Found: ${ex.path}`);
      return { ...answer, command: 'console' };
    },
  });
  return [route('/', false), route('/console/', true)];
}
