/** Mesh nodes (`sq host --mesh-config`) as child processes on 127.0.0.1, for end-to-end tests. */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { call, type TextReply } from './sq-api.js';
import { startSq, type SqProcess } from './sq-process.js';
import { tempDir, type Cleanup } from './temp-dir.js';

/** Ports free right now, each found by listening on port 0 and closing (all held at once, so distinct). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A mesh peer's status as `GET /api/v2/mesh/status` reports it. */
interface PeerStatus {
  id: string;
  state: string;
  lag_versions: number;
  last_error: string | null;
  applied: number;
  fetched_scrolls: number;
  catch_ups: number;
}

interface MeshStatusReport {
  node: string;
  peers: PeerStatus[];
  conflicts: { p: string; c: string; kept: string; dropped: string }[];
}

/** One node: its id, port, directory and config, and the process serving them (replaced by restart). */
export interface MeshNode {
  readonly id: string;
  readonly port: number;
  readonly dataDir: string;
  readonly configPath: string;
  process: SqProcess;
  /** One request to this node on a fresh connection. */
  call(method: string, path: string, body?: string): Promise<TextReply>;
  status(): Promise<MeshStatusReport>;
  /** Starts the node again on the same port, directory and config (after kill or stop). */
  restart(): Promise<void>;
}

export interface MeshOptions {
  /** Phexts each node shares with the others (default: all). */
  share?: (from: string, to: string) => string[] | undefined;
}

const keyOf = (id: string): string => `mesh-key-${id}`;

/**
 * Starts `ids.length` nodes, each following all the others: ports are found first, then each
 * node's config written (health checks every second, retries every 0.2 s), then the nodes started.
 */
export async function startMesh(t: Cleanup, ids: readonly string[], options: MeshOptions = {}): Promise<MeshNode[]> {
  const ports = await freePorts(ids.length);
  const dir = tempDir(t, 'sq-mesh-');
  const running: SqProcess[] = [];
  t.after(async () => {
    for (const p of running) await p.kill();
  });
  const nodes = ids.map((id, i): MeshNode => {
    const dataDir = join(dir, id);
    const configPath = join(dir, `${id}.json`);
    const config = {
      version: '1.0',
      node: { id, name: id.toUpperCase(), emoji: '🪶', coordinate: '1.1.1/1.1.1/1.1.1' },
      inbound: { enabled: true, port: ports[i], auth_key: keyOf(id), data_dir: dataDir },
      outbound: {
        enabled: true,
        peers: ids
          .map((peer, j) => ({ peer, j }))
          .filter(({ peer }) => peer !== id)
          .map(({ peer, j }) => {
            const share = options.share?.(id, peer);
            return {
              id: peer,
              name: peer.toUpperCase(),
              host: '127.0.0.1',
              port: ports[j],
              auth_key: keyOf(peer),
              coordinate: '1.1.1/1.1.1/1.1.1',
              priority: 1,
              ...(share ? { share } : {}),
            };
          }),
      },
      mesh: { sync_interval_seconds: 300, health_check_interval_seconds: 1, retry_backoff_seconds: 0.2, max_retries: 3 },
    };
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const node: MeshNode = {
      id,
      port: ports[i]!,
      dataDir,
      configPath,
      process: undefined as unknown as SqProcess,
      call: (method, path, body) => call(ports[i]!, path, { method, body }),
      async status() {
        const reply = await call(ports[i]!, '/api/v2/mesh/status');
        if (reply.status !== 200) throw new Error(`status of ${id}: ${reply.status} ${reply.text}`);
        return JSON.parse(reply.text) as MeshStatusReport;
      },
      async restart() {
        node.process = await startSq(['host', '--mesh-config', configPath, '--bind', '127.0.0.1', '--log-format', 'off'], {
          env: { SQ_KEY: '' },
          startTimeoutMs: 20_000,
        });
        running.push(node.process);
      },
    };
    return node;
  });
  await Promise.all(nodes.map((n) => n.restart()));
  return nodes;
}

/** The inbound key of node `id` in configs made by startMesh. */
export const meshKey = keyOf;
