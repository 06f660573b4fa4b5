import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { entries, phext } from './arbitraries.test.js';
import { checksum } from './checksum.js';
import { Coordinate } from './coordinate.js';
import { SCROLL_MISSING, delta, manifest, parseManifest } from './delta.js';
import { PhextInputError } from './errors.js';
import { parse } from './parse.js';
import { Phext } from './phext.js';

const server = parse(Buffer.from('hello\x17world\x01far'));

describe('manifest', () => {
  test('one line per scroll in coordinate order with the checksum of its text', () => {
    assert.equal(
      manifest(server),
      `1.1.1/1.1.1/1.1.1: b5e9c1ad071b3e7fc779cfaa5e523818\n` +
        `1.1.1/1.1.1/1.1.2: ${checksum('world')}\n` +
        `2.1.1/1.1.1/1.1.1: ${checksum('far')}\n`,
    );
    assert.equal(manifest(new Phext()), '');
  });

  test('parseManifest reads what manifest writes', () => {
    fc.assert(
      fc.property(phext, (p) => {
        const read = [...parseManifest(manifest(p)).values()].map((e) => [e.coordinate.toString(), e.checksum]);
        assert.deepEqual(
          read,
          entries(p).map(([k, text]) => [k, checksum(text)]),
        );
      }),
      { numRuns: 100 },
    );
  });
});

describe('delta', () => {
  test('an empty manifest gets the whole phext', () => {
    assert.deepEqual(entries(delta(server, '')), entries(server));
  });

  test('an up-to-date client gets nothing', () => {
    assert.equal(delta(server, manifest(server)).size, 0);
  });

  test('changed, lacking and extra scrolls', () => {
    const client =
      `1.1.1/1.1.1/1.1.1: b5e9c1ad071b3e7fc779cfaa5e523818\n` + // same as the server
      `1.1.1/1.1.1/1.1.2: ${checksum('old world')}\n` + // changed on the server
      `3.3.3/3.3.3/3.3.3: ${checksum('gone')}\n`; // the server has none; 2.1.1 is lacking
    assert.deepEqual(entries(delta(server, client)), [
      ['1.1.1/1.1.1/1.1.2', 'world'],
      ['2.1.1/1.1.1/1.1.1', 'far'],
      ['3.3.3/3.3.3/3.3.3', SCROLL_MISSING],
    ]);
  });

  test('CRLF, blank lines, URL-form coordinates and upper-case checksums are accepted', () => {
    const client = `\r\n1.1.1;1.1.1;1.1.1: B5E9C1AD071B3E7FC779CFAA5E523818\r\n\n   \n1.1.1/1.1.1/1.1.2: ${checksum('world')}\r\n`;
    assert.deepEqual(entries(delta(server, client)), [['2.1.1/1.1.1/1.1.1', 'far']]);
  });

  test('property: delta is what the client lacks or has stale, plus markers for extras', () => {
    fc.assert(
      fc.property(phext, phext, (s, c) => {
        const d = delta(s, manifest(c));
        for (const [k, text] of entries(d)) {
          const at = Coordinate.parse(k);
          if (s.has(at)) assert.equal(text, s.get(at));
          else assert.ok(c.has(at) && text === SCROLL_MISSING);
        }
        // A server scroll is in the delta exactly when the client does not hold the same text.
        for (const scroll of s.scrolls()) assert.equal(d.has(scroll.coordinate), c.get(scroll.coordinate) !== scroll.text);
        // Every coordinate only the client has gets the marker.
        for (const scroll of c.scrolls()) if (!s.has(scroll.coordinate)) assert.equal(d.get(scroll.coordinate), SCROLL_MISSING);
      }),
      { numRuns: 100 },
    );
  });

  const malformed: [string, string, RegExp][] = [
    ['no ": " separator', '1.1.1/1.1.1/1.1.1 b5e9c1ad071b3e7fc779cfaa5e523818', /manifest line 1: expected "<coordinate>: <checksum>"/],
    [
      'an invalid coordinate on line 2',
      `1.1.1/1.1.1/1.1.1: x\n1.1.1/1.1.1/1.1.1000: y`,
      /manifest line 2: invalid coordinate: scroll is 1000/,
    ],
    ['a part that overflows 32 bits', `1.1.1/1.1.1/1.1.4294967297: x`, /scroll is 4294967297/],
  ];
  for (const [name, text, message] of malformed) {
    test(`refuses ${name}`, () => {
      assert.throws(
        () => delta(server, text),
        (e: Error) => e instanceof PhextInputError && message.test(e.message),
      );
    });
  }
});
