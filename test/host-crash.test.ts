// Crash test against the server: concurrent HTTP writers, `kill -9` of `sq host` at a random
// moment, restart on the same data dir. Every write answered 200 must be on disk, nothing torn.
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { test } from 'node:test';
import { Coordinate, parse } from '../src/phext/index.js';
import { MARKER_PATTERN, appendAt, marker, updateAt } from '../src/testing/store-writer.js';
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

/** Checks the files on disk with the codec: valid UTF-8, only whole markers, every ack present. */
function verifyDisk(dataDir: string, acks: Ack[], when: string): void {
  for (const name of PHEXTS) {
    const file = `${dataDir}/${name}.phext`;
    const mine = acks.filter((a) => a.phext === name);
    if (!existsSync(file)) {
      assert.equal(mine.length, 0, `${when}: ${mine.length} acknowledged writes to ${name} but no file`);
      continue;
    }
    const bytes = readFileSync(file);
    assert.ok(isUtf8(bytes), `${when}: ${name} is not valid UTF-8 (torn)`);
    const phext = parse(bytes);
    for (const scroll of phext) {
      assert.equal(scroll.text.replace(MARKER_PATTERN, ''), '', `${when}: torn scroll at ${scroll.coordinate} of ${name}`);
    }
    for (const ack of mine) {
      assert.ok(
        phext.get(Coordinate.parse(ack.coord)).includes(ack.text),
        `${when}: acknowledged ${ack.text} at ${ack.coord} of ${name} is missing`,
      );
    }
  }
}

test(`sq host killed -9 under ${WRITERS} concurrent HTTP writers never loses an acknowledged write (${ROUNDS} rounds)`, async (t) => {
  const dataDir = tempDir(t, 'sq-host-crash-');
  const acks: Ack[] = [];
  const surprises: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const host = await startHost(t, { dataDir });
    // The restarted server serves exactly what is on disk.
    for (const name of PHEXTS) {
      const served = await request(host.port, { path: `/api/v2/get?p=${name}` });
      assert.equal(served.status, 200, `round ${round}: ${served.body}`);
      const file = `${dataDir}/${name}.phext`;
      assert.deepEqual(
        served.body,
        existsSync(file) ? readFileSync(file) : Buffer.alloc(0),
        `round ${round}: ${name} served differs from disk`,
      );
    }
    const killAfterMs = 20 + Math.floor(Math.random() * 280);
    const writers = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(host, round, w + 1, acks, surprises)));
    setTimeout(() => host.child.kill('SIGKILL'), killAfterMs);
    const { signal } = await host.exited;
    await writers;
    assert.equal(signal, 'SIGKILL', `round ${round}: the server exited by itself: ${host.stderr()}`);
    assert.deepEqual(surprises, [], `round ${round}: unexpected answers`);
    verifyDisk(dataDir, acks, `round ${round} (killed after ${killAfterMs} ms)`);
  }
  assert.ok(acks.length > 0, 'no write was ever acknowledged: the harness did not exercise the server');
  // Each restart sweeps the temp files of killed writers; only the last kill's may remain.
  const leftovers = readdirSync(dataDir).filter((n) => !PHEXTS.some((p) => n === `${p}.phext`));
  assert.ok(leftovers.length <= PHEXTS.length, `stale temp files pile up: ${leftovers.join(', ')}`);
  t.diagnostic(`${acks.length} acknowledged HTTP writes over ${ROUNDS} kills`);
});
