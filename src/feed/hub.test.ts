import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Coordinate } from '../phext/coordinate.js';
import type { ChangeRecord } from '../store/change-record.js';
import type { Commit } from '../store/document-store.js';
import type { FeedStream } from './feed-stream.js';
import { FeedHub, FeedRefusal, type Subscription } from './hub.js';
import { PREAMBLE } from './sse.js';

const LIMITS = { maxStreams: 3, maxStreamsPerTenant: 2, bufferBytes: 1 << 20, heartbeatMs: 3_600_000 };

function record(version: number, coordinate: string, text: string): ChangeRecord {
  return { version, coordinate: Coordinate.parse(coordinate), kind: 'update', text, bytes: text.length, checksum: 'c', before: 'b' };
}

function commit(tenant: string, name: string, records: ChangeRecord[]): Commit {
  const version = Math.max(0, ...records.map((r) => r.version));
  return { document: { tenant, name }, bytesBefore: 0, bytesAfter: 0, bytesWritten: 0, version, records, batchSize: 1, durationMs: 0 };
}

const follow = (tenant: string, name: string | undefined, more: Partial<Subscription> = {}): Subscription => ({
  tenant,
  name,
  text: false,
  wide: name === undefined,
  prefix: undefined,
  stillAllowed: () => true,
  ...more,
});

/** A stream's answer as its client gets it: `text()` is everything written so far, preamble left out. */
function connect(stream: FeedStream): { text(): string; writes: number; ended: boolean } {
  const client = {
    chunks: [] as string[],
    writes: 0,
    ended: false,
    text: () => client.chunks.join('').slice(PREAMBLE.length),
  };
  stream.attach({
    write(chunk) {
      client.chunks.push(chunk.toString());
      client.writes++;
      return true;
    },
    end() {
      client.ended = true;
    },
  });
  return client;
}

test("a commit reaches the streams of its phext and of its tenant's every phext, in version order, and no one else's", async (t) => {
  const hub = new FeedHub({ ...LIMITS, maxStreams: 10, maxStreamsPerTenant: 10 });
  t.after(() => hub.close());
  const notes = hub.subscribe(follow('alice', 'notes'));
  const all = hub.subscribe(follow('alice', undefined, { text: true }));
  const other = hub.subscribe(follow('alice', 'other'));
  const bobs = hub.subscribe(follow('bob', 'notes'));
  const [toNotes, toAll, toOther, toBob] = [notes, all, other, bobs].map((s) => {
    s.begin([], -1);
    return connect(s);
  }) as [ReturnType<typeof connect>, ReturnType<typeof connect>, ReturnType<typeof connect>, ReturnType<typeof connect>];
  // Records come in coordinate order; versions 2 and 3 changed the first scroll and the second.
  hub.publish(commit('alice', 'notes', [record(3, '1.1.1/1.1.1/1.1.1', 'x'), record(2, '1.1.1/1.1.1/1.1.2', 'y')]));
  hub.publish(commit('alice', 'notes', [])); // a checkpoint
  await hub.handedOut();
  assert.equal(
    toNotes.text(),
    'id: 2\nevent: change\ndata: {"p":"notes","version":2,"coord":"1.1.1/1.1.1/1.1.2","kind":"update","bytes":1,"checksum":"c"}\n\n' +
      'id: 3\nevent: change\ndata: {"p":"notes","version":3,"coord":"1.1.1/1.1.1/1.1.1","kind":"update","bytes":1,"checksum":"c"}\n\n',
  );
  assert.match(toAll.text(), /^id: notes:2\n.*"text":"y"\}\n\nid: notes:3\n.*"text":"x"\}\n\n$/s);
  hub.close();
  assert.equal(toOther.text(), '');
  assert.equal(toBob.text(), '');
  assert.ok(
    [toNotes, toAll, toOther, toBob].every((c) => c.ended),
    'closing the hub ends every answer',
  );
});

test('changes of one version carry one id, after the last of them; a branch sees its scrolls only', async (t) => {
  const hub = new FeedHub(LIMITS);
  t.after(() => hub.close());
  const whole = hub.subscribe(follow('alice', 'notes'));
  const branch = hub.subscribe(follow('alice', 'notes', { prefix: String.fromCharCode(2) }));
  whole.begin([], -1);
  branch.begin([], -1);
  const [toWhole, toBranch] = [connect(whole), connect(branch)];
  hub.publish(commit('alice', 'notes', [record(4, '1.1.1/1.1.1/1.1.1', 'a'), record(4, '2.1.1/1.1.1/1.1.1', 'b')]));
  await hub.handedOut();
  const ids = (text: string) =>
    [...text.matchAll(/^(id: \d+\n)?event: change\ndata: .*"coord":"([^"]+)"/gm)].map((m) => `${m[1] ?? ''}${m[2]}`);
  assert.deepEqual(ids(toWhole.text()), ['1.1.1/1.1.1/1.1.1', 'id: 4\n2.1.1/1.1.1/1.1.1']);
  assert.deepEqual(ids(toBranch.text()), ['id: 4\n2.1.1/1.1.1/1.1.1']);
});

test('limits per tenant and in all; a stream that ends frees its slot; closed, the hub takes no more', (t) => {
  const hub = new FeedHub(LIMITS);
  t.after(() => hub.close());
  const a1 = hub.subscribe(follow('alice', 'notes'));
  hub.subscribe(follow('alice', undefined));
  assert.throws(() => hub.subscribe(follow('alice', 'x')), {
    name: 'FeedRefusal',
    message: 'too many open watch streams for this tenant (2)',
  });
  hub.subscribe(follow('bob', 'notes'));
  assert.throws(() => hub.subscribe(follow('carol', 'notes')), { message: 'too many open watch streams (3)' });
  a1.end('gone');
  assert.equal(hub.size, 2);
  hub.subscribe(follow('carol', 'notes'));
  hub.close();
  assert.equal(hub.size, 0);
  assert.throws(() => hub.subscribe(follow('dave', 'notes')), FeedRefusal);
});

test('a phext is followed while a stream of it, or of all its tenant’s phexts, is open', (t) => {
  const hub = new FeedHub(LIMITS);
  t.after(() => hub.close());
  const notes = { tenant: 'alice', name: 'notes' };
  const other = { tenant: 'alice', name: 'other' };
  assert.equal(hub.follows(notes), false);
  const one = hub.subscribe(follow('alice', 'notes'));
  assert.deepEqual([hub.follows(notes), hub.follows(other), hub.follows({ tenant: 'bob', name: 'notes' })], [true, false, false]);
  const all = hub.subscribe(follow('alice', undefined));
  assert.equal(hub.follows(other), true);
  one.end('gone');
  all.end('gone');
  assert.deepEqual([hub.follows(notes), hub.follows(other)], [false, false]);
});

test('recheck ends the streams no longer allowed, and only those', (t) => {
  const hub = new FeedHub(LIMITS);
  t.after(() => hub.close());
  let allowed = true;
  const revoked = hub.subscribe(follow('alice', 'notes', { stillAllowed: () => allowed }));
  const kept = hub.subscribe(follow('bob', undefined));
  hub.recheck();
  assert.equal(revoked.done, false);
  allowed = false;
  hub.recheck();
  assert.equal(revoked.endReason, 'revoked');
  assert.equal(kept.done, false);
  assert.equal(hub.size, 1);
});

test('commits published together reach a stream as one write; a stream that subscribes later gets only what follows', async (t) => {
  const hub = new FeedHub(LIMITS);
  t.after(() => hub.close());
  const early = hub.subscribe(follow('alice', 'notes'));
  early.begin([], -1);
  const toEarly = connect(early);
  const before = toEarly.writes;
  for (let v = 1; v <= 3; v++) hub.publish(commit('alice', 'notes', [record(v, '1.1.1/1.1.1/1.1.1', `v${v}`)]));
  const late = hub.subscribe(follow('alice', 'notes'));
  late.begin([], -1);
  const toLate = connect(late);
  hub.publish(commit('alice', 'notes', [record(4, '1.1.1/1.1.1/1.1.1', 'v4')]));
  await hub.handedOut();
  const versions = (text: string) => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  assert.deepEqual(versions(toEarly.text()), [1, 2, 3, 4]);
  assert.equal(toEarly.writes - before, 1, 'one write for the four commits');
  assert.deepEqual(versions(toLate.text()), [4]);
});
