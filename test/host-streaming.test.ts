// Large answers of a real `sq host` stream at the client's pace: byte-identical to the whole
// answers, never produced much ahead of what the client takes, and stopped when it goes away.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { test } from 'node:test';
import { parse, serialize, toc } from '../src/phext/index.js';
import { startHost } from '../src/testing/host-process.js';
import { parsePrometheus, valueOf } from '../src/testing/prometheus.js';

const DELIMITERS = ['\x17', '\x17', '\x17', '\x18', '\x19', '\x01'];

/** About `megabytes` MB of phext: scrolls of ~4 KB with some non-ASCII text, breaks of several levels. */
function largePhext(megabytes: number): Buffer {
  const pieces: string[] = [];
  for (let i = 0; i < megabytes * 256; i++) {
    pieces.push(`${i} "é" 日本 🙂\n${'abcdefgh'.repeat(500)}`, DELIMITERS[i % DELIMITERS.length]!);
  }
  return Buffer.from(pieces.join(''), 'utf8');
}

async function sentBytes(port: number): Promise<{ sent: number; exports: number }> {
  const text = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (d: string) => (body += d))
          .on('end', () => resolve(body));
      })
      .on('error', reject);
  });
  const metrics = parsePrometheus(text);
  const exports = metrics.samples
    .filter((s) => s.name === 'sq_requests_total' && s.labels.command === 'json-export')
    .reduce((sum, s) => sum + s.value, 0);
  return { sent: valueOf(metrics, 'sq_http_sent_bytes_total'), exports };
}

test('sq host streams large answers', async (t) => {
  const host = await startHost(t, { args: ['--cache-mb', '1'] });
  const bytes = largePhext(24);
  writeFileSync(host.file('big'), bytes);
  const phext = parse(bytes);
  const json = Buffer.from(JSON.stringify([...phext.scrolls()].map((s) => ({ coord: s.coordinate.toString(), scroll: s.text }))));

  await t.test('get, toc, json-export and delta are byte-identical to the whole answers, sent chunked', async () => {
    const expected: [string, Buffer][] = [
      ['get', bytes],
      ['toc', Buffer.from(toc(phext))],
      ['json-export', json],
      ['delta', serialize(phext)],
    ];
    for (const [command, whole] of expected) {
      const reply = await host.call('GET', `/api/v2/${command}?p=big`);
      assert.equal(reply.status, 200, command);
      assert.ok(reply.body.equals(whole), `${command}: ${reply.body.length} bytes, expected ${whole.length}`);
      if (command !== 'get') assert.equal(reply.headers['transfer-encoding'], 'chunked', command);
    }
    // A HEAD of a streamed answer produces nothing and says what GET would (chunked, no length).
    const head = await host.call('HEAD', '/api/v2/json-export?p=big');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], undefined);
    assert.equal((await host.call('HEAD', '/api/v2/get?p=big')).headers['content-length'], String(bytes.length));
  });

  await t.test('a client that reads slowly does not make the server produce the whole answer; one that leaves stops it', async () => {
    const before = await sentBytes(host.port);
    let taken = 0;
    const req = http.get({ host: '127.0.0.1', port: host.port, path: '/api/v2/json-export?p=big', agent: false });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    // Take the first chunk, then nothing: the server may only run ahead by what sockets buffer.
    await new Promise<void>((resolve) =>
      res.once('data', (d: Buffer) => {
        taken += d.length;
        res.pause();
        resolve();
      }),
    );
    const during = await sentBytes(host.port);
    const ahead = during.sent - before.sent - taken;
    assert.ok(ahead < json.length / 2, `sent ${during.sent - before.sent} of ${json.length} bytes to a client that took ${taken}`);
    // The client leaves: the request ends (logged and counted), having sent a part only.
    req.destroy();
    let after = await sentBytes(host.port);
    for (const deadline = Date.now() + 10_000; after.exports === before.exports; after = await sentBytes(host.port)) {
      if (Date.now() > deadline) throw new Error('the abandoned export never ended');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(after.sent - before.sent < json.length, 'an abandoned export was produced whole');
    assert.equal((await host.call('GET', '/health')).status, 200);
  });
});
