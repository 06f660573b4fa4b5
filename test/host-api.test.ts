// `sq host` (single tenant) against SQ-PROTOCOL A2: every command's exact answer, through a real
// server process, with what it made durable (the files on disk, or the database's rows) checked
// right after each write.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { checksum } from '../src/phext/index.js';
import { VERSION } from '../src/version.js';
import { durableText } from '../src/testing/durable-phext.js';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { HOST_STORES } from '../src/testing/host-stores.js';

/** `/api/v2/<command>?<params>`; URLSearchParams writes spaces as `+`, which the server must read. */
const api = (command: string, params: Record<string, string> = {}): string => `/api/v2/${command}?${new URLSearchParams(params)}`;

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

async function ok(
  host: HostProcess,
  method: string,
  path: string,
  body?: string | Buffer,
  headers?: Record<string, string>,
): Promise<string> {
  const reply = await host.call(method, path, body, headers);
  assert.equal(reply.status, 200, `${method} ${path} → ${reply.status} ${reply.text}`);
  assert.equal(reply.headers['access-control-allow-origin'], '*');
  return reply.text;
}

for (const store of HOST_STORES) {
  test(`sq host (${store.name}): every A2 command answers its exact text`, async (t) => {
    const host = await store.start(t);
    if (!host) return;
    /** What the server has made durable (a `.phext` with its change log applied, or rows), as a restart loads it. */
    const disk = (p: string) => store.durableText(host, p);

    await t.test('version', async () => {
      assert.equal(await ok(host, 'GET', '/api/v2/version'), VERSION);
    });

    await t.test('insert counts UTF-8 bytes and is on disk when the answer arrives', async () => {
      assert.equal(await ok(host, 'GET', api('insert', { p: 'ins', c: '1.1.1/1.1.1/1.1.1', s: 'héllo ✓' })), 'Inserted 10 bytes');
      assert.equal(await disk('ins'), 'héllo ✓');
      assert.equal(await ok(host, 'GET', api('insert', { p: 'ins', c: '1.1.1/1.1.1/1.1.1', s: '😀' })), 'Inserted 4 bytes');
      assert.equal(await disk('ins'), 'héllo ✓😀');
      assert.equal(await ok(host, 'POST', api('insert', { p: 'ins', c: '2.1.1/1.1.1/1.1.1' }), 'B'), 'Inserted 1 bytes');
      assert.equal(await disk('ins'), 'héllo ✓😀\x01B');
    });

    await t.test('select: the scroll, or an empty body when there is none', async () => {
      assert.equal(await ok(host, 'GET', api('select', { p: 'ins', c: '1.1.1/1.1.1/1.1.1' })), 'héllo ✓😀');
      assert.equal(await ok(host, 'GET', api('select', { p: 'ins', c: '2.1.1;1.1.1;1.1.1' })), 'B');
      const none = await host.call('GET', api('select', { p: 'ins', c: '5.5.5/5.5.5/5.5.5' }));
      assert.equal(none.status, 200);
      assert.equal(none.headers['content-length'], '0');
      assert.equal(none.text, '');
    });

    await t.test('update replaces; an empty s clears the scroll', async () => {
      assert.equal(await ok(host, 'GET', api('update', { p: 'upd', c: '1.1.1/1.1.1/1.1.2', s: 'first' })), 'Updated 5 bytes');
      assert.equal(await disk('upd'), '\x17first');
      assert.equal(await ok(host, 'GET', api('update', { p: 'upd', c: '1.1.1/1.1.1/1.1.2', s: 'ünï' })), 'Updated 5 bytes');
      assert.equal(await disk('upd'), '\x17ünï');
      assert.equal(await ok(host, 'GET', '/api/v2/update?p=upd&c=1.1.1/1.1.1/1.1.2&s='), 'Updated 0 bytes');
      assert.equal(await disk('upd'), '');
      assert.equal(await ok(host, 'GET', api('select', { p: 'upd', c: '1.1.1/1.1.1/1.1.2' })), '');
    });

    await t.test('delete answers the bytes removed (0 if none) via GET, POST and DELETE', async () => {
      await ok(host, 'GET', api('update', { p: 'del', c: '1.1.1/1.1.1/1.1.1', s: 'keep' }));
      for (const [method, c, text] of [
        ['GET', '1.1.1/1.1.1/1.1.2', 'éé'],
        ['POST', '1.1.1/1.1.1/1.1.3', 'xyz'],
        ['DELETE', '1.1.1/1.1.1/1.1.4', '✓'],
      ] as const) {
        await ok(host, 'GET', api('update', { p: 'del', c, s: text }));
        assert.ok((await disk('del')).includes(text));
        assert.equal(await ok(host, method, api('delete', { p: 'del', c })), `Removed ${Buffer.byteLength(text)} bytes`);
        assert.ok(!(await disk('del')).includes(text), `${method} delete left the scroll on disk`);
        assert.equal(await ok(host, method, api('delete', { p: 'del', c })), 'Removed 0 bytes');
      }
      assert.equal(await disk('del'), 'keep');
    });

    await t.test('toc, get, checksum', async () => {
      await ok(host, 'GET', api('update', { p: 'doc', c: '1.1.1/1.1.1/1.1.1', s: 'hello' }));
      assert.equal(await ok(host, 'GET', api('checksum', { p: 'doc' })), 'b5e9c1ad071b3e7fc779cfaa5e523818');
      assert.equal(await ok(host, 'GET', api('checksum', { p: 'never-written' })), '99aa06d3014798d86001c324468d497f');
      await ok(host, 'GET', api('update', { p: 'doc', c: '1.1.1/1.1.1/1.1.2', s: 'line1\nline2' }));
      assert.equal(await ok(host, 'GET', api('toc', { p: 'doc' })), '* 1.1.1/1.1.1/1.1.1: hello\n* 1.1.1/1.1.1/1.1.2: line1...\n');
      assert.equal(await ok(host, 'GET', api('get', { p: 'doc' })), 'hello\x17line1\nline2');
      assert.equal(await ok(host, 'GET', api('checksum', { p: 'doc' })), checksum('hello\x17line1\nline2'));
    });

    await t.test('delta: GET is the whole phext; POST answers only what the client lacks', async () => {
      for (const [c, s] of [
        ['1.1.1/1.1.1/1.1.1', 'same'],
        ['1.1.1/1.1.1/1.1.2', 'changed on server'],
        ['1.1.1/1.1.1/1.1.3', 'client lacks'],
      ] as const) {
        await ok(host, 'GET', api('update', { p: 'sync', c, s }));
      }
      assert.equal(await ok(host, 'GET', api('delta', { p: 'sync' })), await disk('sync'));
      const manifest =
        `1.1.1/1.1.1/1.1.1: ${checksum('same')}\n` +
        `1.1.1/1.1.1/1.1.2: ${checksum('old text')}\r\n` +
        `1.1.1/1.1.1/1.1.9: ${checksum('deleted on server')}\n`;
      const answer = await ok(host, 'POST', api('delta', { p: 'sync' }), manifest, { 'Content-Type': 'application/phext' });
      assert.equal(answer, '\x17changed on server\x17client lacks\x17\x17\x17\x17\x17\x17---sq:Scroll-Missing---');
    });

    await t.test('json-export: valid JSON in coordinate order, no side files', async () => {
      const tricky = 'back\\slash\ttab\rcr"quote\nnl';
      await ok(host, 'GET', api('update', { p: 'json', c: '2.1.1/1.1.1/1.1.1', s: 'last' }));
      await ok(host, 'POST', api('update', { p: 'json', c: '1.1.1/1.1.1/1.1.5' }), tricky);
      await ok(host, 'GET', api('update', { p: 'json', c: '1.1.1/1.1.1/1.1.1', s: 'first' }));
      const reply = await host.call('GET', api('json-export', { p: 'json' }));
      assert.equal(reply.status, 200);
      assert.deepEqual(JSON.parse(reply.text), [
        { coord: '1.1.1/1.1.1/1.1.1', scroll: 'first' },
        { coord: '1.1.1/1.1.1/1.1.5', scroll: tricky },
        { coord: '2.1.1/1.1.1/1.1.1', scroll: 'last' },
      ]);
      if (store.name !== 'files') return;
      // Only the phext and its change log (the file itself may not be written yet: the log holds the writes).
      const sideFiles = host.files().filter((f) => f.includes('json') && f !== 'json.phext' && f !== '.json.phext.log');
      assert.deepEqual(sideFiles, [], host.files().join(' '));
    });

    await t.test("status: the original's four lines, then the version; the name only", async () => {
      const text = await ok(host, 'GET', api('status', { p: 'doc' }));
      const size = Buffer.byteLength(await disk('doc'));
      assert.match(text, new RegExp(`^Hosting: doc\\.phext\\nConnection ID: \\d+\\nPhext Size: ${size}\\nScrolls: 2\\nVersion: \\d+$`));
      assert.ok(!text.includes(host.dataDir));
      assert.match(
        await ok(host, 'GET', api('status', { p: 'missing' })),
        /^Hosting: missing\.phext\nConnection ID: \d+\nPhext Size: 0\nScrolls: 0\nVersion: 0$/,
      );
    });

    await t.test('where: xor over long scrolls, and checksum', async () => {
      const body = 'short\x17long enough\x18also long enough';
      // Scrolls of ≥ 10 bytes sit at 1.1.1/1.1.1/1.1.2 and 1.1.1/1.1.1/1.2.1: scroll 1^2^1, section 1^1^2.
      assert.equal(
        await ok(host, 'POST', api('where', { limit: '10' }), body),
        'Calculated coordinate 1.1.1/1.1.1/1.2.2 for input (algo=xor, limit=10).',
      );
      assert.equal(
        await ok(host, 'POST', '/api/v2/where', body),
        'Calculated coordinate 1.1.1/1.1.1/1.1.1 for input (algo=xor, limit=100).',
      );
      const hex = checksum(body);
      const parts = Array.from({ length: 9 }, (_, i) => ((hex.charCodeAt(2 * i) << 8) | hex.charCodeAt(2 * i + 1)) % 999 || 1);
      const coord = `${parts.slice(0, 3).join('.')}/${parts.slice(3, 6).join('.')}/${parts.slice(6).join('.')}`;
      assert.equal(
        await ok(host, 'POST', api('where', { algo: 'checksum' }), body),
        `Calculated coordinate ${coord} for input (algo=checksum, limit=100).`,
      );
    });

    // Files only: nothing but SQ writes to the database.
    if (store.name === 'files') {
      await t.test('load re-reads a file changed behind the server', async () => {
        await ok(host, 'GET', api('update', { p: 'ext', s: 'before' }));
        writeFileSync(host.file('ext'), 'edited by hand\x17second');
        assert.equal(await ok(host, 'GET', api('load', { p: 'ext' })), 'Loaded ext.phext');
        assert.equal(await ok(host, 'GET', api('select', { p: 'ext', c: '1.1.1/1.1.1/1.1.2' })), 'second');
      });
    }
  });
}

test('sq host: parameters from the query, the body and form bodies', async (t) => {
  const host = await startHost(t);
  /** What the server has made durable: the `.phext` with its change log applied, as a restart loads it. */
  const disk = (p: string) => durableText(host.file(p));

  await t.test('`+` is a space and %xx decodes in either case', async () => {
    assert.equal(await ok(host, 'GET', '/api/v2/update?p=q&c=1.1.1%2F1.1.1%2f1.1.3&s=a+b%2fc%2Fd%C3%a9'), 'Updated 9 bytes');
    assert.equal(await ok(host, 'GET', '/api/v2/select?p=q&c=1.1.1;1.1.1;1.1.3'), 'a b/c/dé');
  });

  await t.test('a POST body is the scroll text and wins over s', async () => {
    assert.equal(await ok(host, 'POST', api('update', { p: 'b', s: 'ignored' }), 'from the body ✓'), 'Updated 17 bytes');
    assert.equal(await disk('b'), 'from the body ✓');
  });

  await t.test('a form body carries p, c and s', async () => {
    const form = 'p=form&c=1.1.1%2F1.1.1%2F1.1.2&s=hello+form+%E2%9C%93';
    assert.equal(await ok(host, 'POST', '/api/v2/insert', form, FORM), 'Inserted 14 bytes');
    assert.equal(await disk('form'), '\x17hello form ✓');
  });

  await t.test('a form body may hold raw UTF-8 (curl -d) and it stays UTF-8', async () => {
    assert.equal(await ok(host, 'POST', '/api/v2/update', 'p=raw&s=déjà vu', FORM), 'Updated 9 bytes');
    assert.equal(await disk('raw'), 'déjà vu');
    assert.equal(await ok(host, 'POST', '/api/v2/update', 'p=raw&s=😀%21+🎉', FORM), 'Updated 10 bytes');
    assert.equal(await disk('raw'), '😀! 🎉');
  });

  await t.test("`content` names the text as well as `s` (exo-plan's sq-write-scroll.sh posts a form)", async () => {
    const form = 'p=exo&c=1.1.1%2F1.1.1%2F1.1.2&content=written+by+exo-plan+%E2%9C%93';
    assert.equal(await ok(host, 'POST', '/api/v2/update', form, FORM), 'Updated 23 bytes');
    assert.equal(await disk('exo'), '\x17written by exo-plan ✓');
    assert.equal(await ok(host, 'GET', api('insert', { p: 'exo', c: '1.1.1/1.1.1/1.1.2', content: ', again' })), 'Inserted 7 bytes');
    assert.equal(await disk('exo'), '\x17written by exo-plan ✓, again');
    assert.equal(await ok(host, 'POST', '/api/v2/update', 'p=exo&c=1.1.1%2F1.1.1%2F1.1.2&content=', FORM), 'Updated 0 bytes');
    assert.equal(await disk('exo'), '');
  });

  await t.test('curl --data-binary text labelled as a form is still scroll text', async () => {
    for (const [text, bytes] of [
      ['a & b = c, 100% sure', 20],
      ['s', 1],
      ['c', 1],
      ['limit', 5],
      ['content', 7],
    ] as const) {
      assert.equal(await ok(host, 'POST', api('update', { p: 'curl' }), text, FORM), `Updated ${bytes} bytes`);
      assert.equal(await disk('curl'), text);
    }
  });
});
