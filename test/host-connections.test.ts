// `sq host` connections under abuse and odd clients: aborted uploads give their slots back,
// bodies are bounded across connections and never read before the caller is known, half-closed
// and Host-less clients get their answers, and the text log cannot be forged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VERSION } from '../src/version.js';
import { expectedFiles } from '../src/testing/change-log-files.js';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { request } from '../src/testing/http-client.js';
import { parsePrometheus, valueOf } from '../src/testing/prometheus.js';
import { RawConnection, responsesIn } from '../src/testing/raw-connection.js';

const lines = (text: string, pattern: RegExp): number => text.split('\n').filter((line) => pattern.test(line)).length;

/** Waits for one more request log line matching `pattern` than there were when it was called. */
function nextLogLine(host: HostProcess, pattern: RegExp): Promise<string> {
  const before = lines(host.stderr(), pattern);
  return host.waitForStderr((text) => lines(text, pattern) > before);
}

async function gauges(host: HostProcess): Promise<{ connections: number; bodyBytes: number }> {
  const reply = await host.call('GET', '/metrics');
  assert.equal(reply.status, 200, reply.text);
  const metrics = parsePrometheus(reply.text);
  return { connections: valueOf(metrics, 'sq_http_open_connections'), bodyBytes: valueOf(metrics, 'sq_http_body_bytes_held') };
}

test('sq host --max-connections 2: aborted uploads give their connection slots back', async (t) => {
  const host = await startHost(t, { args: ['--max-connections', '2'] });
  const ABORTED = / POST \/api\/v2\/insert p=up tenant=default 400 /;
  const kinds = ['headers only', 'part of the body', 'Expect: 100-continue'] as const;
  for (let i = 0; i < 3 * 2; i++) {
    const kind = kinds[i % 3]!;
    const upload = await RawConnection.open(host.port);
    const expect = kind === 'Expect: 100-continue' ? 'Expect: 100-continue\r\n' : '';
    upload.write(
      `POST /api/v2/insert?p=up HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n${expect}\r\n${kind === 'part of the body' ? 'x' : ''}`,
    );
    if (expect) await upload.waitFor((text) => text.startsWith('HTTP/1.1 100 Continue\r\n'), kind);
    const logged = nextLogLine(host, ABORTED);
    upload.destroy();
    await logged; // the server has seen the request and its abort
  }
  const version = await host.call('GET', '/api/v2/version');
  assert.deepEqual([version.status, version.text], [200, VERSION]);
  // The scrape's own connection is the only one left open.
  assert.deepEqual(await gauges(host), { connections: 1, bodyBytes: 0 });
});

test('sq host --key: a stranger gets 401 before sending a body, and the connection closes', async (t) => {
  const host = await startHost(t, { args: ['--key', 'sesame'] });
  for (const expect of ['', 'Expect: 100-continue\r\n']) {
    const stranger = await RawConnection.open(host.port);
    t.after(() => stranger.destroy());
    // 64 MiB announced, not one byte of it sent: only an answer that does not wait for it arrives.
    stranger.write(
      `POST /api/v2/insert?p=big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nContent-Length: 67108864\r\n${expect}\r\n`,
    );
    await stranger.closedByServer(`401 ${expect || 'without Expect'}`);
    const answers = responsesIn(stranger.text());
    assert.deepEqual(
      answers.map((a) => [a.status, a.body]),
      [[401, 'Unauthorized']],
      stranger.text(),
    );
    assert.match(answers[0]!.head, /\r\nconnection: close(\r\n|$)/i);
    assert.match(answers[0]!.head, /\r\naccess-control-allow-origin: \*/i);
  }
  assert.deepEqual(host.files(), []);
  const ok = await host.call('GET', '/api/v2/version', undefined, { Authorization: 'Bearer sesame' });
  assert.equal(ok.status, 200);
});

test('sq host --max-inflight-body 100K: bodies beyond it get 503 + Retry-After; finished and aborted ones give their bytes back', async (t) => {
  const host = await startHost(t, { args: ['--max-inflight-body', '100K', '--max-body', '1M'] });
  const K = 1024;
  const post = (p: string, body: Buffer | Buffer[]) => request(host.port, { method: 'POST', path: `/api/v2/insert?p=${p}`, body });

  // 80K reserved by a declared length: "100 Continue" comes once they are held.
  const held = await RawConnection.open(host.port);
  t.after(() => held.destroy());
  held.write(`POST /api/v2/insert?p=held HTTP/1.1\r\nHost: x\r\nContent-Length: ${80 * K}\r\nExpect: 100-continue\r\n\r\n`);
  await held.waitFor((text) => text.startsWith('HTTP/1.1 100 Continue\r\n'), 'the held upload is invited');

  const small = await post('small', Buffer.alloc(10 * K, 0x61));
  assert.deepEqual([small.status, small.body.toString()], [200, `Inserted ${10 * K} bytes`], 'within what is left');
  const declared = await post('declared', Buffer.alloc(40 * K, 0x61));
  assert.equal(declared.status, 503);
  assert.equal(declared.headers['retry-after'], '1');
  assert.match(
    declared.body.toString(),
    /^Service Unavailable: too many request bodies in progress \(--max-inflight-body\), retry shortly$/,
  );
  // A chunked body is counted as it arrives: its second chunk passes the bound.
  const chunked = await post('chunked', [Buffer.alloc(15 * K, 0x62), Buffer.alloc(15 * K, 0x62)]);
  assert.deepEqual([chunked.status, chunked.headers['retry-after']], [503, '1']);
  // Only small was written: its change log, and its file once a checkpoint wrote it.
  assert.deepEqual(host.files(), expectedFiles(host.files(), ['small']));

  // An aborted upload gives its 80K back.
  const aborted = nextLogLine(host, / POST \/api\/v2\/insert p=held tenant=default 400 /);
  held.destroy();
  await aborted;
  const retried = await post('declared', Buffer.alloc(40 * K, 0x61));
  assert.deepEqual([retried.status, retried.body.toString()], [200, `Inserted ${40 * K} bytes`]);
  // Finished uploads give theirs back too: 90K twice in a row fits only then.
  for (const p of ['big1', 'big2']) assert.equal((await post(p, Buffer.alloc(90 * K, 0x63))).status, 200, p);
  assert.equal((await post('chunked', [Buffer.alloc(45 * K, 0x62), Buffer.alloc(45 * K, 0x62)])).status, 200);
  assert.equal((await gauges(host)).bodyBytes, 0);
});

test('sq host: a half-closed connection gets every answer before it is closed', async (t) => {
  const host = await startHost(t);
  const requests: [string, string, string][] = [
    ['GET insert', 'GET /api/v2/insert?p=half&c=1.1.1/1.1.1/1.1.1&s=get', 'Inserted 3 bytes'],
    ['POST insert', 'POST /api/v2/insert?p=half&c=1.1.1/1.1.1/1.1.2 HTTP/1.x\r\nContent-Length: 4\r\n\r\npost', 'Inserted 4 bytes'],
  ];
  for (const version of ['1.1', '1.0']) {
    for (const [what, text, answer] of requests) {
      const raw = text.includes(' HTTP/1.x')
        ? text.replace('HTTP/1.x', `HTTP/${version}\r\nHost: x`)
        : `${text} HTTP/${version}\r\nHost: x\r\n\r\n`;
      const client = await RawConnection.open(host.port);
      t.after(() => client.destroy());
      client.write(raw);
      client.socket.end(); // shutdown(SHUT_WR): the request is all we send
      await client.closedByServer(`${what} HTTP/${version}`);
      assert.deepEqual(
        responsesIn(client.text()).map((r) => [r.status, r.body]),
        [[200, answer]],
        `${what} HTTP/${version}`,
      );
    }
  }
  // Two pipelined requests, then the half-close: both answered, in order.
  const client = await RawConnection.open(host.port);
  client.write('GET /api/v2/insert?p=pipe&s=a HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v2/select?p=pipe HTTP/1.1\r\nHost: x\r\n\r\n');
  client.socket.end();
  await client.closedByServer('pipelined');
  assert.deepEqual(
    responsesIn(client.text()).map((r) => [r.status, r.body]),
    [
      [200, 'Inserted 1 bytes'],
      [200, 'a'],
    ],
  );
  // Each write applied once per request: nothing lost, nothing repeated.
  assert.equal((await host.call('GET', '/api/v2/select?p=half&c=1.1.1/1.1.1/1.1.1')).text, 'getget');
  assert.equal((await host.call('GET', '/api/v2/select?p=half&c=1.1.1/1.1.1/1.1.2')).text, 'postpost');
});

test('sq host: HTTP/1.1 without Host is answered; an uninvited body closes the connection', async (t) => {
  const host = await startHost(t);
  const client = await RawConnection.open(host.port);
  t.after(() => client.destroy());
  client.write('GET /api/v2/version HTTP/1.1\r\n\r\n');
  const [answer] = responsesIn(await client.waitFor((text) => responsesIn(text).length > 0, 'answer without Host'));
  assert.ok(answer);
  assert.deepEqual([answer.status, answer.body], [200, VERSION]);
  assert.match(answer.head, /\r\naccess-control-allow-origin: \*/i);

  // A body announced with "Expect: 100-continue" but refused before it is read: the client is
  // not invited, and the connection closes (node's rule) instead of waiting for a body that may
  // never come.
  const refused = await RawConnection.open(host.port);
  t.after(() => refused.destroy());
  refused.write('POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
  await refused.closedByServer('405 to an uninvited body');
  assert.deepEqual(
    responsesIn(refused.text()).map((r) => r.status),
    [405],
    refused.text(),
  );
});

test('sq host: control characters and backslashes in logged fields are escaped, one line per request', async (t) => {
  const host = await startHost(t);
  // A tenant-chosen `p` that would otherwise end the line and forge one of its own.
  const forged = 'x\n2026-01-01T00:00:00.000Z 10.0.0.1 GET /api/v2/delete p=victim tenant=root 200 0B 0.1ms';
  const logged = nextLogLine(host, /GET \/api\/v2\/select /);
  await host.call('GET', `/api/v2/select?p=${encodeURIComponent(forged)}`);
  await logged;
  await host.call('GET', `/api/v2/select?p=${encodeURIComponent('a\\n\r\t\x1b[31m\u2028b c')}`);
  const log = await host.waitForStderr((text) => lines(text, /GET \/api\/v2\/select /) >= 2);
  const mine = log.split('\n').filter((line) => line.includes('/api/v2/'));
  assert.equal(mine.length, 2, log);
  assert.ok(!log.split('\n').some((line) => line.startsWith('2026-01-01T00:00:00.000Z')), 'a forged line reached the log');
  const [first = '', second = ''] = mine;
  assert.ok(first.includes(' p=x\\n2026-01-01T00:00:00.000Z\\x2010.0.0.1\\x20GET'), first);
  assert.ok(second.includes(' p=a\\\\n\\r\\t\\x1b[31m\\u2028b\\x20c '), second);
});
