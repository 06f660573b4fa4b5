// An editor saves the `.phext` while sq host is taking writes: every acknowledged write and every
// scroll the editor changed must survive, in what the server serves and in the file it converges to.
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Coordinate, parse, serialize } from '../src/phext/index.js';
import { waitForCheckpoint } from '../src/testing/change-log-files.js';
import { request } from '../src/testing/http-client.js';
import { startHost } from '../src/testing/host-process.js';
import { replaceFile } from '../src/testing/replace-file.js';

const WRITERS = 8;
const WRITES = 60;
const EDITS = 12;

test('sq host: an editor saving the file while writes are in flight loses neither its scrolls nor ours', async (t) => {
  // Small checkpoints, so the editor's saves meet logs both folded and not.
  const host = await startHost(t, { args: ['--checkpoint-min', '8K', '--checkpoint-ratio', '0.01', '--checkpoint-idle-ms', '20'] });
  const file = host.file('shared');
  const acked = new Map<string, string>();
  const writer = async (w: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 1; i <= WRITES; i++) {
        const c = `1.1.1;1.1.1;1.${w}.${i}`;
        const text = `server w${w} i${i}`;
        const reply = await request(host.port, { method: 'POST', path: `/api/v2/update?p=shared&c=${c}`, agent, body: Buffer.from(text) });
        assert.equal(reply.status, 200, String(reply.body));
        acked.set(Coordinate.parse(c).key, text);
      }
    } finally {
      agent.destroy();
    }
  };
  // The editor reads the file as it is on disk, changes its own section, and saves by rename, as
  // editors do; between saves it lets the server run.
  const editor = async () => {
    for (let e = 1; e <= EDITS; e++) {
      let onDisk;
      try {
        onDisk = parse(readFileSync(file));
      } catch {
        onDisk = parse(Buffer.alloc(0));
      }
      onDisk.set(Coordinate.parse(`1.1.1;1.1.1;9.9.${e}`), `editor ${e}`);
      replaceFile(file, serialize(onDisk).toString('utf8'));
      await new Promise((r) => setTimeout(r, 15));
    }
  };
  await Promise.all([...Array.from({ length: WRITERS }, (_, w) => writer(w + 1)), editor()]);

  const servedBytes = (await request(host.port, { path: '/api/v2/get?p=shared' })).body;
  const served = parse(servedBytes);
  for (const [key, text] of acked) assert.equal(served.get(Coordinate.fromKey(key)), text, `acknowledged ${Coordinate.fromKey(key)}`);
  for (let e = 1; e <= EDITS; e++)
    assert.equal(served.get(Coordinate.parse(`1.1.1;1.1.1;9.9.${e}`)), `editor ${e}`, `editor's scroll ${e}`);
  assert.equal(served.size, acked.size + EDITS, 'nothing else appeared');
  // The file converges to what is served.
  await waitForCheckpoint(file);
  assert.deepEqual(readFileSync(file), servedBytes);
  assert.match(host.stderr(), /changed on disk outside SQ/, 'the server logged that it took the edits in');
});
