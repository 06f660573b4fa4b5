// `sq host` refuses bad requests (SQ-PROTOCOL B) with one line, and writes nothing when it does.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { durableBytes, durableText } from '../src/testing/durable-phext.js';
import { request } from '../src/testing/http-client.js';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { tempDir } from '../src/testing/temp-dir.js';

/** Every file under `dir`, relative to it. */
function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)))
    .sort();
}

async function refused(
  host: HostProcess,
  method: string,
  path: string,
  status: number,
  body?: string | Buffer,
  headers?: Record<string, string>,
): Promise<string> {
  const reply = await host.call(method, path, body, headers);
  assert.equal(reply.status, status, `${method} ${path} → ${reply.status} ${reply.text}`);
  assert.equal(reply.headers['access-control-allow-origin'], '*');
  assert.ok(reply.text.length > 0 && !reply.text.includes('\n'), `not one line: ${JSON.stringify(reply.text)}`);
  return reply.text;
}

test('sq host: exact routes, HEAD on reads, 405 with Allow', async (t) => {
  const host = await startHost(t);
  await host.call('GET', '/api/v2/update?p=h&s=hello+%C3%A9');

  await t.test('HEAD answers the headers of GET without a body', async () => {
    for (const command of ['select', 'toc', 'get', 'checksum', 'status', 'json-export', 'version', 'delta']) {
      const path = `/api/v2/${command}?p=h`;
      const get = await host.call('GET', path);
      const head = await host.call('HEAD', path);
      assert.equal(head.status, 200, command);
      assert.equal(head.body.length, 0, command);
      assert.equal(head.headers['content-length'], String(get.body.length), command);
      assert.ok(get.body.length > 0, command);
    }
  });

  await t.test('paths match exactly; anything else is 404', async () => {
    for (const path of [
      '/api/v2/selectfoo?p=h',
      '/api/v2/select/?p=h',
      '/api/v2/SELECT?p=h',
      '/api/v2/',
      '/api/v1/select?p=h',
      '/console/',
      '/index.html',
      '/api/v2/../v2/select?p=h',
      '/api/v2/constructor',
      '/api/v2/__proto__',
    ]) {
      assert.match(await refused(host, 'GET', path, 404), /^Not Found/);
    }
  });

  await t.test('a method a command does not take is 405 with Allow', async () => {
    const cases: [string, string, string][] = [
      ['PUT', 'select', 'GET, HEAD, POST'],
      ['DELETE', 'insert', 'GET, POST'],
      ['HEAD', 'update', 'GET, POST'],
      ['GET', 'where', 'POST'],
      ['PATCH', 'delete', 'GET, POST, DELETE'],
    ];
    for (const [method, command, allow] of cases) {
      const reply = await host.call(method, `/api/v2/${command}?p=h&s=x`);
      assert.equal(reply.status, 405, `${method} ${command}`);
      assert.equal(reply.headers.allow, allow);
      assert.equal(reply.headers['access-control-allow-origin'], '*');
    }
    assert.equal(await durableText(host.file('h')), 'hello é');
  });
});

test('sq host: bad input is 400/403/413 and nothing is written', async (t) => {
  // The data dir sits deep inside a scratch tree so that an escape would land somewhere we look.
  const root = tempDir(t, 'sq-refusals-');
  const dataDir = join(root, 'a', 'b', 'data');
  mkdirSync(dataDir, { recursive: true });
  const host = await startHost(t, { dataDir, args: ['--max-body', '1024'] });
  const assertNothingWritten = (what: string) => assert.deepEqual(listTree(root), [], `${what} wrote ${listTree(root)}`);

  await t.test('malformed names are 400', async () => {
    for (const p of ['.hidden', 'x'.repeat(129), 'a+b', 'a%20b', 'a%00b', 'a%0Ab', 'a:b', 'a*b', '%C3%A9t%C3%A9', '.', '-%09']) {
      assert.match(await refused(host, 'GET', `/api/v2/insert?p=${p}&s=x`, 400), /Invalid phext name/, p);
    }
    assert.equal((await host.call('GET', `/api/v2/select?p=${'x'.repeat(128)}`)).status, 200, '128 characters are fine');
    assertNothingWritten('bad names');
  });

  await t.test('path traversal attempts are refused and nothing lands outside the data dir', async () => {
    const attempts = [
      '../x',
      '..%2Fx',
      '..%2fx',
      '%2e%2e/x',
      '%2E%2E%2Fx',
      'a/../../x',
      '..\\x',
      '..%5Cx',
      '..%5cx',
      '%5C..%5Cx',
      '/etc/passwd',
      '%2Fetc%2Fpasswd',
      '....//x',
      '..',
      '..%00',
      'x/..',
      '../../../a/b/x',
      '.%2E/x',
      '%2e./x',
      'a%2Fb',
      'a\\b',
      'C:%5Cx',
      '%252e%252e%252fx',
      '..%c0%afx',
      '%2e%2e%5c%2e%2e%5cx',
    ];
    for (const p of attempts) {
      for (const command of ['insert', 'update']) {
        const reply = await host.call('GET', `/api/v2/${command}?p=${p}&c=1.1.1&s=escaped`);
        // A name that decodes to `..`, `/` or `\` is 403; the rest (double encoding, bad UTF-8) is still refused.
        assert.ok([400, 403].includes(reply.status), `${p}: ${reply.status} ${reply.text}`);
        const decoded = (() => {
          try {
            return decodeURIComponent(p);
          } catch {
            return '';
          }
        })();
        if (/\.\.|\/|\\/.test(decoded) && !decoded.includes('\0')) assert.equal(reply.status, 403, `${p}: ${reply.text}`);
      }
    }
    // Also as a form body field.
    await refused(host, 'POST', '/api/v2/insert', 403, 'p=..%2Fx&s=escaped', { 'Content-Type': 'application/x-www-form-urlencoded' });
    assertNothingWritten('traversal');
    assert.ok(!existsSync('/etc/passwd.phext'));
  });

  await t.test('coordinate parts over 999 are 400 naming the parsed coordinate', async () => {
    const cases: [string, string][] = [
      ['1000.1.1/1.1.1/1.1.1', '1000.1.1/1.1.1/1.1.1'],
      ['1.1.1/1.1.1/1.1000.1', '1.1.1/1.1.1/1.1000.1'],
      ['1.1.1/1.1.1/1.1.99999999999', '1.1.1/1.1.1/1.1.99999999999'],
      ['1.1.1;1.1.1;1.1.1000', '1.1.1/1.1.1/1.1.1000'],
      ['5000', '1.1.1/1.1.1/1.1.5000'],
    ];
    for (const [c, parsed] of cases) {
      for (const command of ['insert', 'update', 'select', 'delete']) {
        const text = await refused(host, 'GET', `/api/v2/${command}?p=coord&c=${encodeURIComponent(c)}&s=x`, 400);
        assert.ok(text.includes(parsed), `${command} c=${c}: ${text}`);
      }
    }
    assertNothingWritten('bad coordinates');
  });

  await t.test('delimiter bytes in s or in the body are 400', async () => {
    for (const s of ['a%17b', '%01', 'x%1Fy', '%1a', '%1C', '%18', '%19', '%1D', '%1E']) {
      await refused(host, 'GET', `/api/v2/insert?p=delim&s=${s}`, 400);
      await refused(host, 'GET', `/api/v2/update?p=delim&s=${s}`, 400);
    }
    await refused(host, 'POST', '/api/v2/insert?p=delim', 400, 'one\x17two');
    await refused(host, 'POST', '/api/v2/update?p=delim', 400, Buffer.from([0x61, 0x01]));
    assertNothingWritten('delimiters');
  });

  await t.test('a malformed delta manifest is 400 naming the line', async () => {
    assert.match(
      await refused(host, 'POST', '/api/v2/delta?p=sync', 400, '1.1.1/1.1.1/1.1.1: abc\nno separator here\n'),
      /manifest line 2/,
    );
    assert.match(await refused(host, 'POST', '/api/v2/delta?p=sync', 400, '1.1000: abc\n'), /1\.1\.1\/1\.1\.1\/1\.1\.1000/);
    assertNothingWritten('delta');
  });

  await t.test('invalid UTF-8 in the query or the body is 400', async () => {
    await refused(host, 'GET', '/api/v2/insert?p=utf&s=%FF', 400);
    await refused(host, 'GET', '/api/v2/insert?p=utf&s=%c3', 400);
    await refused(host, 'GET', '/api/v2/insert?p=%FF&s=x', 400);
    await refused(host, 'POST', '/api/v2/insert?p=utf', 400, Buffer.from([0x61, 0xff, 0x62]));
    await refused(host, 'POST', '/api/v2/update?p=utf', 400, Buffer.from([0xe2, 0x9c]));
    await refused(host, 'POST', '/api/v2/update', 400, Buffer.concat([Buffer.from('p=utf&s='), Buffer.from([0xff])]), {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    assertNothingWritten('invalid UTF-8');
  });

  await t.test('a body over --max-body is 413, declared or streamed, and nothing is written', async () => {
    await refused(host, 'POST', '/api/v2/insert?p=big', 413, 'x'.repeat(4096));
    // Chunked: the limit is only found while reading.
    const chunked = await request(host.port, {
      method: 'POST',
      path: '/api/v2/insert?p=big',
      body: [Buffer.alloc(800, 0x61), Buffer.alloc(800, 0x62)],
    });
    assert.equal(chunked.status, 413);
    assertNothingWritten('too large');
    // curl sends `Expect: 100-continue` before big uploads: refuse without inviting the body.
    const expecting = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = http.request(
        {
          host: '127.0.0.1',
          port: host.port,
          method: 'POST',
          path: '/api/v2/insert?p=big',
          agent: false,
          headers: { 'Content-Length': 4096, Expect: '100-continue' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
        },
      );
      req.on('continue', () => {
        continued = true;
        req.end('x'.repeat(4096));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.deepEqual(expecting, { status: 413, continued: false });
    assertNothingWritten('too large');
    assert.equal((await host.call('POST', '/api/v2/insert?p=big', 'x'.repeat(1024))).text, 'Inserted 1024 bytes');
    assert.equal((await durableBytes(host.file('big'))).length, 1024);
  });
});

test('sq host: reads create nothing; an unreadable file is refused and left alone', async (t) => {
  const host = await startHost(t);

  await t.test('reads of a missing phext leave the data dir empty', async () => {
    const reads: [string, string][] = [
      ['GET', 'select'],
      ['GET', 'toc'],
      ['GET', 'checksum'],
      ['GET', 'status'],
      ['GET', 'get'],
      ['GET', 'json-export'],
      ['GET', 'delta'],
      ['POST', 'delta'],
      ['GET', 'load'],
      ['HEAD', 'select'],
      ['GET', 'delete'],
      ['POST', 'delete'],
      ['DELETE', 'delete'],
    ];
    for (const [method, command] of reads) {
      const reply = await host.call(method, `/api/v2/${command}?p=ghost&c=1.1.1/1.1.1/1.1.2`);
      assert.equal(reply.status, 200, `${method} ${command}: ${reply.text}`);
      assert.deepEqual(host.files(), [], `${method} ${command} created a file`);
    }
    assert.equal((await host.call('GET', '/api/v2/delete?p=ghost')).text, 'Removed 0 bytes');
  });

  await t.test('a .phext with invalid UTF-8 is 422 on read and write, byte-identical afterwards', async () => {
    const bytes = Buffer.from([0x6f, 0x6b, 0x17, 0xff, 0xfe, 0x41, 0xc3]);
    writeFileSync(host.file('broken'), bytes);
    const calls: [string, string][] = [
      ['GET', 'select'],
      ['GET', 'toc'],
      ['GET', 'get'],
      ['GET', 'checksum'],
      ['GET', 'status'],
      ['GET', 'json-export'],
      ['GET', 'delta'],
      ['GET', 'load'],
      ['GET', 'insert'],
      ['GET', 'update'],
      ['POST', 'update'],
      ['DELETE', 'delete'],
    ];
    for (const [method, command] of calls) {
      const text = await refused(
        host,
        method,
        `/api/v2/${command}?p=broken&c=1.1.1/1.1.1/1.1.2&s=new`,
        422,
        method === 'POST' ? 'body' : undefined,
      );
      assert.match(text, /broken\.phext is not valid UTF-8/);
      assert.ok(!text.includes(host.dataDir), text);
      assert.deepEqual(readFileSync(host.file('broken')), bytes, `${method} ${command} changed the file`);
    }
    assert.deepEqual(host.files(), ['broken.phext']);
  });
});

test('sq host: a form body without the text leaves the scroll as it was', async (t) => {
  const host = await startHost(t);
  const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
  assert.equal((await host.call('GET', '/api/v2/update?p=a&c=1.1.1&s=important')).text, 'Updated 9 bytes');

  await t.test('curl -d with fields but no s or content is 400 on insert and update', async () => {
    for (const command of ['insert', 'update']) {
      for (const form of ['limit=10', 'c=1.1.1', 'p=a&c=1.1.1', 'algo=xor&limit=1']) {
        assert.match(await refused(host, 'POST', `/api/v2/${command}?p=a&c=1.1.1`, 400, form, FORM), /Form body without 's' or 'content'/);
      }
      // s in the query does not stand in for it: the original would have stored the body itself.
      await refused(host, 'POST', `/api/v2/${command}?p=a&c=1.1.1&s=other`, 400, 'limit=10', FORM);
    }
    assert.equal(await durableText(host.file('a')), 'important');
  });

  await t.test('s and content together are 400, whichever carries which', async () => {
    const cases: [string, string | undefined][] = [
      ['/api/v2/update?p=a&c=1.1.1&s=x&content=y', undefined],
      ['/api/v2/update?p=a&c=1.1.1&s=x', 'content=y'],
      ['/api/v2/update', 'p=a&c=1.1.1&s=x&content=y'],
    ];
    for (const [path, form] of cases) {
      assert.match(await refused(host, form ? 'POST' : 'GET', path, 400, form, form ? FORM : undefined), /Both 's' and 'content'/);
    }
    assert.equal(await durableText(host.file('a')), 'important');
  });
});
