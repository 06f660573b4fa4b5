/**
 * `sq mesh status|conflicts|pause|resume`: a mesh node's view of its peers, read from its
 * `/api/v2/mesh/status` (this machine, or anyone with the node's inbound auth_key).
 */
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { UsageError, type Command } from '../command.js';
import { formatTable } from './mesh-table.js';

const USAGE = `Usage: sq mesh <status|conflicts|pause|resume> [--url URL] [--key KEY] [--peer ID]

  status      each peer: state, lag (versions and seconds), changes applied, last error
  conflicts   the recent values that lost to a newer one (which scroll, which node's value won)
  pause       stop following the peers (all, or --peer ID): a partition, for maintenance
  resume      follow them again, from where it stopped

  --url URL   the node (default http://127.0.0.1:2086)
  --key KEY   the node's inbound auth_key; SQ_MESH_KEY works too (not needed on the node's machine)
  --peer ID   pause or resume this peer only
  --json      print the node's answer as it is`;

interface PeerReport {
  id: string;
  url: string;
  state: string;
  lag_versions: number;
  lag_seconds: number;
  last_error: string | null;
  applied: number;
  fetched_scrolls: number;
}

interface Report {
  node: string;
  peers: PeerReport[];
  conflicts: { at: string; p: string; c: string; kept: string; dropped: string }[];
}

export const meshCommand: Command = {
  name: 'mesh',
  summary: "A mesh node's peers, lag, errors and conflicts (sq host --mesh-config)",
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { url: { type: 'string' }, key: { type: 'string' }, peer: { type: 'string' }, json: { type: 'boolean' } },
    });
    const action = positionals[0];
    if (positionals.length !== 1 || !['status', 'conflicts', 'pause', 'resume'].includes(action!))
      throw new UsageError('expected one of status, conflicts, pause, resume');
    let base: URL;
    try {
      base = new URL(values.url ?? 'http://127.0.0.1:2086');
    } catch {
      throw new UsageError(`invalid URL '${values.url}'`);
    }
    const key = values.key ?? process.env.SQ_MESH_KEY;
    const write = action === 'pause' || action === 'resume';
    const path = write ? `api/v2/mesh/${action}${values.peer ? `?peer=${encodeURIComponent(values.peer)}` : ''}` : 'api/v2/mesh/status';
    const res = await request(new URL(path, base.href.endsWith('/') ? base : new URL(base.href + '/')), {
      method: write ? 'POST' : 'GET',
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      process.stderr.write(`sq mesh: ${res.statusCode} ${text.split('\n')[0]}\n`);
      return 1;
    }
    if (values.json) {
      process.stdout.write(text + '\n');
      return 0;
    }
    const report = JSON.parse(text) as Report;
    if (action === 'conflicts') {
      const rows = report.conflicts.map((c) => [c.at, c.p, c.c, c.kept, c.dropped]);
      process.stdout.write(rows.length === 0 ? 'no conflicts\n' : formatTable(['when', 'phext', 'scroll', 'kept', 'dropped'], rows));
      return 0;
    }
    const rows = report.peers.map((p) => [
      p.id,
      p.url,
      p.state,
      String(p.lag_versions),
      `${p.lag_seconds}s`,
      String(p.applied),
      String(p.fetched_scrolls),
      p.last_error ?? '-',
    ]);
    process.stdout.write(`node ${report.node}\n`);
    process.stdout.write(formatTable(['peer', 'url', 'state', 'lag', 'behind', 'applied', 'fetched', 'last error'], rows));
    return 0;
  },
};
