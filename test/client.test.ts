// The typed client (src/client) against a real `sq host` child process.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  Coordinate,
  SqBadRequestError,
  SqClient,
  SqTooLargeError,
  SqUnauthorizedError,
  SqVersionConflictError,
  type WatchEvent,
} from '../src/client/index.js';
import { startHost } from '../src/testing/host-process.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { waitFor } from '../src/testing/wait.js';

const KEY = 'client-test-key-0123456789';
const ARGS = ['--key', KEY, '--log-format', 'off'];
const C1 = '1.1.1/1.1.1/1.1.1';
const C2 = '1.1.1/1.1.1/1.1.2';

/** A client that counts the requests it sends. */
function counted(url: string, token = KEY): { client: SqClient; sent: () => number } {
  let sent = 0;
  const client = new SqClient({
    url,
    token,
    fetch: (input, init) => {
      sent++;
      return fetch(input, init);
    },
  });
  return { client, sent: () => sent };
}

describe('SqClient', () => {
  it('runs every command, with versions from the ETag', async (t) => {
    const host = await startHost(t, { args: ARGS });
    const sq = new SqClient({ url: `http://127.0.0.1:${host.port}/`, token: KEY });
    assert.match(await sq.version(), /^\d+\.\d+\.\d+/);
    const first = await sq.insert('notes', C1, 'hello');
    assert.deepEqual(first, { bytes: 5, message: 'Inserted 5 bytes', version: 1 });
    assert.deepEqual(await sq.insert('notes', Coordinate.parse(C1), ' world'), { bytes: 6, message: 'Inserted 6 bytes', version: 2 });
    assert.deepEqual(await sq.update('notes', '1.1.1;1.1.1;1.1.2', 'two\nlines'), { bytes: 9, message: 'Updated 9 bytes', version: 3 });
    assert.deepEqual(await sq.select('notes', C1), { coordinate: C1, text: 'hello world', present: true, version: 3 });
    assert.deepEqual(await sq.toc('notes'), {
      entries: [
        { coordinate: C1, summary: 'hello world' },
        { coordinate: C2, summary: 'two...' },
      ],
      version: 3,
    });
    const whole = await sq.get('notes');
    assert.equal(whole.text, 'hello world\x17two\nlines');
    assert.equal(whole.version, 3);
    const sum = await sq.checksum('notes');
    assert.match(sum.checksum, /^[0-9a-f]{32}$/);
    assert.deepEqual((await sq.jsonExport('notes')).scrolls, [
      { coord: C1, scroll: 'hello world' },
      { coord: C2, scroll: 'two\nlines' },
    ]);
    assert.equal((await sq.delta('notes')).text, whole.text);
    // A holder of scroll 1 with another text lacks it; a manifest of no scrolls lacks nothing it knows of.
    assert.equal((await sq.delta('notes', { [C1]: '0'.repeat(32) })).text, 'hello world\x17two\nlines');
    const status = await sq.status('notes');
    assert.equal(status.phext, 'notes');
    assert.equal(status.scrolls, 2);
    assert.equal(status.version, 3);
    assert.equal(status.size, Buffer.byteLength(whole.text));
    assert.match(await sq.where('hello\x17world'), /^\d+\.\d+\.\d+\/\d+\.\d+\.\d+\/\d+\.\d+\.\d+$/);
    assert.equal(await sq.load('notes'), 'Loaded notes.phext');
    assert.deepEqual(await sq.delete('notes', C2), { bytes: 9, message: 'Removed 9 bytes', version: 4 });
    assert.deepEqual(await sq.delete('notes', C2), { bytes: 0, message: 'Removed 0 bytes', version: 4 });
    // The default phext ('' = no p).
    await sq.update('', C1, 'default');
    assert.equal((await sq.select('', C1)).text, 'default');
  });

  it('tells a missing scroll or phext from a present one', async (t) => {
    const host = await startHost(t, { args: ARGS });
    const sq = new SqClient({ url: `http://127.0.0.1:${host.port}`, token: KEY });
    assert.deepEqual(await sq.select('nothing', C1), { coordinate: C1, text: '', present: false, version: 0 });
    // The server lists an empty phext as one empty scroll at the origin, as the original does.
    const raw = await fetch(`http://127.0.0.1:${host.port}/api/v2/toc?p=nothing`, { headers: { Authorization: `Bearer ${KEY}` } });
    assert.equal(await raw.text(), `* ${C1}: \n`);
    assert.deepEqual(await sq.toc('nothing'), { entries: [], version: 0 });
    await sq.update('notes', C1, 'x');
    assert.equal((await sq.select('notes', C1)).present, true);
    // Writing '' removes the scroll: SQ holds no empty scrolls.
    await sq.update('notes', C1, '');
    assert.deepEqual(await sq.select('notes', C1), { coordinate: C1, text: '', present: false, version: 2 });
    assert.deepEqual(await sq.toc('notes'), { entries: [], version: 2 });
  });

  it('refuses coordinates and names the server would misread before sending them', async (t) => {
    const host = await startHost(t, { args: ARGS });
    const { client: sq, sent } = counted(`http://127.0.0.1:${host.port}`);
    for (const c of ['1.1.1 /1.1.1/1.1.1', '1.1.1/1.1.1/1.1.1 2', '1.1.1', 'HOME', '', '1.1.1/1.1.1/1.1.1000', '0.1.1/1.1.1/1.1.1']) {
      await assert.rejects(sq.update('notes', c, 'x'), (e: unknown) => e instanceof SqBadRequestError && e.status === 400, c);
      await assert.rejects(sq.select('notes', c), SqBadRequestError);
    }
    await assert.rejects(sq.select('notes', Coordinate.of([1, 1, 1, 1, 1, 1, 1, 1, 1000])), /scroll is 1000, outside 1\.\.999/);
    await assert.rejects(sq.select('../etc', C1), /Invalid phext name/);
    assert.throws(() => sq.watch({ c: '1 2' }), SqBadRequestError);
    assert.equal(sent(), 0);
  });

  it('throws typed errors with the status and the server line', async (t) => {
    const host = await startHost(t, { args: [...ARGS, '--max-body', '1K'] });
    const url = `http://127.0.0.1:${host.port}`;
    const sq = new SqClient({ url, token: KEY });
    await assert.rejects(new SqClient({ url, token: 'wrong-key-0123456789' }).version(), (e: unknown) => {
      assert.ok(e instanceof SqUnauthorizedError);
      assert.equal(e.status, 401);
      assert.equal(e.code, 'unauthorized');
      assert.equal(e.message, 'Unauthorized');
      return true;
    });
    await assert.rejects(sq.update('notes', C1, 'x'.repeat(2000)), (e: unknown) => e instanceof SqTooLargeError && e.code === 'too-large');
    const { version } = await sq.update('notes', C1, 'v1');
    await sq.update('notes', C1, 'v2', { ifVersion: version });
    await assert.rejects(sq.update('notes', C1, 'v3', { ifVersion: version }), (e: unknown) => {
      assert.ok(e instanceof SqVersionConflictError);
      assert.equal(e.status, 412);
      assert.equal(e.current, version + 1);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    await assert.rejects(sq.delete('notes', C1, { ifVersion: version }), SqVersionConflictError);
    assert.equal((await sq.select('notes', C1)).text, 'v2');
    await assert.rejects(new SqClient({ url: 'http://127.0.0.1:1', token: KEY }).version(), (e: unknown) => {
      return e instanceof Error && 'code' in e && e.code === 'network';
    });
  });

  it('watch: changes, a reset, and a resume across a server restart with no gap and no duplicate', async (t) => {
    // No idle checkpoint: the restarted host still holds the changes in its log.
    const hostArgs = [...ARGS, '--checkpoint-idle-ms', '600000'];
    const first = await startHost(t, { args: hostArgs });
    const { port, dataDir } = first;
    const sq = new SqClient({ url: `http://127.0.0.1:${port}`, token: KEY });
    const coord = (i: number) => `1.1.1/1.1.1/1.1.${i}`;
    await sq.update('notes', coord(1), 'a');
    const seen: WatchEvent[] = [];
    const retries: unknown[] = [];
    const stop = new AbortController();
    const feed = sq.watch({
      p: 'notes',
      since: 0,
      text: true,
      signal: stop.signal,
      retryMs: 50,
      maxRetryMs: 200,
      onRetry: (r) => retries.push(r),
    });
    const consuming = (async () => {
      for await (const event of feed) seen.push(event);
    })();
    await waitFor(
      () => seen.length === 1,
      20_000,
      () => 'the replayed write',
    );
    for (let i = 2; i <= 5; i++) await sq.update('notes', coord(i), 'b'.repeat(i));
    await waitFor(
      () => seen.length === 5,
      20_000,
      () => `the writes before the restart: ${JSON.stringify(seen)}`,
    );
    await first.kill();
    await waitFor(
      () => retries.length > 0,
      20_000,
      () => 'the client did not notice the restart',
    );
    let second: SqProcess | undefined;
    t.after(() => second?.kill());
    second = await startSq(['host', String(port), '--bind', '127.0.0.1', '--data-dir', dataDir, ...hostArgs], { env: { SQ_KEY: '' } });
    for (let i = 6; i <= 9; i++) await sq.update('notes', coord(i), 'c');
    await waitFor(
      () => seen.length === 9,
      20_000,
      () => `the writes after the restart: ${JSON.stringify(seen)}`,
    );
    assert.deepEqual(
      seen.map((e) => (e.type === 'change' ? `${e.id} ${e.version} ${e.kind} ${e.coord} ${e.text}` : e.type)),
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `${i} ${i} insert ${coord(i)} ${i === 1 ? 'a' : i <= 5 ? 'b'.repeat(i) : 'c'}`),
    );
    // Another program's edit of the file reaches the stream as a reset.
    writeFileSync(`${dataDir}/notes.phext`, 'edited');
    await waitFor(
      () => seen.length === 10,
      20_000,
      () => `the reset: ${JSON.stringify(seen.slice(9))}`,
    );
    const reset = seen[9];
    assert.equal(reset?.type, 'reset');
    assert.equal(reset.p, 'notes');
    assert.match(reset.checksum ?? '', /^[0-9a-f]{32}$/);
    stop.abort();
    await consuming;
    await second.stop();
  });

  it('watch: a version ahead of the phext starts with a reset; a refused token throws', async (t) => {
    const host = await startHost(t, { args: ARGS });
    const url = `http://127.0.0.1:${host.port}`;
    const sq = new SqClient({ url, token: KEY });
    await sq.update('notes', C1, 'x');
    for await (const event of sq.watch({ p: 'notes', since: 99 })) {
      assert.deepEqual({ ...event, checksum: undefined }, { type: 'reset', id: '1', p: 'notes', version: 1, checksum: undefined });
      break;
    }
    const refused = new SqClient({ url, token: 'wrong-key-0123456789' }).watch({ p: 'notes' });
    await assert.rejects(refused.next(), SqUnauthorizedError);
  });
});
