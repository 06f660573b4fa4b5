// The change feed through `sq route`: a real router in front of a real `sq host --key`, as child processes.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeRouterConfig } from '../src/testing/router-file.js';
import { openSse, type SseStream } from '../src/testing/sse-client.js';
import { api } from '../src/testing/sq-api.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { newToken } from '../src/testing/tenants-file.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { waitFor } from '../src/testing/wait.js';

describe('sq route: /api/v2/watch', () => {
  const dir = tempDir({ after });
  const token = newToken();
  const dataDir = join(dir, 'a');
  let backend: SqProcess;
  let router: SqProcess;
  const streams: SseStream[] = [];
  after(async () => {
    for (const s of streams) s.close();
    await router?.stop();
    await backend?.stop();
  });

  before(async () => {
    mkdirSync(dataDir, { recursive: true });
    // Heartbeats every 200 ms mark time passing without a clock in the test.
    const hostArgs = ['--key', token, '--data-dir', dataDir, '--log-format', 'off', '--watch-heartbeat-ms', '200'];
    backend = await startSq(['host', '0', '--bind', '127.0.0.1', ...hostArgs]);
    const config = writeRouterConfig(dir, [{ token, port: backend.port, data_dir: dataDir }]);
    // A backend timeout shorter than the silences between events: a stream is not a silent backend.
    router = await startSq(['route', config, '0', '--bind', '127.0.0.1', '--backend-timeout-ms', '100']);
  });

  it('streams each event as it happens, while the stream stays open', async () => {
    const stream = await openSse(router.port, '/api/v2/watch?p=notes', { Authorization: `Bearer ${token}` });
    streams.push(stream);
    assert.equal(stream.status, 200, stream.body);
    assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
    for (let i = 1; i <= 3; i++) {
      const reply = await api(router.port, token, 'insert', { p: 'notes', c: `1.1.1/1.1.1/1.1.${i}`, s: 'hello' });
      assert.equal(reply.status, 200, reply.text);
      await stream.until((events) => events.length === i, `event ${i} through the router`);
      assert.equal(stream.ended, false, 'the stream is still open');
      // Two heartbeats more: the stream stayed silent longer than the backend timeout.
      const beats = stream.comments;
      await waitFor(
        () => stream.comments >= beats + 2 || stream.ended,
        20_000,
        () => 'no heartbeats through the router',
      );
      assert.equal(stream.ended, false, 'the stream is still open');
    }
    const versions = stream.events.map((e) => [e.event, e.id, (JSON.parse(e.data) as { coord: string }).coord]);
    assert.deepEqual(versions, [
      ['change', '1', '1.1.1/1.1.1/1.1.1'],
      ['change', '2', '1.1.1/1.1.1/1.1.2'],
      ['change', '3', '1.1.1/1.1.1/1.1.3'],
    ]);
  });

  it('passes Last-Event-ID through, so a resume replays what was missed', async () => {
    const stream = await openSse(router.port, '/api/v2/watch?p=notes', { Authorization: `Bearer ${token}`, 'Last-Event-ID': '1' });
    streams.push(stream);
    await stream.until((events) => events.length === 2, 'the replay through the router');
    assert.deepEqual(
      stream.events.map((e) => e.id),
      ['2', '3'],
    );
    assert.equal(stream.ended, false);
  });

  it('refuses a bad token at the router', async () => {
    const stream = await openSse(router.port, '/api/v2/watch?p=notes', { Authorization: `Bearer ${newToken()}` });
    streams.push(stream);
    assert.equal(stream.status, 401);
  });

  it('ends its streams when it shuts down, instead of waiting for them', async () => {
    // The default backend timeout: a router that waited for its streams would drain for 35 s
    // and be killed by stop() after 10.
    const config = writeRouterConfig(dir, [{ token, port: backend.port, data_dir: dataDir }]);
    const second = await startSq(['route', config, '0', '--bind', '127.0.0.1', '--log-format', 'off']);
    const stream = await openSse(second.port, '/api/v2/watch?p=notes', { Authorization: `Bearer ${token}` });
    streams.push(stream);
    assert.equal(stream.status, 200);
    await stream.until((events) => events.length === 0 && stream.comments >= 1, 'the stream preamble');
    assert.equal(await second.stop(), 0);
    await stream.closed('the stream after the router stopped');
  });
});
