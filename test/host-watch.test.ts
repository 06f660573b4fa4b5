// The change feed (`GET /api/v2/watch`) against a real `sq host`, through HTTP on an ephemeral port.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { openSse, type SseEvent, type SseStream, type ChangeData } from '../src/testing/sse-client.js';
import { checkResumes } from '../src/testing/resume-check.js';
import { api } from '../src/testing/sq-api.js';
import { waitFor } from '../src/testing/wait.js';

const KEY = 'watch-key-0123456789';

const changes = (events: readonly SseEvent[]): ChangeData[] =>
  events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data) as ChangeData);

describe('sq host: /api/v2/watch', () => {
  let host: HostProcess;
  const streams: SseStream[] = [];
  /** `null`: no token at all. */
  const watch = async (query: string, headers: Record<string, string> = {}, token: string | null = KEY): Promise<SseStream> => {
    const s = await openSse(
      host.port,
      `/api/v2/watch${query}`,
      token === null ? headers : { Authorization: `Bearer ${token}`, ...headers },
    );
    streams.push(s);
    return s;
  };
  const write = async (p: string, c: string, text: string): Promise<number> => {
    const reply =
      text === '' ? await api(host.port, KEY, 'delete', { p, c }) : await api(host.port, KEY, 'update', { p, c }, { body: text });
    assert.equal(reply.status, 200, reply.text);
    return Number(JSON.parse(String(reply.headers.etag)));
  };
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const s of streams) s.close();
    for (const cleanup of cleanups) await cleanup();
  });

  before(async () => {
    host = await startHost(
      { after: (fn) => cleanups.push(fn) },
      {
        // Checkpoints often (a few KB of log, or 5 ms idle): resuming replays folded records too.
        args: ['--key', KEY, '--watch-heartbeat-ms', '50', '--checkpoint-min', '4K', '--checkpoint-idle-ms', '5'],
      },
    );
  });

  it('refuses a stranger (401) and bad parameters (400, 403, 405) with one line', async () => {
    for (const token of [null, 'wrong']) {
      const s = await watch('?p=notes', {}, token);
      assert.equal(s.status, 401);
    }
    const refused: Array<[string, number, RegExp, Record<string, string>?]> = [
      ['?p=notes&c=1.1.1.1', 400, /^Invalid coordinate prefix '1\.1\.1\.1' for c: part 4 follows '\/'$/],
      ['?p=notes&c=0', 400, /^Invalid coordinate prefix '0' for c: parts are 1\.\.999$/],
      ['?p=notes&c=2.x', 400, /^Invalid coordinate prefix/],
      ['?p=notes&c=1.1.1/1.1.1/1.1.1/1', 400, /a coordinate has 9 parts/],
      ['?p=notes&since=x', 400, /^Invalid since: a version/],
      ['?p=notes&since=-1', 400, /^Invalid since/],
      ['?p=notes', 400, /^Invalid Last-Event-ID/, { 'Last-Event-ID': 'notes:3' }],
      ['?since=3', 400, /^since needs p/],
      ['?p=notes&text=yes', 400, /^Invalid value for text/],
      ['?p=notes&token=abc', 400, /^Unknown parameter 'token' for watch/],
      ['?p=../etc', 403, /^Forbidden phext name/],
    ];
    for (const [query, status, message, headers] of refused) {
      const s = await watch(query, headers);
      await s.closed(query);
      assert.equal(s.status, status, `${query}: ${s.body}`);
      assert.match(s.body, message, query);
      assert.ok(!s.body.includes('\n'), query);
    }
    const post = await api(host.port, KEY, 'watch', { p: 'notes' }, { method: 'POST', body: '' });
    assert.equal(post.status, 405);
    // A page on another origin resumes with fetch: its preflight must allow the header.
    const preflight = await api(host.port, undefined, 'watch', { p: 'notes' }, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.match(String(preflight.headers['access-control-allow-headers']), /\bLast-Event-ID\b/);
  });

  it('streams each committed change once, with a heartbeat while idle, the text only when asked', async () => {
    const plain = await watch('?p=first');
    const texts = await watch('?p=first&text=1');
    assert.equal(plain.status, 200);
    assert.match(String(plain.headers['content-type']), /^text\/event-stream/);
    assert.equal(plain.headers['cache-control'], 'no-cache, no-transform');
    const v1 = await write('first', '1.1.1/1.1.1/1.1.1', 'héllo');
    const v2 = await write('first', '1.1.1/1.1.1/1.1.2', 'world');
    const v3 = await write('first', '1.1.1/1.1.1/1.1.1', '');
    await texts.until((e) => changes(e).length === 3, 'three changes');
    await plain.until((e) => changes(e).length === 3, 'three changes');
    assert.deepEqual(
      changes(plain.events).map(({ checksum: _, ...c }) => c),
      [
        { p: 'first', version: v1, coord: '1.1.1/1.1.1/1.1.1', kind: 'insert', bytes: 6 },
        { p: 'first', version: v2, coord: '1.1.1/1.1.1/1.1.2', kind: 'insert', bytes: 5 },
        { p: 'first', version: v3, coord: '1.1.1/1.1.1/1.1.1', kind: 'delete', bytes: 0 },
      ],
    );
    assert.deepEqual(
      plain.events.map((e) => e.id),
      [v1, v2, v3].map(String),
    );
    assert.deepEqual(
      changes(texts.events).map((c) => c.text),
      ['héllo', 'world', ''],
    );
    const checksum = await api(host.port, KEY, 'checksum', { p: 'first' });
    assert.ok(
      changes(plain.events).every((c) => /^[0-9a-f]{32}$/.test(c.checksum)),
      checksum.text,
    );
    const seen = plain.comments;
    await plain.until(() => plain.comments >= seen + 2, 'heartbeats');
  });

  it('a branch (c=) shows only the scrolls under it; a whole coordinate, one scroll', async () => {
    const library = await watch('?p=branches&c=2');
    const series = await watch('?p=branches&c=2.1.1');
    const scroll = await watch('?p=branches&c=2.1.1;1.1.1;1.1.2');
    const coords = [
      '1.1.1/1.1.1/1.1.1',
      '2.1.1/1.1.1/1.1.1',
      '2.1.1/1.1.1/1.1.2',
      '2.1.2/1.1.1/1.1.1',
      '2.1.1/3.1.1/1.1.1',
      '3.1.1/1.1.1/1.1.1',
    ];
    for (const c of coords) await write('branches', c, `at ${c}`);
    // In every branch: once a stream has it, it has had everything before it.
    const last = await write('branches', '2.1.1/1.1.1/1.1.2', 'the end');
    const coordsOf = async (s: SseStream) => {
      await s.until((e) => changes(e).at(-1)?.version === last, 'the last change');
      return changes(s.events).map((c) => c.coord);
    };
    const end = '2.1.1/1.1.1/1.1.2';
    assert.deepEqual(await coordsOf(library), [...coords.filter((c) => c.startsWith('2.')), end]);
    assert.deepEqual(await coordsOf(series), ['2.1.1/1.1.1/1.1.1', '2.1.1/1.1.1/1.1.2', '2.1.1/3.1.1/1.1.1', end]);
    assert.deepEqual(await coordsOf(scroll), ['2.1.1/1.1.1/1.1.2', end]);
  });

  it('resumes at random points from Last-Event-ID: every change once, versions increasing, the writers final state', async () => {
    // Small checkpoints: the replays come from folded records as well as from the log's tail.
    await checkResumes({ port: host.port, key: KEY, p: 'live', workers: 4, perWorker: 120, maxTake: 40 });
  });

  it('resuming from a version the log no longer holds sends one reset with the version and checksum, then goes on live', async () => {
    await write('edited', '1.1.1/1.1.1/1.1.1', 'one');
    await write('edited', '1.1.1/1.1.1/1.1.2', 'two');
    // Another program saves the file (once the checkpoint has written it: an edit racing our
    // rename is a store matter): the version moves on, with no record of what changed.
    await waitFor(
      () => existsSync(host.file('edited')) && readFileSync(host.file('edited'), 'utf8').includes('two'),
      10_000,
      () => 'the checkpoint',
    );
    writeFileSync(host.file('edited'), 'saved elsewhere');
    // Until the checkpoint is wholly in place the store serves what it wrote; ask until it has read the edit.
    let moved = 0;
    for (let i = 0; moved <= 2; i++) {
      moved = Number(JSON.parse(String((await api(host.port, KEY, 'checksum', { p: 'edited' })).headers.etag)));
      assert.ok(i < 1_000, 'the edit was never seen');
    }
    const s = await watch('?p=edited&since=1');
    await s.until((e) => e.length === 1, 'reset');
    const checksum = await api(host.port, KEY, 'checksum', { p: 'edited' });
    const version = Number(JSON.parse(String(checksum.headers.etag)));
    assert.deepEqual(s.events, [
      { event: 'reset', id: String(version), data: JSON.stringify({ p: 'edited', version, checksum: checksum.text }) },
    ]);
    const next = await write('edited', '1.1.1/1.1.1/1.1.3', 'three');
    await s.until((e) => e.length === 2, 'live after the reset');
    assert.deepEqual(
      changes(s.events).map((c) => [c.version, c.coord]),
      [[next, '1.1.1/1.1.1/1.1.3']],
    );
    // A version the phext never reached: the client's copy is of something else.
    const ahead = await watch('?p=edited', { 'Last-Event-ID': String(next + 10) });
    await ahead.until((e) => e.length === 1, 'reset');
    assert.equal(ahead.events[0]!.event, 'reset');
    assert.equal((JSON.parse(ahead.events[0]!.data) as { version: number }).version, next);
  });

  it("another program's save reaches live streams as one reset, without anyone asking for the phext", async () => {
    const v1 = await write('outside', '1.1.1/1.1.1/1.1.1', 'ours');
    await waitFor(
      () => existsSync(host.file('outside')) && readFileSync(host.file('outside'), 'utf8') === 'ours',
      10_000,
      () => 'the checkpoint',
    );
    const one = await watch('?p=outside');
    const wide = await watch('');
    writeFileSync(host.file('outside'), 'theirs\x17more');
    await one.until((e) => e.length === 1, 'the reset');
    await wide.until((e) => e.some((x) => x.event === 'reset'), 'the reset');
    const checksum = await api(host.port, KEY, 'checksum', { p: 'outside' });
    const version = Number(JSON.parse(String(checksum.headers.etag)));
    assert.ok(version > v1, `version ${version} after ${v1}`);
    const data = JSON.stringify({ p: 'outside', version, checksum: checksum.text });
    assert.deepEqual(one.events, [{ event: 'reset', id: String(version), data }]);
    assert.deepEqual(
      wide.events.filter((e) => e.event === 'reset'),
      [{ event: 'reset', id: `outside:${version}`, data }],
    );
    // The stream goes on: our next write is a change after the reset.
    const next = await write('outside', '1.1.1/1.1.1/1.1.2', 'after');
    await one.until((e) => e.length === 2, 'the next change');
    assert.deepEqual(
      changes(one.events).map((c) => c.version),
      [next],
    );
  });

  it('without p: every phext of the tenant, ids naming the phext; resuming says only that anything may have changed', async () => {
    const wide = await watch('');
    const a = await write('wide-a', '1.1.1/1.1.1/1.1.1', 'a');
    const b = await write('wide-b', '1.1.1/1.1.1/1.1.1', 'b');
    await wide.until((e) => changes(e).some((c) => c.p === 'wide-b'), 'both phexts');
    const mine = wide.events.filter((e) => e.event === 'change' && (JSON.parse(e.data) as ChangeData).p.startsWith('wide-'));
    assert.deepEqual(
      mine.map((e) => e.id),
      [`wide-a:${a}`, `wide-b:${b}`],
    );
    const resumed = await watch('', { 'Last-Event-ID': `wide-b:${b}` });
    await resumed.until((e) => e.length === 1, 'reset');
    assert.deepEqual(resumed.events, [{ event: 'reset', id: undefined, data: '{"p":null}' }]);
  });
});
