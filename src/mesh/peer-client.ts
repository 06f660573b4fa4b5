import { request } from 'undici';
import type { RemoteScroll } from './apply.js';
import type { MeshConfig, MeshPeer } from './config.js';
import { DEFAULT_TENANT, type ManifestScroll, type PhextChanges } from './routes.js';

/** A request to a peer that failed; the message is one line for its status. */
export class PeerError extends Error {
  override readonly name = 'PeerError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** This node's side of the mesh protocol with one peer (see routes.ts for the other). */
export class PeerClient {
  readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(config: MeshConfig, peer: MeshPeer) {
    const host = peer.host.includes(':') && !peer.host.startsWith('[') ? `[${peer.host}]` : peer.host;
    this.url = `http://${host}:${peer.port}`;
    this.headers = {
      authorization: `Bearer ${peer.auth_key}`,
      'x-sq-mesh-node': config.node.id,
      // The key this node accepts, which the peer's config lists for it: it proves who asks.
      'x-sq-mesh-key': config.inbound.auth_key,
      'content-type': 'application/json',
    };
  }

  async health(signal: AbortSignal): Promise<void> {
    const res = await request(`${this.url}/health`, { signal, headersTimeout: 10_000, bodyTimeout: 10_000 });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new PeerError(`health: ${res.statusCode} ${text.slice(0, 200)}`);
  }

  /**
   * The changes after `tenants`' cursors (tenant → phext → version). The default tenant's are
   * sent as `cursors` too, which is all a node from before tenants reads.
   */
  changes(tenants: Record<string, Record<string, number>>, waitMs: number, signal: AbortSignal): Promise<{ phexts: PhextChanges[] }> {
    const cursors = tenants[DEFAULT_TENANT];
    return this.post('changes', { tenants, ...(cursors ? { cursors } : {}), waitMs }, signal, waitMs + 30_000);
  }

  manifest(tenant: string, p: string, signal: AbortSignal): Promise<{ version: number; scrolls: ManifestScroll[] }> {
    return this.post('manifest', { tenant, p }, signal);
  }

  scrolls(tenant: string, p: string, coords: string[], signal: AbortSignal): Promise<{ scrolls: RemoteScroll[] }> {
    return this.post('scrolls', { tenant, p, coords }, signal);
  }

  private async post<T>(what: string, body: unknown, signal: AbortSignal, timeoutMs = 60_000): Promise<T> {
    const res = await request(`${this.url}/api/v2/mesh/${what}`, {
      method: 'POST',
      headers: this.headers,
      body: JSON.stringify(body),
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new PeerError(`${what}: ${res.statusCode} ${text.split('\n')[0]!.slice(0, 200)}`, res.statusCode);
    return JSON.parse(text) as T;
  }
}
