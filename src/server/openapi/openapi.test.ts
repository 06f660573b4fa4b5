// The OpenAPI document against the server itself: every route and method of the route table is
// described, and every answer the server gives to good and bad requests (status, type, JSON shape)
// is one the document lists.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../../testing/temp-dir.js';
import { newToken, writeTenantsFile } from '../../testing/tenants-file.js';
import { hostConfig } from '../host-config.js';
import { startHost, type RunningHost } from '../start-host.js';
import { meshConfig } from '../../mesh/config.js';
import { OPENAPI } from './document.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };
interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  parameters?: Array<{ name: string; in: string }>;
}

const METHODS = ['get', 'head', 'post', 'put', 'delete', 'patch'];
const paths = OPENAPI.paths as unknown as Record<string, Record<string, unknown>>;

/** The documented methods of `path` (upper case). */
const documented = (path: string): string[] =>
  Object.keys(paths[path] ?? {})
    .filter((m) => METHODS.includes(m))
    .map((m) => m.toUpperCase());

/** The document's path template that `path` matches (`{name}` is one segment). */
function template(path: string): string | undefined {
  return Object.keys(paths).find((t) => new RegExp(`^${t.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
}

/** Why `value` does not fit `schema` (the subset of JSON Schema the document uses), or undefined. */
function mismatch(schema: Schema, value: unknown, at = '$'): string | undefined {
  const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
  if (schema.type !== undefined) {
    const types = ([] as Json[]).concat(schema.type);
    const k = kind(value);
    if (!types.includes(k) && !(k === 'integer' && types.includes('number'))) return `${at} is ${k}, not ${types.join('|')}`;
  }
  if (schema.enum !== undefined && !(schema.enum as Json[]).includes(value as Json))
    return `${at} is not one of ${JSON.stringify(schema.enum)}`;
  if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value))
    return `${at} does not match ${schema.pattern}`;
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries()) {
      const why = mismatch(schema.items as Schema, item, `${at}[${i}]`);
      if (why) return why;
    }
  }
  if (kind(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in object)) return `${at}.${key} is missing`;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [key, v] of Object.entries(object)) {
      if (properties[key]) {
        const why = mismatch(properties[key], v, `${at}.${key}`);
        if (why) return why;
      } else if (schema.additionalProperties === false) return `${at}.${key} is not allowed`;
    }
  }
  return undefined;
}

interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly type: string;
  readonly allow: string | null;
  readonly body: string;
}

/** Why an answer is not one the document lists, or undefined. */
function undocumented(host: string, x: Exchange): string | undefined {
  const what = `${host}: ${x.method} ${x.url} → ${x.status} ${x.type} ${x.body.slice(0, 120)}`;
  const path = new URL(x.url).pathname;
  const t = template(path);
  if (!t) return `${what}: no such path documented`;
  if (x.method === 'OPTIONS') return x.status === 204 ? undefined : `${what}: a preflight is 204`;
  const operation = paths[t]![x.method.toLowerCase()] as Operation | undefined;
  if (!operation) {
    // The document's rule for a method a path does not list: 405 with Allow naming those it does;
    // the admin API checks its key first, and a single-tenant server has none (404).
    if (t.startsWith('/api/v2/admin/') && (x.status === 401 || x.status === 404)) return undefined;
    if (x.status !== 405) return `${what}: an undocumented method must be 405`;
    return x.allow === documented(t).join(', ') ? undefined : `${what}: Allow ${x.allow}, documented ${documented(t).join(', ')}`;
  }
  const response = operation.responses[String(x.status)];
  if (!response) return `${what}: status not documented (${Object.keys(operation.responses).join(' ')})`;
  if (!response.content) return undefined;
  const media = x.type.split(';', 1)[0]!.trim();
  const content = response.content[media] ?? response.content['*/*'];
  if (!content) return `${what}: type not documented (${Object.keys(response.content).join(' ')})`;
  if (media === 'application/json' && x.method !== 'HEAD' && content.schema) {
    const why = mismatch(content.schema, JSON.parse(x.body));
    if (why) return `${what}: ${why}`;
  }
  return undefined;
}

async function exchange(port: number, method: string, target: string, headers: Record<string, string>, body?: string): Promise<Exchange> {
  const url = `http://127.0.0.1:${port}${target}`;
  const stop = new AbortController();
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body, signal: stop.signal });
  } catch (e) {
    throw new Error(`${method} ${url}: ${(e as Error).cause ?? e}`);
  }
  const type = res.headers.get('content-type') ?? '';
  // An event stream never ends: its headers are the answer.
  const text = type.startsWith('text/event-stream') ? '' : await res.text();
  stop.abort();
  return { method, url, status: res.status, type, allow: res.headers.get('allow'), body: text };
}

const root = tempDir({ after }, 'sq-openapi-');
const KEY = newToken();
const ADMIN = newToken();
const SMALL = newToken();
const hosts: Array<{ name: string; host: RunningHost; token: string; admin?: string }> = [];

async function start(): Promise<void> {
  const single = await startHost(
    hostConfig({ port: 0, bind: '127.0.0.1', dataDir: join(root, 'single'), key: KEY, maxBodyBytes: 4096, logFormat: 'off' }),
    () => {},
  );
  for (const dir of ['alice', 'bob', 'small']) mkdirSync(join(root, dir));
  const config = join(root, 'tenants.json');
  writeTenantsFile(
    config,
    [
      { name: 'alice', token: KEY, data_dir: join(root, 'alice') },
      { name: 'bob', token: newToken(), data_dir: join(root, 'bob') },
      { name: 'small', token: SMALL, data_dir: join(root, 'small'), quota_mb: 0.001 },
    ],
    { admin_key: ADMIN },
  );
  const multi = await startHost(hostConfig({ port: 0, bind: '127.0.0.1', config, maxBodyBytes: 4096, logFormat: 'off' }), () => {});
  // A mesh node (its peer never answers: only its own routes are asked).
  const mesh = await startHost(
    hostConfig({ port: 0, bind: '127.0.0.1', dataDir: join(root, 'mesh'), key: KEY, maxBodyBytes: 4096, logFormat: 'off' }),
    () => {},
    {
      mesh: meshConfig({
        version: '1.0',
        node: { id: 'here' },
        inbound: { port: 0, auth_key: KEY, data_dir: join(root, 'mesh') },
        outbound: { peers: [{ id: 'there', host: '127.0.0.1', port: 9, auth_key: 'their-key' }] },
      }),
    },
  );
  hosts.push(
    { name: 'single', host: single, token: KEY },
    { name: 'multi', host: multi, token: KEY, admin: ADMIN },
    { name: 'mesh', host: mesh, token: KEY },
  );
}

const C = '1.1.1/1.1.1/1.1.1';

/** Good and bad requests of each documented path: [method, target, headers, body]. */
function requests(path: string, token: string, admin: string | undefined): Array<[string, string, Record<string, string>, string?]> {
  const auth = { Authorization: `Bearer ${token}` };
  const none = {};
  const out: Array<[string, string, Record<string, string>, string?]> = [];
  const methods = [...documented(path), 'PUT', 'OPTIONS'];
  if (path.startsWith('/api/v2/admin/')) {
    const adminAuth = { Authorization: `Bearer ${admin ?? 'none'}` };
    for (const m of methods) {
      // carol is the tenant the POST makes: the one to delete.
      const concrete = path.replace('{name}', m === 'DELETE' ? 'carol' : 'bob');
      const body = m === 'POST' && !path.includes('{name}') ? '{"name":"carol"}' : undefined;
      out.push(
        [m, concrete, adminAuth, body],
        [m, concrete, adminAuth, body],
        [m, concrete, none, body],
        [m, path.replace('{name}', 'nobody'), adminAuth],
      );
    }
    out.push(['POST', path.replace('{name}', 'x'), adminAuth, 'not json'], ['POST', path, adminAuth, '{"name":"dave","color":1}']);
    return out;
  }
  const q = (params: Record<string, string>) => `${path}?${new URLSearchParams(params).toString()}`;
  for (const m of methods) {
    const body = m === 'POST' || m === 'DELETE' ? (path.endsWith('/delta') ? `${C}: ${'0'.repeat(32)}` : 'hello') : undefined;
    out.push(
      [m, q({ p: 'notes', c: C }), auth, body],
      [m, path, auth, body],
      [m, q({ p: 'notes', c: C }), none, body],
      [m, q({ p: '../up', c: C }), auth, body],
      [m, q({ p: 'a b', c: C }), auth, body],
      [m, q({ p: 'notes', c: '1.1.1/1.1.1/1.1.1000' }), auth, body],
      [m, q({ p: 'notes', c: C, zzz: '1' }), auth, body],
      [m, q({ p: 'notes', c: C }), { ...auth, 'If-Match': '"999"' }, body],
      [m, q({ p: 'notes', c: C }), { ...auth, 'If-Match': 'W/"1"' }, body],
      [m, q({ p: 'notes', c: C, since: '1' }), { ...auth, 'Last-Event-ID': '1' }, body],
      [m, q({ p: 'notes', c: C }), { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' }, m === 'POST' ? 'limit=10' : undefined],
      [m, q({ p: 'notes', c: C, f: 'page.html' }), auth, body],
      [m, q({ p: 'notes', c: C, algo: 'nope' }), auth, body],
    );
    if (m === 'POST') out.push([m, q({ p: 'notes', c: C }), auth, 'x'.repeat(5000)], [m, q({ p: 'notes', c: C }), auth, 'a\x17b']);
  }
  out.push(['POST', q({ p: 'big', c: C }), { Authorization: `Bearer ${SMALL}` }, 'x'.repeat(2000)]);
  out.push(['GET', `${path}?p=notes&c=${encodeURIComponent(C)}&text=1`, auth]);
  return out;
}

describe('the OpenAPI document', () => {
  before(start);
  after(() => Promise.all(hosts.map(({ host }) => host.close())));

  it('is OpenAPI 3.1 with unique operation ids and declared path parameters', () => {
    assert.equal(OPENAPI.openapi, '3.1.0');
    const ids: string[] = [];
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!METHODS.includes(method)) continue;
        const operation = op as Operation & { operationId: string };
        ids.push(operation.operationId);
        assert.ok(Object.keys(operation.responses).length > 0, `${method} ${path}`);
        const declared = [...((item.parameters as Operation['parameters']) ?? []), ...(operation.parameters ?? [])];
        for (const [, name] of path.matchAll(/\{([^}]+)\}/g))
          assert.ok(
            declared.some((p) => p.in === 'path' && p.name === name),
            `${path}: {${name}}`,
          );
      }
    }
    assert.equal(new Set(ids).size, ids.length);
  });

  it('describes every route and method of the server, single- and multi-tenant', async () => {
    const missing: string[] = [];
    for (const { name, host } of hosts) {
      for (const route of host.routes) {
        if (route.prefix || !route.methods) {
          // The admin API routes its own paths below the route's.
          const below = route.prefix ? route.path : `${route.path}/`;
          if (!Object.keys(paths).some((p) => p.startsWith(below))) missing.push(`${name}: ${route.path}*`);
          continue;
        }
        const methods = documented(route.path);
        if (methods.join(' ') !== route.methods.join(' '))
          missing.push(`${name}: ${route.path} serves ${route.methods.join(' ')}, documented ${methods.join(' ')}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('lists every answer the server gives to good and bad requests', async () => {
    const wrong: string[] = [];
    const seen = new Set<string>();
    for (const { name, host, token, admin } of hosts) {
      const served = new Set(host.routes.map((r) => r.path));
      for (const path of Object.keys(paths)) {
        // A documented path the server does not serve would be answered 404 (an exact route missing).
        if (!path.includes('{') && !served.has(path)) {
          const answer = await exchange(host.port, 'GET', path, { Authorization: `Bearer ${token}` });
          if (answer.status === 404) continue;
        }
        for (const [method, target, headers, body] of requests(path, token, admin)) {
          const x = await exchange(host.port, method, target, headers, body);
          seen.add(`${method} ${template(new URL(x.url).pathname)} ${x.status}`);
          const why = undocumented(name, x);
          if (why) wrong.push(why);
        }
      }
    }
    assert.deepEqual(wrong, []);
    // The requests did reach the answers that matter, not only refusals.
    for (const expected of [
      'GET /api/v2/select 200',
      'POST /api/v2/insert 200',
      'POST /api/v2/update 412',
      'POST /api/v2/update 413',
      'POST /api/v2/update 507',
      'GET /api/v2/select 403',
      'GET /api/v2/select 401',
      'GET /api/v2/watch 200',
      'GET /api/v2/watch 400',
      'POST /api/v2/admin/tenants 201',
      'POST /api/v2/admin/tenants 409',
      'POST /api/v2/admin/tenants/{name}/rotate 200',
      'DELETE /api/v2/admin/tenants/{name} 200',
      'PUT /api/v2/toc 405',
      'GET /api/v2/openapi.json 200',
    ]) {
      assert.ok(seen.has(expected), `${expected} not seen: ${[...seen].sort().join('\n')}`);
    }
  });

  it('is served at /api/v2/openapi.json without a token', async () => {
    const res = await fetch(`http://127.0.0.1:${hosts[0]!.host.port}/api/v2/openapi.json`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(OPENAPI)));
  });
});
