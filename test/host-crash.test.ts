// Crash test against the server: concurrent HTTP writers, `kill -9` of `sq host` at a random
// moment, restart on the same data dir. Every write answered 200 must be durable (the `.phext` with
// its change log applied, what the restart loads and serves), and the `.phext` itself never torn.
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { Coordinate, type Phext } from '../src/phext/index.js';
import { assertEarlierState, wholePhext } from '../src/testing/crash-checks.js';
import { durableBytes } from '../src/testing/durable-phext.js';
import { appendAt, marker, updateAt } from '../src/testing/store-writer.js';
import { request } from '../src/testing/http-client.js';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { tempDir } from '../src/testing/temp-dir.js';

const ROUNDS = 20;
const WRITERS = 16;
const PHEXTS = ['crash-0', 'crash-1'];
const MAX_WRITES = 900; // keeps every coordinate part within 1..999

interface Ack {
  phext: string;
  coord: string;
  text: string;
}

/**
 * Writer w alternates an update of a fresh coordinate (text in `s=`) with an append to its own
 * scroll (text as the POST body), switching phexts as it goes, over one keep-alive connection.
 * It records a write only once the server answered 200, and stops at the first failed request
 * (the server was killed).
 */
async function writer(host: HostProcess, round: number, w: number, acks: Ack[], surprises: string[]): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < MAX_WRITES; i++) {
      const text = marker(round, w, i);
      const phext = PHEXTS[(w + i) % PHEXTS.length]!;
      const update = i % 2 === 0;
      const coord = update ? updateAt(round, w, i) : appendAt(round, w);
      const path = update ? `/api/v2/update?p=${phext}&c=${coord}&s=${encodeURIComponent(text)}` : `/api/v2/insert?p=${phext}&c=${coord}`;
      let reply;
      try {
        reply = await request(host.port, { method: update ? 'GET' : 'POST', path, agent, body: update ? undefined : Buffer.from(text) });
      } catch {
        return; // killed
      }
      const expected = `${update ? 'Updated' : 'Inserted'} ${Buffer.byteLength(text)} bytes`;
      if (reply.status !== 200 || reply.body.toString() !== expected) {
        surprises.push(`${path}: ${reply.status} ${reply.body}`);
        return;
      }
      acks.push({ phext, coord, text });
    }
  } finally {
    agent.destroy();
  }
}

/** The `.phext` files as the last round left them, to check that a file never goes back. */
type Files = Map<string, { bytes: Buffer; phext: Phext }>;

/**
 * Checks the phexts after a kill with the codec. The durable phext (the file with its change log
 * applied: what a restart loads) holds every ack in whole markers; the `.phext` itself, replaced
 * only whole by checkpoints, is whole too, a state the durable phext went through, and never older
 * than the round before's. Returns how many files changed since the round before.
 */
async function verifyDisk(dataDir: string, acks: Ack[], when: string, files: Files): Promise<number> {
  let changed = 0;
  for (const name of PHEXTS) {
    const file = `${dataDir}/${name}.phext`;
    const durable = wholePhext(await durableBytes(file), `${when}: durable ${name}`);
    for (const ack of acks.filter((a) => a.phext === name)) {
      assert.ok(
        durable.get(Coordinate.parse(ack.coord)).includes(ack.text),
        `${when}: acknowledged ${ack.text} at ${ack.coord} of ${name} is missing`,
      );
    }
    const before = files.get(name);
    if (!existsSync(file)) {
      assert.equal(before, undefined, `${when}: ${name}.phext disappeared`);
      continue;
    }
    const bytes = readFileSync(file);
    const onDisk = wholePhext(bytes, `${when}: ${name}.phext`);
    assertEarlierState(onDisk, durable, `${when}: ${name}.phext against the durable phext`);
    if (before) assertEarlierState(before.phext, onDisk, `${when}: ${name}.phext against the round before`);
    if (!before?.bytes.equals(bytes)) changed++;
    files.set(name, { bytes, phext: onDisk });
  }
  return changed;
}

test(`sq host killed -9 under ${WRITERS} concurrent HTTP writers never loses an acknowledged write (${ROUNDS} rounds)`, async (t) => {
  const dataDir = tempDir(t, 'sq-host-crash-');
  const acks: Ack[] = [];
  const surprises: string[] = [];
  const files: Files = new Map();
  let fileChanges = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    // Every other round folds its logs every few KiB, so kills land in checkpoints too.
    const often = round % 2 === 0 ? ['--checkpoint-min', '4K', '--checkpoint-ratio', '0.01', '--checkpoint-idle-ms', '5'] : [];
    const host = await startHost(t, { dataDir, args: often });
    // The restarted server serves exactly what is durable: the file with its change log applied.
    for (const name of PHEXTS) {
      const served = await request(host.port, { path: `/api/v2/get?p=${name}` });
      assert.equal(served.status, 200, `round ${round}: ${served.body}`);
      assert.deepEqual(served.body, await durableBytes(`${dataDir}/${name}.phext`), `round ${round}: ${name} served differs from disk`);
    }
    const killAfterMs = 20 + Math.floor(Math.random() * 280);
    const writers = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(host, round, w + 1, acks, surprises)));
    setTimeout(() => host.child.kill('SIGKILL'), killAfterMs);
    const { signal } = await host.exited;
    await writers;
    assert.equal(signal, 'SIGKILL', `round ${round}: the server exited by itself: ${host.stderr()}`);
    assert.deepEqual(surprises, [], `round ${round}: unexpected answers`);
    fileChanges += await verifyDisk(dataDir, acks, `round ${round} (killed after ${killAfterMs} ms)`, files);
  }
  assert.ok(acks.length > 0, 'no write was ever acknowledged: the harness did not exercise the server');
  assert.ok(fileChanges > 0, 'no checkpoint ever wrote a .phext: the kills never met a checkpoint');
  // Each restart sweeps the temp files of killed writers; only the last kill's (one replace in
  // flight per phext: a checkpoint's file or its new log) may remain, beside the change logs.
  const leftovers = readdirSync(dataDir).filter((n) => !PHEXTS.some((p) => n === `${p}.phext` || n === `.${p}.phext.log`));
  assert.ok(leftovers.length <= PHEXTS.length, `stale temp files pile up: ${leftovers.join(', ')}`);
  for (const n of leftovers) assert.match(n, /^\.(crash-\d\.phext|\.crash-\d\.phext\.log)\.tmp-\d+-\d+$/, 'only temp files may remain');
  t.diagnostic(`${acks.length} acknowledged HTTP writes over ${ROUNDS} kills; ${fileChanges} .phext files changed between rounds`);
});
