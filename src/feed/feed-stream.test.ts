import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FeedStream, type EndReason } from './feed-stream.js';
import { PREAMBLE } from './sse.js';

const bytes = (text: string) => Buffer.from(text);

/** Reads what the stream has for the answer now (without waiting for more). */
async function take(reader: AsyncIterator<Buffer>): Promise<string> {
  const next = await reader.next();
  return next.done ? '<end>' : next.value.toString();
}

test('a resuming stream holds live events until its replay is out, then drops those the replay covers', async () => {
  const stream = new FeedStream(1024);
  const reader = stream[Symbol.asyncIterator]();
  stream.deliver({ version: 5, bytes: bytes('live5 ') });
  stream.deliver({ version: 7, bytes: bytes('live7 ') });
  let made = 0;
  function* replay() {
    for (let v = 1; v <= 5; v++) {
      made++;
      yield `replay${v} `;
    }
  }
  stream.begin(replay(), 5);
  assert.equal(made, 1, 'made as it is read');
  assert.equal(await take(reader), PREAMBLE.toString());
  assert.equal(await take(reader), 'replay1 replay2 replay3 replay4 replay5 ');
  assert.equal(await take(reader), 'live7 ');
  stream.deliver({ version: 8, bytes: bytes('live8 ') });
  assert.equal(await take(reader), 'live8 ');
});

test('with nothing to replay the hold ends at once', async () => {
  const stream = new FeedStream(1024);
  const reader = stream[Symbol.asyncIterator]();
  stream.deliver({ version: 3, bytes: bytes('live3 ') });
  stream.deliver({ version: 4, bytes: bytes('live4 ') });
  stream.begin([], 3);
  stream.deliver({ version: 5, bytes: bytes('live5 ') });
  assert.equal(await take(reader), `${PREAMBLE}live4 live5 `);
});

test('past its bound a stream drops what waits, ends with overflow and tells its hub once', async () => {
  const ends: EndReason[] = [];
  const stream = new FeedStream(12);
  stream.onEnd = (reason) => ends.push(reason);
  const reader = stream[Symbol.asyncIterator]();
  stream.begin([], -1);
  assert.equal(await take(reader), PREAMBLE.toString());
  // The client takes nothing more: events queue up to the bound.
  stream.deliver({ version: 1, bytes: bytes('0123456789') });
  stream.heartbeat();
  stream.deliver({ version: 2, bytes: bytes('more') });
  assert.deepEqual(ends, ['overflow']);
  assert.equal(stream.done, true);
  assert.equal(await take(reader), 'event: overflow\ndata: {"limit":12}\n\n');
  assert.equal(await take(reader), '<end>');
  assert.deepEqual(ends, ['overflow']);
});

test('held events count against the bound too', () => {
  const stream = new FeedStream(PREAMBLE.length + 4);
  stream.deliver({ version: 1, bytes: bytes('12345') });
  assert.equal(stream.endReason, 'overflow');
});

test('ending drops what waits and ends the answer; a reader that leaves ends the stream', async () => {
  const revoked = new FeedStream(1024);
  const reader = revoked[Symbol.asyncIterator]();
  revoked.begin([], -1);
  const waiting = (async () => [await take(reader), await take(reader)])();
  revoked.end('revoked');
  assert.deepEqual(await waiting, [PREAMBLE.toString(), '<end>']);

  const left = new FeedStream(1024);
  const ends: EndReason[] = [];
  left.onEnd = (reason) => ends.push(reason);
  const leaving = left[Symbol.asyncIterator]();
  await leaving.next();
  await leaving.return?.(undefined);
  assert.deepEqual(ends, ['gone']);
});
