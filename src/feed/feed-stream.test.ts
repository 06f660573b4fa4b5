import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FeedStream, type EndReason, type FeedSink } from './feed-stream.js';
import { HEARTBEAT, PREAMBLE } from './sse.js';

const bytes = (text: string) => Buffer.from(text);

/** A connection as a stream sees it: every write, whether it ended, and whether it takes more now. */
class Connection implements FeedSink {
  readonly writes: string[] = [];
  ended = false;
  /** false: each write leaves it full until the test resumes the stream. */
  takes = true;

  write(chunk: Buffer): boolean {
    assert.equal(this.ended, false, 'no write after the end');
    this.writes.push(chunk.toString());
    return this.takes;
  }

  end(): void {
    assert.equal(this.ended, false, 'ended once');
    this.ended = true;
  }
}

test('a resuming stream holds live events until its replay is out, then drops those the replay covers', () => {
  const stream = new FeedStream(1024);
  const client = new Connection();
  client.takes = false;
  stream.attach(client);
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
  assert.deepEqual(client.writes, [PREAMBLE.toString()]);
  stream.resume();
  assert.deepEqual(client.writes.slice(1), ['replay1 replay2 replay3 replay4 replay5 ']);
  stream.resume();
  assert.deepEqual(client.writes.slice(2), ['live7 ']);
  client.takes = true;
  stream.resume();
  stream.deliver({ version: 8, bytes: bytes('live8 ') });
  assert.deepEqual(client.writes.slice(3), ['live8 ']);
});

test('with nothing to replay the hold ends at once; what waits for a full connection goes out as one write', () => {
  const stream = new FeedStream(1024);
  stream.deliver({ version: 3, bytes: bytes('live3 ') });
  stream.deliver({ version: 4, bytes: bytes('live4 ') });
  stream.begin([], 3);
  stream.deliver({ version: 5, bytes: bytes('live5 ') });
  const client = new Connection();
  stream.attach(client);
  assert.deepEqual(client.writes, [`${PREAMBLE}live4 live5 `]);
});

test('a commit its replay already had, heard of only after the replay (a shared database), is not sent again', () => {
  const stream = new FeedStream(1024);
  const client = new Connection();
  stream.attach(client);
  stream.begin(['replay4 replay5 '], 5);
  assert.equal(stream.covers, 5);
  stream.deliver({ version: 5, bytes: bytes('live5 ') });
  stream.deliver({ version: 6, bytes: bytes('live6 ') });
  assert.deepEqual(client.writes.slice(1), ['replay4 replay5 ', 'live6 ']);
});

test('past its bound a stream drops what waits, ends with overflow and tells its hub once', () => {
  const ends: EndReason[] = [];
  const stream = new FeedStream(12);
  stream.onEnd = (reason) => ends.push(reason);
  const client = new Connection();
  client.takes = false;
  stream.attach(client);
  stream.begin([], -1);
  assert.deepEqual(client.writes, [PREAMBLE.toString()]);
  // The client takes nothing more: events queue up to the bound.
  stream.deliver({ version: 1, bytes: bytes('0123456789') });
  stream.heartbeat();
  stream.heartbeat();
  stream.deliver({ version: 2, bytes: bytes('more') });
  assert.deepEqual(ends, ['overflow']);
  assert.equal(stream.done, true);
  assert.equal(client.ended, false, 'the farewell waits for the connection');
  stream.resume();
  assert.deepEqual(client.writes.slice(1), ['event: overflow\ndata: {"limit":12}\n\n']);
  assert.equal(client.ended, false);
  stream.resume();
  assert.equal(client.ended, true);
  assert.deepEqual(ends, ['overflow']);
});

test('held events count against the bound too', () => {
  const stream = new FeedStream(PREAMBLE.length + 4);
  stream.deliver({ version: 1, bytes: bytes('12345') });
  assert.equal(stream.endReason, 'overflow');
});

test('a heartbeat goes out only when nothing else did since the last one', () => {
  const stream = new FeedStream(1024);
  const client = new Connection();
  stream.attach(client);
  stream.begin([], -1);
  stream.heartbeat(); // the preamble went out
  stream.heartbeat();
  stream.deliver({ version: 1, bytes: bytes('one ') });
  stream.heartbeat();
  stream.heartbeat();
  assert.deepEqual(client.writes, [PREAMBLE.toString(), HEARTBEAT.toString(), 'one ', HEARTBEAT.toString()]);
});

test('ending drops what waits and ends the answer; a client that leaves ends the stream', () => {
  const revoked = new FeedStream(1024);
  const client = new Connection();
  revoked.attach(client);
  revoked.begin([], -1);
  client.takes = false;
  revoked.deliver({ version: 1, bytes: bytes('sent ') });
  revoked.deliver({ version: 2, bytes: bytes('dropped ') });
  revoked.end('revoked');
  revoked.resume();
  assert.deepEqual(client.writes, [PREAMBLE.toString(), 'sent ']);
  assert.equal(client.ended, true);

  const left = new FeedStream(1024);
  const ends: EndReason[] = [];
  left.onEnd = (reason) => ends.push(reason);
  left.attach(new Connection());
  left.stop();
  left.stop();
  assert.deepEqual(ends, ['gone']);
});
