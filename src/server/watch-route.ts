import type { IncomingHttpHeaders } from 'node:http';
import { changeEvents, resetEvent } from '../feed/change-events.js';
import { coordinatePrefix } from '../feed/coordinate-prefix.js';
import { FeedRefusal, type FeedHub } from '../feed/hub.js';
import { SSE_HEADERS, SSE_TYPE } from '../feed/sse.js';
import { checksum } from '../phext/checksum.js';
import type { DocumentKey, DocumentStore } from '../store/document-store.js';
import type { TenantResolver } from '../tenants/tenant.js';
import { tenant as tenantGuard } from './guards.js';
import { HttpError } from './http-error.js';
import { parseParams } from './params.js';
import { phextName } from './phext-name.js';
import { PushedBody } from './pushed-body.js';
import type { Route } from './route.js';
import type { Tenancy } from './tenancy.js';

const PARAMETERS = new Set(['p', 'c', 'since', 'text']);
const VERSION = /^(0|[1-9][0-9]{0,15})$/;
/** How long a refused subscriber should wait before it tries again (s). */
const RETRY_AFTER = '5';

/** What the watch route needs from the host around it. */
export interface WatchDeps {
  readonly store: DocumentStore;
  readonly resolver: TenantResolver;
  readonly tenancy: Pick<Tenancy, 'grant'>;
  readonly hub: FeedHub;
}

/**
 * `GET /api/v2/watch`: a tenant's committed changes as Server-Sent Events, of one phext (`p`) or
 * of all its phexts, optionally of one branch (`c`), with the scroll texts (`text=1`). With `p`,
 * `Last-Event-ID` (sent by EventSource when it reconnects) or `since` resumes after a version.
 */
export function watchRoute(deps: WatchDeps): Route {
  return {
    path: '/api/v2/watch',
    methods: ['GET'],
    methodName: 'watch',
    command: 'watch',
    auth: tenantGuard(deps.resolver),
    handler: async (ex) => {
      const params = parseParams(ex.query, 'query string');
      for (const key of params.keys()) {
        if (!PARAMETERS.has(key)) throw new HttpError(400, `Unknown parameter '${key.slice(0, 32)}' for watch (p, c, since, text)`);
      }
      const p = params.get('p');
      const name = p === undefined || p === '' ? undefined : phextName(p);
      ex.labels.phext = name;
      const c = params.get('c');
      let prefix: string | undefined;
      if (c !== undefined) {
        const parsed = coordinatePrefix(c);
        if ('problem' in parsed) throw new HttpError(400, parsed.problem);
        prefix = parsed.key;
      }
      const text = flag(params.get('text'));
      const since = resumePoint(ex.req.headers, params.get('since'), name);
      const tenant = ex.tenant!;
      let stream;
      try {
        stream = deps.hub.subscribe({
          tenant: tenant.name,
          name,
          text,
          wide: name === undefined,
          prefix,
          stillAllowed: deps.tenancy.grant(tenant, ex.token),
        });
      } catch (e) {
        if (e instanceof FeedRefusal) throw new HttpError(503, `Service Unavailable: ${e.message}`, { 'Retry-After': RETRY_AFTER });
        throw e;
      }
      // A client that hangs up leaves at once, not when its next event or heartbeat finds it
      // gone. The server lets clients half-close (see http-server.ts), so a watcher that stops
      // sending has hung up too: an event stream is only ever read.
      // A revoked token's client may be too far behind to take even the end: cut it.
      const socket = ex.req.socket;
      const hangUp = () => stream.end('gone');
      socket.once('close', hangUp);
      socket.once('end', hangUp);
      const leave = stream.onEnd;
      stream.onEnd = (reason) => {
        socket.off('close', hangUp);
        socket.off('end', hangUp);
        leave(reason);
        if (reason === 'revoked' && socket.writableLength > 0) socket.destroy();
      };
      try {
        if (since === undefined) {
          stream.begin([], -1);
        } else if (name === undefined) {
          // Versions are per phext: what a stream of all of them missed is not known.
          stream.begin([resetEvent(undefined, undefined, undefined)], -1);
        } else {
          const key: DocumentKey = { tenant: tenant.name, name };
          const changes = await deps.store.changesSince(key, since);
          if (changes) {
            stream.begin(changeEvents(name, changes.records, { text, wide: false, prefix }), changes.version);
          } else {
            const snapshot = await deps.store.read(key);
            const version = snapshot?.version ?? 0;
            const sum = snapshot ? await snapshot.checksum() : checksum('');
            stream.begin([resetEvent(name, version, sum)], version);
          }
        }
      } catch (e) {
        stream.end('gone');
        throw e;
      }
      return {
        status: 200,
        body: new PushedBody(stream),
        contentType: SSE_TYPE,
        headers: SSE_HEADERS,
        command: 'watch',
        phext: name,
        tenant: tenant.name,
      };
    },
  };
}

/** `text=`: 1 or 0 (absent: 0). */
function flag(value: string | undefined): boolean {
  if (value === undefined || value === '0') return false;
  if (value === '1') return true;
  throw new HttpError(400, `Invalid value for text: use 1 or 0`);
}

/**
 * Where to resume: `Last-Event-ID` (an EventSource reconnecting keeps its URL, so the header
 * wins over `since`) or `since`, a version. Without `p` a resume only says that something may
 * have been missed: the header is taken as it is; `since` names a version, which only a phext has.
 */
function resumePoint(headers: IncomingHttpHeaders, since: string | undefined, name: string | undefined): number | undefined {
  const header = headers['last-event-id'];
  const last = Array.isArray(header) ? header[0] : header;
  if (name === undefined) {
    if (since !== undefined)
      throw new HttpError(400, 'since needs p: versions are per phext (a stream of every phext resumes with Last-Event-ID)');
    return last !== undefined && last.trim() !== '' ? 0 : undefined;
  }
  const value = last !== undefined && last.trim() !== '' ? last.trim() : since;
  if (value === undefined) return undefined;
  if (!VERSION.test(value)) {
    const what = last !== undefined && last.trim() !== '' ? 'Last-Event-ID' : 'since';
    throw new HttpError(400, `Invalid ${what}: a version (a whole number) is expected`);
  }
  const version = Number(value);
  if (!Number.isSafeInteger(version)) throw new HttpError(400, 'Invalid since: a version (a whole number) is expected');
  return version;
}
