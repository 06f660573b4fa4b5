import { PHEXT_NAME } from '../../store/phext-names.js';
import { VERSION } from '../../version.js';

/**
 * The OpenAPI 3.1 description of `sq host`'s HTTP API, served at `/api/v2/openapi.json`. Written
 * out by hand rather than derived from the route table, so that openapi.test.ts can hold the one
 * against the other: every route and method the server has is here, and every answer it gives
 * (status and type) is one listed here.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Operation = { [key: string]: Json };

const TEXT = 'text/plain';
const JSON_MEDIA = 'application/json';

const plain = (description: string): Json => ({ description, content: { [TEXT]: { schema: { type: 'string' } } } });
const json = (description: string, schema: Json): Json => ({ description, content: { [JSON_MEDIA]: { schema } } });
/** A refusal: one line of text. */
const refusal = (description: string): Json => plain(description);
const ETAG: Json = { ETag: { description: 'The phext\'s version, e.g. `"7"`', schema: { type: 'string', pattern: '^"[0-9]+"$' } } };

const ERRORS: Readonly<Record<string, string>> = {
  '400': 'A malformed parameter, coordinate, name or body (one line says which)',
  '401': 'No token, or not one the server knows (the connection is closed)',
  '403': "A phext name with '..', '/' or '\\', or a .phext the server may not write",
  '409': 'A directory or FIFO where the .phext should be, or an edit that kept clashing',
  '413': 'A body over --max-body, or a phext over --max-phext-mb',
  '412': 'If-Match names a version the phext is no longer at (the message says which it is at)',
  '422': 'A .phext on disk that is not UTF-8 or cannot be held losslessly',
  '503': 'Over a connection, body or stream bound (Retry-After), or the database unreachable',
  '507': "The tenant's quota, or the disk, is full",
};

const errors = (...statuses: string[]): Record<string, Json> => Object.fromEntries(statuses.map((s) => [s, refusal(ERRORS[s]!)]));

const READ_ERRORS = ['400', '401', '403', '409', '413', '422', '503'];
const WRITE_ERRORS = [...READ_ERRORS, '412', '507'];

const param = (name: string, description: string, schema: Json = { type: 'string' }, required = false): Json => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});

const P = param('p', 'The phext: `<data_dir>/<p>.phext`; without it, the default phext', {
  type: 'string',
  pattern: PHEXT_NAME.source,
});
const C = param(
  'c',
  'The scroll, `LB.SF.SR/CN.VM.BK/CH.SN.SC` (`;` may stand for `/`), read as the original reads it: only digits and `. / ;` count, a missing part is 1',
);
const S = param('s', 'The scroll text, when not sent as the body');
const CONTENT = param('content', 'Another name for `s`');
const F = param('f', 'Serve the text as a file of this name (its type from the extension)');
const IF_MATCH: Json = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'Make the write only if the phext is at this version (`"7"`), else 412',
  schema: { type: 'string' },
};
const TEXT_BODY: Json = {
  required: false,
  description: 'The scroll text (UTF-8, no phext delimiter bytes), or a form carrying p/c/s',
  content: {
    [TEXT]: { schema: { type: 'string' } },
    'application/x-www-form-urlencoded': {
      schema: { type: 'object', properties: { p: { type: 'string' }, c: { type: 'string' }, s: { type: 'string' } } },
    },
  },
};

/** The same operation under each of `methods` (GET and POST answer alike; HEAD without a body). */
/**
 * A mesh node's endpoints (`sq host --mesh-config`): its peers' (the inbound key as the token,
 * `X-SQ-Mesh-Node` and `X-SQ-Mesh-Key` naming the peer), and its operator's (loopback or the key).
 * A phext is named by `tenant` (absent: `default`, a single-tenant node's) and `p`.
 */
function meshPaths(): Record<string, Json> {
  const body: Json = { required: true, content: { [JSON_MEDIA]: { schema: { type: 'object' } } } };
  const peerCall = (operationId: string, summary: string): Json => ({
    post: {
      operationId,
      summary,
      requestBody: body,
      responses: {
        '200': json('The answer', { type: 'object' }),
        ...errors('400', '401', '413', '503'),
        '403': refusal('A phext, or a tenant, not shared with that peer'),
      },
    },
  });
  const operator = (action: string): Json => ({
    post: {
      operationId: `mesh${action[0]!.toUpperCase()}${action.slice(1)}`,
      summary: `Mesh: ${action} following the peers (all, or ?peer=ID)`,
      responses: { '200': json("The mesh's status", { type: 'object' }), ...errors('401', '413'), '404': refusal('No such peer') },
    },
  });
  return {
    '/api/v2/mesh/changes': peerCall(
      'meshChanges',
      'Mesh: the changes after the cursors given (per tenant), with their stamps (a long poll)',
    ),
    '/api/v2/mesh/manifest': peerCall('meshManifest', "Mesh: a phext's scrolls as checksums and stamps"),
    '/api/v2/mesh/scrolls': peerCall('meshScrolls', 'Mesh: the texts and stamps of the scrolls named'),
    '/api/v2/mesh/status': {
      get: {
        operationId: 'meshStatus',
        summary: "Mesh: this node's peers, their state, lag and last error, and the recent conflicts",
        responses: { '200': json("The mesh's status", { type: 'object' }), ...errors('401', '413') },
      },
    },
    '/api/v2/mesh/pause': operator('pause'),
    '/api/v2/mesh/resume': operator('resume'),
  };
}

function methods(names: readonly string[], operation: (method: string) => Operation): Record<string, Json> {
  return Object.fromEntries(names.map((m) => [m.toLowerCase(), operation(m)]));
}

function command(
  name: string,
  summary: string,
  options: { methods: readonly string[]; parameters: Json[]; ok: Json; errors: string[]; body?: boolean; write?: boolean },
): Record<string, Json> {
  return methods(options.methods, (method) => ({
    operationId: `${name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}${method === 'GET' ? '' : method[0] + method.slice(1).toLowerCase()}`,
    summary,
    tags: ['commands'],
    parameters: [...options.parameters, ...(options.write ? [IF_MATCH] : [])],
    ...(options.body && method !== 'GET' && method !== 'HEAD' ? { requestBody: TEXT_BODY } : {}),
    responses: { '200': options.ok, ...errors(...options.errors) },
  }));
}

const versioned = (description: string, media = TEXT): Json => ({
  description,
  headers: ETAG,
  content: { [media]: { schema: { type: 'string' } } },
});

const READ = ['GET', 'HEAD', 'POST'];
const WRITE = ['GET', 'POST'];

const writeCommand = (name: string, summary: string, answer: string) =>
  command(name, summary, {
    methods: name === 'delete' ? ['GET', 'POST', 'DELETE'] : WRITE,
    parameters: name === 'delete' ? [P, C] : [P, C, S, CONTENT],
    ok: versioned(`\`${answer} <n> bytes\`, once durable; ETag: the phext's version after the write`),
    errors: WRITE_ERRORS,
    body: name !== 'delete',
    write: true,
  });

const CHANGE: Json = {
  type: 'object',
  required: ['p', 'version', 'coord', 'kind', 'bytes', 'checksum'],
  properties: {
    p: { type: 'string' },
    version: { type: 'integer' },
    coord: { type: 'string' },
    kind: { enum: ['insert', 'update', 'delete'] },
    bytes: { type: 'integer' },
    checksum: { type: 'string' },
    text: { type: 'string' },
  },
};

const TENANT: Json = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    data_dir: { type: 'string' },
    bytes_used: { type: 'integer' },
    quota_bytes: { type: ['integer', 'null'] },
    requests: { type: 'integer' },
    last_active: { type: ['string', 'null'] },
  },
};
const ADMIN_ERROR: Json = { type: 'object', required: ['error'], properties: { error: { type: 'string' } } };
const adminError = (description: string): Json => json(description, ADMIN_ERROR);
/** In single-tenant mode the admin routes answer 404 as text: they need --config. */
const ADMIN_404: Json = {
  description: 'No such tenant or admin path; in single-tenant mode, every admin path (as text: it needs --config)',
  content: { [JSON_MEDIA]: { schema: ADMIN_ERROR }, [TEXT]: { schema: { type: 'string' } } },
};
const admin = (operationId: string, summary: string, ok: Record<string, Json>, more: Record<string, Json> = {}, body?: Json): Json => ({
  operationId,
  summary,
  tags: ['admin'],
  security: [{ bearer: [] }],
  ...(body === undefined ? {} : { requestBody: { required: true, content: { [JSON_MEDIA]: { schema: body } } } }),
  responses: { ...ok, '401': adminError('Not the admin key'), '404': ADMIN_404, ...more },
});
const NAME: Json = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'SQ',
    version: VERSION,
    description:
      'A phext database server. Every `/api/v2` command takes its parameters in the query string (or a form body); refusals are one line of text with their status. OPTIONS answers CORS preflights (204) on every path, and a method a path does not list is answered 405 with `Allow` (under `/api/v2/admin/`, once the admin key is accepted: 401 before, and 404 on a single-tenant server).',
  },
  servers: [{ url: '/' }],
  security: [{ bearer: [] }, {}],
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description:
          "A tenant's token (single-tenant: `--key`); also accepted as a bare Authorization or X-SQ-API-Key. Open servers need none.",
      },
    },
  },
  paths: {
    '/health': {
      ...methods(['GET', 'HEAD'], (m) => ({
        operationId: m === 'GET' ? 'health' : 'healthHead',
        summary: 'Liveness',
        security: [{}],
        responses: { '200': plain('`OK`') },
      })),
    },
    '/': {
      ...methods(['GET', 'HEAD'], (m) => ({
        operationId: m === 'GET' ? 'console' : 'consoleHead',
        summary: 'The web console (a page that signs in with a token kept in the browser tab)',
        security: [{}],
        responses: {
          '200': { description: 'The console page', content: { 'text/html': { schema: { type: 'string' } } } },
          '304': { description: 'Not modified since the ETag sent in If-None-Match' },
        },
      })),
    },
    '/console/{file}': {
      parameters: [
        { name: 'file', in: 'path', required: true, description: "A script, style or image of the console's", schema: { type: 'string' } },
      ],
      ...methods(['GET', 'HEAD'], (m) => ({
        operationId: m === 'GET' ? 'consoleFile' : 'consoleFileHead',
        summary: "One of the console's files",
        security: [{}],
        responses: {
          '200': { description: 'The file', content: { '*/*': {} } },
          '304': { description: 'Not modified since the ETag sent in If-None-Match' },
          '404': refusal('No such file of the console'),
        },
      })),
    },
    ...meshPaths(),
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (loopback, the admin key, or the single-tenant --key)',
        responses: { '200': plain('Prometheus text exposition'), '401': refusal(ERRORS['401']!) },
      },
    },
    '/api/v2/openapi.json': {
      ...methods(['GET', 'HEAD'], (m) => ({
        operationId: m === 'GET' ? 'openapi' : 'openapiHead',
        summary: 'This document (no token needed: it is the same for every server of this version)',
        security: [{}],
        responses: { '200': json('The OpenAPI document', { type: 'object' }) },
      })),
    },
    '/api/v2/version': command('version', "The server's version", {
      methods: READ,
      parameters: [],
      ok: plain('e.g. `0.6.0`'),
      errors: ['400', '401', '413', '503'],
    }),
    '/api/v2/select': command('select', 'One scroll', {
      methods: READ,
      parameters: [P, C, F],
      // With f=, the text is served as that file: any type.
      ok: {
        description: "The scroll's text, empty when there is none (SQ keeps no empty scrolls)",
        headers: ETAG,
        content: { '*/*': { schema: { type: 'string' } } },
      },
      errors: READ_ERRORS,
    }),
    '/api/v2/insert': writeCommand('insert', 'Append to a scroll', 'Inserted'),
    '/api/v2/update': writeCommand('update', "Replace a scroll's text ('' removes it)", 'Updated'),
    '/api/v2/delete': writeCommand('delete', 'Remove a scroll', 'Removed'),
    '/api/v2/toc': command('toc', 'Table of contents', {
      methods: READ,
      parameters: [P],
      ok: versioned('`* <coord>: <summary>` per scroll (an empty phext: one empty line at the origin)'),
      errors: READ_ERRORS,
    }),
    '/api/v2/get': command('get', 'The whole phext', {
      methods: READ,
      parameters: [P, F],
      ok: { description: 'The file (with f=, as that file)', headers: ETAG, content: { '*/*': { schema: { type: 'string' } } } },
      errors: READ_ERRORS,
    }),
    '/api/v2/checksum': command('checksum', "The phext's XXH3-128", {
      methods: READ,
      parameters: [P],
      ok: versioned('32 hex digits'),
      errors: READ_ERRORS,
    }),
    '/api/v2/delta': command('delta', 'What a holder of a manifest lacks', {
      methods: READ,
      parameters: [P],
      ok: versioned('A phext of the scrolls the manifest lacks or holds differently (GET: all)'),
      errors: READ_ERRORS,
      body: true,
    }),
    '/api/v2/json-export': command('json-export', 'Every scroll as JSON', {
      methods: READ,
      parameters: [P],
      ok: {
        description: 'The scrolls in coordinate order',
        headers: ETAG,
        content: {
          [JSON_MEDIA]: {
            schema: {
              type: 'array',
              items: {
                type: 'object',
                required: ['coord', 'scroll'],
                properties: { coord: { type: 'string' }, scroll: { type: 'string' } },
              },
            },
          },
        },
      },
      errors: READ_ERRORS,
    }),
    '/api/v2/status': command('status', 'Size, scroll count, version', {
      methods: READ,
      parameters: [P],
      ok: versioned('`Hosting: <p>.phext`, `Connection ID`, `Phext Size`, `Scrolls`, `Version` lines'),
      errors: READ_ERRORS,
    }),
    '/api/v2/load': command('load', 'Read `<p>.phext` from disk again', {
      methods: WRITE,
      parameters: [P],
      ok: plain('`Loaded <p>.phext`'),
      errors: READ_ERRORS,
    }),
    '/api/v2/where': command('where', 'The coordinate SQ infers for a text', {
      methods: ['POST'],
      parameters: [S, param('algo', '`xor` (default) or `checksum`'), param('limit', 'Minimum scroll length (default 100)')],
      ok: plain('`Calculated coordinate <c> for input (algo=…, limit=…).`'),
      errors: ['400', '401', '413', '503'],
      body: true,
    }),
    '/api/v2/list': {
      ...methods(['GET', 'HEAD'], (m) => ({
        operationId: m === 'GET' ? 'list' : 'listHead',
        summary: "The tenant's phexts",
        tags: ['commands'],
        responses: {
          '200': json('In name order', {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'bytes', 'scrolls', 'version', 'modified'],
              properties: {
                name: { type: 'string' },
                bytes: { type: 'integer' },
                scrolls: { type: 'integer' },
                version: { type: 'integer' },
                modified: { type: ['string', 'null'] },
              },
            },
          }),
          ...errors('400', '401', '503'),
        },
      })),
    },
    '/api/v2/watch': {
      get: {
        operationId: 'watch',
        summary: 'The change feed (Server-Sent Events: `change`, `reset`, `overflow`)',
        tags: ['commands'],
        parameters: [
          param('p', 'One phext (resumable by version); without it, every phext of the tenant'),
          param('c', 'A branch: the leading parts of a coordinate (`2`, `2.1.1`, `2.1.1/3`)'),
          param('since', 'Replay the changes after this version first (needs p)', { type: 'string', pattern: '^[0-9]+$' }),
          param('text', "`1`: include each scroll's text"),
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            description: 'Resume after this id (wins over since)',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'An event stream; each `change` event\'s data is a change, each `reset` event\'s `{"p","version","checksum"}`',
            content: { 'text/event-stream': { schema: { type: 'string' }, itemSchema: CHANGE } },
          },
          ...errors('400', '401', '403', '503'),
        },
      },
    },
    '/api/v2/reload': {
      post: {
        operationId: 'reload',
        summary: 'Read the tenants again (this machine or the admin key)',
        tags: ['admin'],
        responses: {
          '200': plain('`Config reload triggered`'),
          '400': refusal('The new tenants were refused (the old ones stay)'),
          '401': refusal(ERRORS['401']!),
          '404': refusal('A single-tenant server has no tenants to reload'),
        },
      },
    },
    '/api/v2/admin/tenants': {
      get: admin('listTenants', 'The tenants', {
        '200': json('Never their tokens', { type: 'object', properties: { tenants: { type: 'array', items: TENANT } } }),
      }),
      post: admin(
        'createTenant',
        'Add a tenant',
        {
          '201': json('Its token, shown only here', {
            type: 'object',
            properties: { name: { type: 'string' }, token: { type: 'string' }, data_dir: { type: 'string' } },
          }),
        },
        { '400': adminError('A malformed body'), '409': adminError('The name is taken (or its phexts remain)') },
        {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, quota_mb: { type: 'number' } },
          additionalProperties: false,
        },
      ),
    },
    '/api/v2/admin/tenants/{name}': {
      parameters: [NAME],
      get: admin('showTenant', 'One tenant', { '200': json('Never its token', TENANT) }),
      delete: admin(
        'deleteTenant',
        'Remove a tenant (its phexts are kept)',
        { '200': json('What was removed', { type: 'object' }) },
        { '409': adminError('The tenants file changed meanwhile') },
      ),
    },
    '/api/v2/admin/tenants/{name}/rotate': {
      parameters: [NAME],
      post: admin(
        'rotateTenant',
        'A new token for a tenant',
        { '200': json('The new token, shown only here', { type: 'object' }) },
        { '409': adminError('The tenants file changed meanwhile') },
      ),
    },
  },
} as const satisfies { openapi: string; paths: Record<string, Record<string, Json>> } & Record<string, Json>;
