// Coordinate texts land where the original SQ puts them (SQ-PROTOCOL A1, coordinate-vectors.json):
// a scroll written through either server is found at the same coordinate text through the other.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { neverWritten } from '../src/testing/change-log-files.js';
import { durableText } from '../src/testing/durable-phext.js';
import { startHost } from '../src/testing/host-process.js';
import { COORDINATE_VECTORS } from '../src/testing/coordinate-vectors.js';

/** Break bytes, library first (SQ-PROTOCOL A1's table). */
const BREAKS = [0x01, 0x1f, 0x1e, 0x1d, 0x1c, 0x1a, 0x19, 0x18, 0x17];

/**
 * The file the original writes for one scroll at `coordinate`: from the origin, value − 1 breaks
 * of each part in turn (the minimal run of A1's implode).
 */
function fileWithOneScroll(coordinate: string, text: string): string {
  const parts = coordinate.split(/[./]/).map(Number);
  return parts.map((v, i) => String.fromCharCode(BREAKS[i]!).repeat(v - 1)).join('') + text;
}

test('sq host: every coordinate vector lands where the original puts it', async (t) => {
  const host = await startHost(t);
  const path = (command: string, p: string, c: string, s?: string) =>
    `/api/v2/${command}?p=${p}&c=${encodeURIComponent(c)}${s === undefined ? '' : `&s=${encodeURIComponent(s)}`}`;

  for (const [i, v] of COORDINATE_VECTORS.entries()) {
    const label = `${JSON.stringify(v.text)} → ${v.expect}`;
    const p = `v${i}`;
    const text = `vector ${i}`;
    if (v.expect === '400') {
      for (const command of ['insert', 'update', 'select']) {
        const reply = await host.call('GET', path(command, p, v.text, text));
        assert.equal(reply.status, 400, label);
        assert.match(reply.text, /^Invalid coordinate: \w+ is \d+, outside 1\.\.999/, label);
      }
      assert.ok(neverWritten(host.file(p)), label);
      continue;
    }
    // Ours → the original: the write lands at the expected scroll, on disk as the original writes it
    // (once the change log is folded into the file, as a restart or a checkpoint does).
    assert.equal((await host.call('GET', path('insert', p, v.text, text))).text, `Inserted ${text.length} bytes`, label);
    assert.equal((await host.call('GET', `/api/v2/toc?p=${p}`)).text, `* ${v.expect}: ${text}\n`, label);
    assert.equal(await durableText(host.file(p)), fileWithOneScroll(v.expect, text), label);
    // The original → ours: a file it wrote reads back at the same coordinate text.
    const theirs = `o${i}`;
    writeFileSync(host.file(theirs), fileWithOneScroll(v.expect, 'written by the original'));
    assert.equal((await host.call('GET', path('select', theirs, v.text))).text, 'written by the original', label);
  }
});

test("sq host: the ecosystem's coordinate texts address the scrolls the original gives them", async (t) => {
  const host = await startHost(t);
  // The OpenClaw skill's namespaces, and firmware's name-prefixed coordinates.
  const cases: [string, string][] = [
    ['test-agent.1.1/test.multi.item2/1.1.1', '1.1.1/1.2.1/1.1.1'],
    ['test-agent.1.1/test.basic/1.1.1', '1.1.1/1.1.1/1.1.1'],
    ['connect/2.1.1/1.1.1/1.1.3', '2.1.1/1.1.1/1.1.3'],
    ['0.0.0/0.0.0/0.0.0', '1.1.1/1.1.1/1.1.1'],
  ];
  for (const [c, expect] of cases) {
    const reply = await host.call('GET', `/api/v2/update?p=eco&c=${encodeURIComponent(c)}&s=${encodeURIComponent(c)}`);
    assert.equal(reply.status, 200, `${c}: ${reply.text}`);
    assert.equal((await host.call('GET', `/api/v2/select?p=eco&c=${encodeURIComponent(expect)}`)).text, c);
  }
  assert.equal(
    (await host.call('GET', '/api/v2/toc?p=eco')).text,
    '* 1.1.1/1.1.1/1.1.1: 0.0.0/0.0.0/0.0.0\n' +
      '* 1.1.1/1.2.1/1.1.1: test-agent.1.1/test.multi.item2/...\n' +
      '* 2.1.1/1.1.1/1.1.3: connect/2.1.1/1.1.1/1.1.3\n',
  );
});
