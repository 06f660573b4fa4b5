import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Coordinate, Phext, delta, deltaScrolls, manifest, serialize, serializePieces, toc, tocLines } from '../phext/index.js';
import { phext as anyPhext } from '../phext/arbitraries.test.js';
import { StreamedBody, bodyText } from './body-stream.js';
import { jsonExportPieces } from './json-export.js';

/** Every chunk, copied as it comes (chunks are lent: the producer reuses their memory). */
async function collect(body: StreamedBody): Promise<{ bytes: Buffer; chunks: number; largest: number }> {
  const copies: Buffer[] = [];
  for await (const chunk of body) copies.push(Buffer.from(chunk));
  return { bytes: Buffer.concat(copies), chunks: copies.length, largest: Math.max(0, ...copies.map((c) => c.length)) };
}

/** A phext whose answers take many chunks: long and short scrolls, astral characters, JSON escapes. */
function bigPhext(): Phext {
  const p = new Phext();
  for (let i = 1; i <= 300; i++) {
    const text = i % 50 === 0 ? `long "🙂" \\ ${'ß日\n'.repeat(5_000)}` : `scroll ${i} 🙂 "quoted" \t tab ${'λ'.repeat(i % 40)}`;
    p.set(Coordinate.of([1, 1, 1, 1, 1, 1 + (i % 3), 1, 1 + Math.floor(i / 100), i]), text);
  }
  return p;
}

test('streamed toc, json-export and delta are byte-identical to the whole answers, for any chunk size', async () => {
  const p = bigPhext();
  const m =
    manifest(p)
      .split('\n')
      .filter((_, i) => i % 3 === 0)
      .join('\n') + '\n9.9.9/9.9.9/9.9.9: 00\n';
  const cases: [string, () => Iterable<string>, Buffer][] = [
    ['toc', () => tocLines(p), Buffer.from(toc(p))],
    [
      'json-export',
      () => jsonExportPieces(p),
      Buffer.from(JSON.stringify([...p.scrolls()].map((s) => ({ coord: s.coordinate.toString(), scroll: s.text })))),
    ],
    ['delta', () => serializePieces(deltaScrolls(p, m)), serialize(delta(p, m))],
  ];
  for (const chunkSize of [1, 2, 5, 100, 4096, 64 * 1024]) {
    for (const [name, pieces, whole] of cases) {
      const { bytes, chunks, largest } = await collect(StreamedBody.fromPieces(pieces(), { chunkSize }));
      assert.ok(bytes.equals(whole), `${name} in chunks of ${chunkSize}`);
      assert.ok(chunks > 1 || whole.length <= chunkSize, `${name}: one chunk of ${chunkSize}`);
      // Below 6 bytes, a slice of two units (the least the producer cuts) may not fit: it goes alone.
      assert.ok(largest <= Math.max(chunkSize, 6), `${name}: a chunk of ${largest} bytes for ${chunkSize}`);
    }
  }
});

test('streamed answers of random phexts match the whole answers', async () => {
  await fc.assert(
    fc.asyncProperty(anyPhext, fc.integer({ min: 1, max: 40 }), async (p, chunkSize) => {
      const json = JSON.stringify([...p.scrolls()].map((s) => ({ coord: s.coordinate.toString(), scroll: s.text })));
      assert.equal((await collect(StreamedBody.fromPieces(jsonExportPieces(p, 3), { chunkSize }))).bytes.toString(), json);
      assert.equal((await collect(StreamedBody.fromPieces(tocLines(p), { chunkSize }))).bytes.toString(), toc(p));
      assert.ok((await collect(StreamedBody.fromPieces(serializePieces(p.scrolls()), { chunkSize }))).bytes.equals(serialize(p)));
    }),
    { numRuns: 200 },
  );
});

test('a buffer streams as slices of itself; bodyText joins any body', async () => {
  const bytes = Buffer.from('日本語 🙂 '.repeat(1000));
  const { bytes: streamed, chunks } = await collect(StreamedBody.fromBuffer(bytes, { chunkSize: 1000 }));
  assert.ok(streamed.equals(bytes));
  assert.equal(chunks, Math.ceil(bytes.length / 1000));
  assert.equal(StreamedBody.fromBuffer(bytes).length, bytes.length);
  assert.equal(await bodyText(StreamedBody.fromPieces(tocLines(bigPhext()), { chunkSize: 7 })), toc(bigPhext()));
  assert.equal(await bodyText('text'), 'text');
});

test('whole() gives a one-chunk body whole and keeps a longer one for streaming', async () => {
  assert.equal((await StreamedBody.fromPieces(['a', 'b']).whole())?.toString(), 'ab');
  assert.equal((await StreamedBody.fromPieces([]).whole())?.length, 0);
  const long = StreamedBody.fromPieces(['abc', 'def', 'ghi'], { chunkSize: 3 });
  assert.equal(await long.whole(), undefined);
  assert.equal((await collect(long)).bytes.toString(), 'abcdefghi');
});

test('the producer runs only as far as chunks are taken, and stops when the consumer does', async () => {
  let produced = 0;
  let finished = false;
  function* pieces(): Generator<string> {
    try {
      for (let i = 0; i < 1000; i++) {
        produced++;
        yield 'x'.repeat(10);
      }
    } finally {
      finished = true;
    }
  }
  const body = StreamedBody.fromPieces(pieces(), { chunkSize: 100 });
  let taken = 0;
  for await (const chunk of body) {
    taken += chunk.length;
    if (taken >= 300) break;
  }
  assert.ok(produced <= 41, `produced ${produced} pieces for 300 bytes taken`);
  assert.equal(finished, true);
});
