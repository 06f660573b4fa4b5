/**
 * Failover-test harness (not a test itself): `node pg-writer.js <writers>` opens a
 * PgDocumentStore on the hosts in $SQ_PG_HOSTS (a JSON list of pg connection settings), prints
 * `ready`, and runs concurrent writers until its standard input closes. Writer w sets fresh
 * coordinates of one phext, each to a unique marker, and prints `ack <coord> <marker> <version>`
 * only once the mutation resolved (the store's acknowledgement), or `refused <status> <message>`
 * when it was refused, then waits a little as a client told to retry later would.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { Coordinate } from '../phext/index.js';
import { StoreError, type DocumentKey } from '../store/document-store.js';
import { PgDocumentStore } from '../store/pg/pg-store.js';

/** This file, compiled: what a failover test runs with `node`. */
export const PG_WRITER = fileURLToPath(import.meta.url);

/** The phext the writers write. */
export const FAILOVER_PHEXT: DocumentKey = { tenant: 'failover', name: 'markers' };

/** Where writer w's i-th marker goes: a coordinate of its own. */
const markerAt = (w: number, i: number) => `${w}.${1 + Math.floor(i / 999)}.1/1.1.1/1.1.${1 + (i % 999)}`;

async function writer(store: PgDocumentStore, w: number): Promise<never> {
  for (let i = 0; ; i++) {
    const coord = markerAt(w, i);
    const text = `w${w}i${i}`;
    const c = Coordinate.parse(coord);
    try {
      const { version } = await store.mutate(FAILOVER_PHEXT, (p) => p.set(c, text));
      process.stdout.write(`ack ${coord} ${text} ${version}\n`);
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      process.stdout.write(`refused ${e.status} ${e.message.replaceAll('\n', ' ')}\n`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function main(): Promise<void> {
  const writers = Number(process.argv[2]);
  const hosts = JSON.parse(process.env.SQ_PG_HOSTS ?? '[]') as pg.PoolConfig[];
  const store = await PgDocumentStore.open({
    connection: hosts,
    cacheBytes: 64 << 20,
    maxPhextBytes: 64 << 20,
    notice: (line) => process.stdout.write(`notice ${line.replaceAll('\n', ' ')}\n`),
  });
  process.stdout.write('ready\n');
  // Until the test closes our standard input (or is gone): then stop, whatever the database does.
  process.stdin.resume().on('end', () => process.exit(0));
  await Promise.all(Array.from({ length: writers }, (_, w) => writer(store, w + 1)));
}

if (process.argv[1] && PG_WRITER === resolve(process.argv[1])) void main();
