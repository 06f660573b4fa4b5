import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checksum } from '../phext/index.js';
import { durableBytes } from '../testing/durable-phext.js';
import { tempDir } from '../testing/temp-dir.js';
import { DaemonClient } from './client.js';
import { DaemonRunningError, startDaemon, type Daemon } from './daemon.js';
import { LineSplitter, MAX_REQUEST_BYTES } from './protocol.js';

/** A raw connection: write bytes, read response lines as parsed JSON. */
class Raw {
  private lines: unknown[] = [];
  private waiters: Array<() => void> = [];
  private readonly splitter = new LineSplitter(1 << 30);
  closed: Promise<unknown>;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const line of this.splitter.push(chunk)) this.lines.push(JSON.parse(line.toString('utf8')));
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => {});
    this.closed = once(socket, 'close');
  }

  static async open(path: string): Promise<Raw> {
    const socket = createConnection(path);
    await once(socket, 'connect');
    return new Raw(socket);
  }

  async next(): Promise<unknown> {
    while (this.lines.length === 0) await new Promise<void>((r) => this.waiters.push(r));
    return this.lines.shift();
  }
}

describe('daemon protocol', () => {
  let daemon: Daemon;
  let raw: Raw;
  before(async () => {
    daemon = await startDaemon({ cwd: dir, file: join(dir, 'doc.phext') });
    raw = await Raw.open(daemon.paths.socket);
  });
  after(async () => {
    raw?.socket.destroy();
    await daemon?.stop();
  });
  // Registered after the stop above, so the directory goes once the daemon is down.
  const dir = tempDir({ after }, 'sq-daemon-');

  const ask = async (line: string | Buffer): Promise<unknown> => {
    raw.socket.write(line);
    return raw.next();
  };

  it('answers pipelined requests on one connection in order', async () => {
    raw.socket.write(
      '{"cmd":"insert","coord":"1.1.1/1.1.1/1.1.1","text":"a\\nb"}\n' +
        '{"cmd":"insert","coord":"1.1.1/1.1.1/1.1.1","text":"ç"}\r\n\n' +
        '{"cmd":"select","coord":"1.1.1/1.1.1/1.1.1"}\n',
    );
    assert.deepEqual(await raw.next(), { ok: true, out: 'Inserted 3 bytes' });
    assert.deepEqual(await raw.next(), { ok: true, out: 'Inserted 2 bytes' });
    assert.deepEqual(await raw.next(), { ok: true, out: 'a\nbç' });
    assert.equal((await durableBytes(join(dir, 'doc.phext'))).toString(), 'a\nbç');
  });

  it('answers bad requests with errors and keeps the connection', async () => {
    const cases: [string | Buffer, RegExp][] = [
      ['not json\n', /^request is not valid JSON/],
      ['[1,2]\n', /^invalid request: Expected object/],
      ['{"cmd":"insert","coord":"1.1.1","text":"x","extra":1}\n', /^invalid request: Unrecognized key\(s\) in object: 'extra'/],
      ['{"cmd":"insert","coord":1}\n', /^invalid request: 'coord': Expected string/],
      ['{"cmd":"frobnicate"}\n', /^unknown command 'frobnicate'/],
      ['{"cmd":"__proto__"}\n', /^unknown command '__proto__'/],
      [
        '{"cmd":"update","coord":"1.1.1/1.1.1/1.1.1000","text":"x"}\n',
        /^invalid coordinate: scroll is 1000, outside 1\.\.999 in coordinate 1\.1\.1\/1\.1\.1\/1\.1\.1000$/,
      ],
      ['{"cmd":"select","coord":"1000.1.1/1.1.1/1.1.1"}\n', /^invalid coordinate: library is 1000/],
      ['{"cmd":"update","coord":"1.1.2","text":"a\\u0017b"}\n', /delimiter/],
      ['{"cmd":"update","coord":"1.1.2","text":"\\ud800"}\n', /lone UTF-16 surrogate/],
      [Buffer.concat([Buffer.from('{"cmd":"update","text":"'), Buffer.from([0xff]), Buffer.from('"}\n')]), /^request is not valid UTF-8$/],
      ['{"cmd":"where","text":"x","algo":"md5"}\n', /^Unknown algo 'md5'/],
      ['{"cmd":"update-many","scrolls":[{"coord":"1.1.3","text":"ok"},{"coord":"1.1.1000","text":"bad"}]}\n', /^invalid coordinate/],
    ];
    for (const [line, error] of cases) {
      const answer = (await ask(line)) as { ok: boolean; error: string };
      assert.equal(answer.ok, false, String(line));
      assert.match(answer.error, error);
    }
    // Nothing of the refused requests was written, including the valid half of update-many.
    assert.deepEqual(await ask('{"cmd":"manifest"}\n'), { ok: true, out: `1.1.1/1.1.1/1.1.1: ${checksum('a\nbç')}\n` });
  });

  it('writes update-many in one commit and answers the REST texts', async () => {
    assert.deepEqual(
      await ask('{"cmd":"update-many","scrolls":[{"coord":"2.1.1/1.1.1/1.1.1","text":"x"},{"coord":"2.1.1/1.1.1/1.1.2","text":"yz"}]}\n'),
      { ok: true, out: 'Updated 2 scrolls (3 bytes)' },
    );
    assert.deepEqual(await ask('{"cmd":"delete","coord":"2.1.1/1.1.1/1.1.2"}\n'), { ok: true, out: 'Removed 2 bytes' });
    assert.deepEqual(await ask('{"cmd":"json-export"}\n'), {
      ok: true,
      out: JSON.stringify([
        { coord: '1.1.1/1.1.1/1.1.1', scroll: 'a\nbç' },
        { coord: '2.1.1/1.1.1/1.1.1', scroll: 'x' },
      ]),
    });
  });

  it('answers a client that half-closes after writing', async () => {
    const oneShot = await Raw.open(daemon.paths.socket);
    oneShot.socket.end('{"cmd":"toc"}\n{"cmd":"checksum"}\n');
    assert.deepEqual(await oneShot.next(), { ok: true, out: '* 1.1.1/1.1.1/1.1.1: a...\n* 2.1.1/1.1.1/1.1.1: x\n' });
    assert.equal(((await oneShot.next()) as { out: string }).out.length, 32);
    await oneShot.closed;
  });

  it('refuses a request line over 64 MiB and hangs up', async () => {
    const big = await Raw.open(daemon.paths.socket);
    big.socket.write('{"cmd":"update","text":"');
    big.socket.write(Buffer.alloc(MAX_REQUEST_BYTES, 0x61));
    const answer = (await big.next()) as { ok: boolean; error: string };
    assert.equal(answer.ok, false);
    assert.match(answer.error, /^request too large: line longer than 67108864 bytes/);
    await big.closed;
    // The daemon is fine and still serves others.
    assert.deepEqual(await ask('{"cmd":"select","coord":"2.1.1/1.1.1/1.1.1"}\n'), { ok: true, out: 'x' });
  });

  it('a second daemon on the same directory is refused', async () => {
    await assert.rejects(startDaemon({ cwd: dir, file: join(dir, 'other.phext') }), (err: unknown) => {
      assert.ok(err instanceof DaemonRunningError);
      assert.equal(err.info?.pid, process.pid);
      assert.equal(err.info?.file, join(dir, 'doc.phext'));
      return true;
    });
  });

  it('shutdown flushes, answers, then removes the socket and pid files', async () => {
    const client = await DaemonClient.connect(dir);
    const inserted = client.request({ cmd: 'insert', coord: '3.1.1', text: 'last' });
    const stopping = client.request({ cmd: 'shutdown' });
    assert.equal(await inserted, 'Inserted 4 bytes');
    assert.match(await stopping, /^Stopped sharing .*doc\.phext$/);
    await daemon.stopped;
    assert.ok(!existsSync(daemon.paths.socket));
    assert.ok(!existsSync(daemon.paths.infoFile) && !existsSync(daemon.paths.pidFile));
    assert.ok((await durableBytes(join(dir, 'doc.phext'))).toString().endsWith('last'));
  });
});
