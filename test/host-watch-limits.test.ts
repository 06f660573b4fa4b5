// The change feed's bounds against a real `sq host`: how many streams, how far behind, and shutdown.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { openSse, type SseStream } from '../src/testing/sse-client.js';
import { api, call } from '../src/testing/sq-api.js';

describe('sq host: /api/v2/watch limits', () => {
  let host: HostProcess;
  const streams: SseStream[] = [];
  const cleanups: Array<() => unknown> = [];
  const watch = async (query: string): Promise<SseStream> => {
    const s = await openSse(host.port, `/api/v2/watch${query}`);
    streams.push(s);
    return s;
  };
  /** A stream once the tenant's slot is free: a hang-up reaches the server a little later. */
  const watchWhenFree = async (query: string): Promise<SseStream> => {
    for (let i = 0; ; i++) {
      const s = await watch(query);
      if (s.status === 200) return s;
      await s.closed('refusal');
      assert.equal(s.status, 503, s.body);
      assert.ok(i < 2_000, 'the slot never came back');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  after(async () => {
    for (const s of streams) s.close();
    for (const cleanup of cleanups) await cleanup();
  });

  before(async () => {
    host = await startHost(
      { after: (fn) => cleanups.push(fn) },
      { args: ['--watch-max-streams', '2', '--watch-max-per-tenant', '1', '--watch-buffer', '64K'] },
    );
  });

  it('beyond the limit: 503 with Retry-After and one line; a slot is free again once its stream is gone', async () => {
    const first = await watch('?p=notes');
    assert.equal(first.status, 200);
    const metrics = await call(host.port, '/metrics');
    assert.match(metrics.text, /^sq_watch_streams 1$/m);
    const refused = await watch('?p=other');
    await refused.closed('refusal');
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '5');
    assert.equal(refused.body, 'Service Unavailable: too many open watch streams for this tenant (1)');
    first.close();
    (await watchWhenFree('?p=notes')).close();
  });

  it('a consumer that does not read is cut off: its unsent events are dropped, it gets overflow, and leaves its slot', async () => {
    const slow = await watch('?p=flood&text=1');
    assert.equal(slow.status, 200);
    slow.pause();
    const big = 'x'.repeat(64 * 1024);
    // Write until the slow stream has left the hub: its slot (the tenant's only one) is free.
    let writes = 0;
    for (;;) {
      const reply = await api(
        host.port,
        undefined,
        'update',
        { p: 'flood', c: `1.1.1/1.1.1/1.1.${1 + (writes % 999)}` },
        { body: `${writes} ${big}` },
      );
      assert.equal(reply.status, 200, reply.text);
      writes++;
      const probe = await watch('?p=flood');
      if (probe.status === 200) {
        probe.close();
        break;
      }
      await probe.closed('refusal');
      assert.equal(probe.status, 503, probe.body);
      assert.ok(writes < 2_000, 'never cut off');
    }
    // Far more was written than the stream could hold: what the socket held arrives, then the end.
    slow.resume();
    await slow.closed('the cut stream');
    const last = slow.events.at(-1);
    assert.deepEqual(last, { event: 'overflow', id: undefined, data: JSON.stringify({ limit: 64 * 1024 }) });
    const versions = slow.events.filter((e) => e.event === 'change').map((e) => Number(e.id));
    assert.ok(versions.length < writes, `${versions.length} of ${writes} changes`);
    assert.deepEqual(
      versions,
      versions.map((_, i) => i + 1),
      'what it got has no gap: it resumes from its last id',
    );
  });

  it('a replay larger than the buffer is made as the client reads it, not cut off', async () => {
    const text = 'y'.repeat(20 * 1024);
    for (let i = 1; i <= 10; i++) {
      const reply = await api(host.port, undefined, 'update', { p: 'big', c: `1.1.1/1.1.1/1.1.${i}` }, { body: `${i} ${text}` });
      assert.equal(reply.status, 200, reply.text);
    }
    const s = await watchWhenFree('?p=big&text=1&since=0');
    await s.until((e) => e.filter((x) => x.event === 'change').length === 10, 'the replay');
    assert.deepEqual(
      s.events.map((e) => e.id),
      ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'],
    );
    s.close();
  });

  it('open streams do not hold a shutdown: they end, and the server exits at once', async () => {
    const open = await watchWhenFree('?p=notes');
    const exit = await host.stop();
    assert.equal(exit, 0);
    await open.closed('stream at shutdown');
    assert.equal(open.events.length, 0);
  });
});
