import { open } from '../guards.js';
import { JSON_TYPE } from '../outcome.js';
import type { Route } from '../route.js';
import { OPENAPI } from './document.js';

/**
 * `GET /api/v2/openapi.json`, open to anyone as `/health` is: it is the same for every server of
 * this version, names no tenant or phext, and tools read it before they hold a token.
 */
export function openapiRoute(): Route {
  const body = JSON.stringify(OPENAPI);
  return {
    path: '/api/v2/openapi.json',
    methods: ['GET', 'HEAD'],
    methodName: 'openapi.json',
    command: 'openapi',
    auth: open,
    handler: async () => ({ status: 200, body, contentType: JSON_TYPE, command: 'openapi' }),
  };
}
