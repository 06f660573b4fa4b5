import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PHEXT_NAME } from '../store/phext-names.js';

/**
 * The mesh config of the original SQ (its src/mesh.rs, version "1.0"), read as it wrote it, plus
 * an optional `share` list per peer: the phexts that peer may read (default: all of them), and an
 * optional `tenants` list per peer for a multi-tenant node (`--config`): the tenants whose phexts
 * sync with that peer (default: none).
 * Validated once into a {@link MeshConfig}; a problem is one line naming the field.
 */

/** Interval settings may be fractions here (the original took whole seconds): tests need short ones. */
const seconds = z.number().positive();
const text = z.string();

const peer = z
  .object({
    id: z.string().min(1, 'needs an id'),
    name: text.optional(),
    host: text.default(''),
    port: z.number().int().min(1).max(65535).default(2086),
    /** The key that peer accepts (its own inbound auth_key). */
    auth_key: text.default(''),
    coordinate: text.optional(),
    priority: z.number().int().default(1),
    share: z.array(z.string().regex(PHEXT_NAME, 'a phext name (A-Z a-z 0-9 . _ -)')).optional(),
    tenants: z.array(z.string().min(1, 'a tenant name')).optional(),
  })
  .strict();

const schema = z
  .object({
    version: z.string(),
    node: z
      .object({ id: z.string().min(1, 'needs an id'), name: text.optional(), emoji: text.optional(), coordinate: text.optional() })
      .strict(),
    inbound: z
      .object({
        enabled: z.boolean().default(true),
        port: z.number().int().min(0).max(65535).default(2086),
        auth_key: text.default(''),
        data_dir: text.default('/var/sq/data'),
      })
      .strict(),
    outbound: z.object({ enabled: z.boolean().default(true), peers: z.array(peer).default([]) }).strict(),
    mesh: z
      .object({
        sync_interval_seconds: seconds.default(300),
        health_check_interval_seconds: seconds.default(60),
        retry_backoff_seconds: seconds.default(30),
        max_retries: z.number().int().min(0).default(3),
      })
      .strict()
      .default({}),
  })
  .strict();

export type MeshConfig = Readonly<z.output<typeof schema>>;
export type MeshPeer = MeshConfig['outbound']['peers'][number];

/** A mesh config that cannot be used; the message is one line. */
export class MeshConfigError extends Error {
  override readonly name = 'MeshConfigError';
}

/** Validates a parsed mesh config (the original's own checks included, with its messages). */
export function meshConfig(input: unknown): MeshConfig {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new MeshConfigError(`${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  const config = result.data;
  if (config.version !== '1.0') throw new MeshConfigError(`Unsupported mesh config version: ${config.version}`);
  if (config.inbound.enabled && config.inbound.auth_key === '')
    throw new MeshConfigError('Inbound auth_key is required when inbound is enabled');
  const ids = new Set<string>();
  for (const p of config.outbound.peers) {
    if (config.outbound.enabled && p.auth_key === '') throw new MeshConfigError(`Peer ${p.id} has no auth_key`);
    if (config.outbound.enabled && p.host === '') throw new MeshConfigError(`Peer ${p.id} has no host`);
    if (p.id === config.node.id) throw new MeshConfigError(`Peer ${p.id} has this node's own id`);
    if (ids.has(p.id)) throw new MeshConfigError(`Peer ${p.id} is listed twice`);
    ids.add(p.id);
  }
  return config;
}

/** Reads and validates the mesh config file at `path`. */
export function readMeshConfig(path: string): MeshConfig {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    throw new MeshConfigError(`cannot read the mesh config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new MeshConfigError(`the mesh config ${path} is not JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return meshConfig(parsed);
}
