import { Coordinate, checksum } from '../phext/index.js';
import type { DocumentStore } from '../store/document-store.js';
import { localOrAdmin } from '../server/guards.js';
import { HttpError } from '../server/http-error.js';
import { JSON_TYPE, type Outcome } from '../server/outcome.js';
import type { Exchange, Middleware, Route } from '../server/route.js';
import { tokenDigest, tokenMatches } from '../tenants/token-digest.js';
import type { RemoteScroll } from './apply.js';
import type { Stamp } from './hlc.js';
import type { MeshConfig, MeshPeer } from './config.js';
import { isPhextName, phextNamesIn } from '../store/phext-names.js';
import { EMPTY_SUM } from './stamper.js';
import type { MeshTenant } from './tenant.js';
import type { Wakeup } from './wakeup.js';

/** Records one answer of the changes route carries at most (a peer further behind asks again). */
const MAX_RECORDS = 5_000;
/** The longest a changes request is held when nothing changed (a peer asks for less). */
const MAX_WAIT_MS = 30_000;

/** A request naming no tenant is about this one: a single-tenant node's, as before tenants. */
export const DEFAULT_TENANT = 'default';

/** One phext's news in a changes answer: its changes after the cursor, or `reset` (catch up by manifest). */
export interface PhextChanges {
  /** The tenant of the phext (absent: DEFAULT_TENANT). */
  readonly tenant?: string;
  readonly p: string;
  /** The cursor to ask from next time. */
  readonly version: number;
  /** The phext's version now (more than `version` when the answer was cut short). */
  readonly head: number;
  readonly reset?: true;
  readonly changes?: RemoteScroll[];
}

/** A scroll in a manifest: checksum and stamp (`d`: deleted). */
export interface ManifestScroll {
  readonly c: string;
  readonly s: string;
  readonly t: number;
  readonly k: number;
  readonly n: string;
  readonly d?: 1;
  readonly p?: Stamp | undefined;
}

export interface MeshRouteDeps {
  readonly config: MeshConfig;
  readonly store: DocumentStore;
  /** The tenants served to a peer right now. */
  readonly tenants: (peer: MeshPeer) => readonly MeshTenant[];
  readonly wakeup: Wakeup;
  readonly status: () => object;
  /** Stops (false) or restarts (true) following the peers (all, or the one named). */
  readonly outbound: (enabled: boolean, peer: string | undefined) => Promise<void>;
}

const json = (body: unknown, command: string): Outcome => ({ status: 200, body: JSON.stringify(body), contentType: JSON_TYPE, command });

/**
 * The serving side of the mesh: what a peer asks this node for. A peer presents this node's
 * inbound auth_key (as a token), its node id (`X-SQ-Mesh-Node`) and its own key
 * (`X-SQ-Mesh-Key`, the auth_key this node's config lists for it): both compared as digests in
 * constant time, like tenants' tokens. It is then served the phexts shared with it only, of
 * the tenants configured for it only (a phext is addressed by tenant and name; a request naming
 * no tenant means DEFAULT_TENANT, a single-tenant node's).
 */
export function meshRoutes(deps: MeshRouteDeps): Route[] {
  const { config, store, wakeup } = deps;
  const inbound = config.inbound.enabled ? tokenDigest(config.inbound.auth_key) : undefined;
  const peers = new Map(config.outbound.peers.map((p) => [p.id, { peer: p, digest: tokenDigest(p.auth_key) }]));
  const isInbound = (token: string | undefined): boolean => !!inbound && token !== undefined && tokenMatches(token, inbound);
  const callers = new WeakMap<Exchange, MeshPeer>();
  const peerGuard: Middleware = (ex, next) => {
    const id = header(ex, 'x-sq-mesh-node');
    const key = header(ex, 'x-sq-mesh-key');
    const known = id === undefined ? undefined : peers.get(id);
    if (!isInbound(ex.token) || !known || key === undefined || !tokenMatches(key, known.digest)) throw new HttpError(401, 'Unauthorized');
    callers.set(ex, known.peer);
    return next(ex);
  };
  const shared = (peer: MeshPeer, name: string): boolean => peer.share === undefined || peer.share.includes(name);
  const sharedNames = async (peer: MeshPeer, t: MeshTenant): Promise<string[]> =>
    (await phextNamesIn(t.dataDir)).filter((n) => shared(peer, n));
  const tenantOf = (peer: MeshPeer, name: unknown): MeshTenant => {
    if (name !== undefined && typeof name !== 'string') throw new HttpError(400, 'expected tenant, a tenant name');
    const wanted = name ?? DEFAULT_TENANT;
    const t = deps.tenants(peer).find((x) => x.name === wanted);
    if (!t) throw new HttpError(403, `tenant ${wanted} is not shared with ${peer.id}`);
    return t;
  };
  const requestBody = async (ex: Exchange): Promise<Record<string, unknown>> => {
    try {
      const body = JSON.parse((await ex.body()).toString('utf8')) as unknown;
      if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
    } catch {}
    throw new HttpError(400, 'expected a JSON object');
  };
  const sharedName = (peer: MeshPeer, p: unknown): string => {
    if (!isPhextName(p)) throw new HttpError(400, 'expected p, a phext name');
    if (!shared(peer, p)) throw new HttpError(403, `phext ${p} is not shared with ${peer.id}`);
    return p;
  };

  /** The request's body and the phext it names (`tenant`, `p`), once its peer may read it (400, 403). */
  const askedPhext = async (ex: Exchange) => {
    const body = await requestBody(ex);
    const peer = callers.get(ex)!;
    const { name: tenant, stamper } = tenantOf(peer, body.tenant);
    return { body, tenant, stamper, name: sharedName(peer, body.p) };
  };

  /**
   * Every shared phext's changes after its cursor, at most MAX_RECORDS in all, for each tenant
   * asked for that is served to the peer (the others are left out: one may come with a reload).
   */
  async function changes(peer: MeshPeer, asked: Record<string, Record<string, number>>): Promise<PhextChanges[]> {
    const out: PhextChanges[] = [];
    let budget = MAX_RECORDS;
    for (const t of deps.tenants(peer)) {
      const cursors = asked[t.name];
      if (cursors === undefined) continue;
      for (const name of await sharedNames(peer, t)) {
        if (budget <= 0) break;
        budget = await phextChanges(peer, t, name, cursors[name] ?? 0, budget, out);
      }
    }
    return out;
  }

  /** Adds phext `name`'s news after `cursor` to `out`; answers the budget left. */
  async function phextChanges(
    peer: MeshPeer,
    t: MeshTenant,
    name: string,
    cursor: number,
    budget: number,
    out: PhextChanges[],
  ): Promise<number> {
    const { recent, stamper } = t;
    const tenant = t.name;
    const document = { tenant, name };
    const found = recent.changes(name, cursor) ?? (await store.changesSince(document, cursor));
    if (found?.version === cursor) recent.unchanged(name, cursor);
    if (!found) {
      const head = (await store.read(document))?.version ?? 0;
      out.push({ tenant, p: name, version: head, head, reset: true });
      return budget;
    }
    if (found.version === cursor) return budget;
    let records = found.records;
    let version = found.version;
    if (records.length > budget) {
      let end = budget;
      while (end < records.length && records[end]!.version === records[end - 1]!.version) end++;
      version = records[end - 1]!.version;
      records = records.slice(0, end);
    }
    budget -= records.length;
    const list: RemoteScroll[] = [];
    for (const r of records) {
      const c = r.coordinate.toString();
      const stamp = stamper.stampOf(name, c, r.checksum);
      // The peer's own values are not sent back to it.
      if (stamp.n !== peer.id) list.push({ c, text: r.text, t: stamp.t, k: stamp.k, n: stamp.n, p: stamp.p });
    }
    out.push({ tenant, p: name, version, head: found.version, changes: list });
    return budget;
  }

  return [
    {
      path: '/api/v2/mesh/changes',
      methods: ['POST'],
      command: 'mesh-changes',
      auth: peerGuard,
      handler: async (ex) => {
        const peer = callers.get(ex)!;
        const body = await requestBody(ex);
        const asked = tenantCursorsOf(body);
        const waitMs = Math.min(MAX_WAIT_MS, typeof body.waitMs === 'number' && body.waitMs >= 0 ? body.waitMs : 0);
        const deadline = Date.now() + waitMs;
        for (;;) {
          const seen = wakeup.seq;
          const phexts = await changes(peer, asked);
          const left = deadline - Date.now();
          if (phexts.length > 0 || left <= 0) return json({ node: config.node.id, phexts }, 'mesh-changes');
          await wakeup.wait(seen, left);
          if (wakeup.seq === seen) return json({ node: config.node.id, phexts: [] }, 'mesh-changes');
        }
      },
    },
    {
      path: '/api/v2/mesh/manifest',
      methods: ['POST'],
      command: 'mesh-manifest',
      auth: peerGuard,
      handler: async (ex) => {
        const { tenant, stamper, name } = await askedPhext(ex);
        const snapshot = await store.read({ tenant, name });
        const scrolls: ManifestScroll[] = [];
        const present = new Set<string>();
        // Read and stamped in one turn: the manifest is the phext at `version`.
        for (const s of snapshot?.phext.scrolls() ?? []) {
          const c = s.coordinate.toString();
          present.add(c);
          const stamp = stamper.stampOf(name, c, checksum(s.text));
          scrolls.push({ c, s: stamp.s, t: stamp.t, k: stamp.k, n: stamp.n, p: stamp.p });
        }
        for (const [c, stamp] of stamper.book.all(name)) {
          if (stamp.d && !present.has(c)) scrolls.push({ c, s: EMPTY_SUM, t: stamp.t, k: stamp.k, n: stamp.n, d: 1, p: stamp.p });
        }
        return json({ version: snapshot?.version ?? 0, scrolls }, 'mesh-manifest');
      },
    },
    {
      path: '/api/v2/mesh/scrolls',
      methods: ['POST'],
      command: 'mesh-scrolls',
      auth: peerGuard,
      handler: async (ex) => {
        const { body, tenant, stamper, name } = await askedPhext(ex);
        if (!Array.isArray(body.coords) || !body.coords.every((c) => typeof c === 'string'))
          throw new HttpError(400, 'expected coords, a list of coordinates');
        const snapshot = await store.read({ tenant, name });
        const scrolls: RemoteScroll[] = (body.coords as string[]).map((raw) => {
          const coordinate = Coordinate.parse(raw);
          const c = coordinate.toString();
          const text = snapshot?.phext.get(coordinate) ?? '';
          const stamp = stamper.stampOf(name, c, text === '' ? EMPTY_SUM : checksum(text));
          return { c, text, t: stamp.t, k: stamp.k, n: stamp.n, p: stamp.p };
        });
        return json({ scrolls }, 'mesh-scrolls');
      },
    },
    {
      path: '/api/v2/mesh/status',
      methods: ['GET'],
      command: 'mesh-status',
      auth: localOrAdmin(isInbound),
      handler: async () => json(deps.status(), 'mesh-status'),
    },
    ...(['pause', 'resume'] as const).map(
      (action): Route => ({
        path: `/api/v2/mesh/${action}`,
        methods: ['POST'],
        command: `mesh-${action}`,
        auth: localOrAdmin(isInbound),
        handler: async (ex) => {
          const peer = new URLSearchParams(ex.query).get('peer') ?? undefined;
          if (peer !== undefined && !peers.has(peer)) throw new HttpError(404, `no peer ${peer}`);
          await deps.outbound(action === 'resume', peer);
          return json(deps.status(), `mesh-${action}`);
        },
      }),
    ),
  ];
}

function header(ex: Exchange, name: string): string | undefined {
  const value = ex.req.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A changes request's cursors per tenant: `tenants` (tenant → cursors), else `cursors` (of DEFAULT_TENANT). */
function tenantCursorsOf(body: Record<string, unknown>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = Object.create(null);
  if (body.tenants === undefined) {
    out[DEFAULT_TENANT] = cursorsOf(body.cursors);
    return out;
  }
  if (!body.tenants || typeof body.tenants !== 'object' || Array.isArray(body.tenants))
    throw new HttpError(400, 'expected tenants, an object of cursors per tenant');
  for (const [tenant, cursors] of Object.entries(body.tenants)) out[tenant] = cursorsOf(cursors ?? {});
  return out;
}

function cursorsOf(value: unknown): Record<string, number> {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, 'expected cursors, an object of versions');
  const cursors: Record<string, number> = Object.create(null);
  for (const [name, version] of Object.entries(value)) {
    if (!Number.isSafeInteger(version) || (version as number) < 0) throw new HttpError(400, `cursor of ${name}: expected a version`);
    cursors[name] = version as number;
  }
  return cursors;
}
