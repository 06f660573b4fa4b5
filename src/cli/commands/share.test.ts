import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Coordinate, Phext, checksum, serialize } from '../../phext/index.js';
import { runSq } from '../../testing/run-sq.js';
import { killAll, launchSq } from '../../testing/sq-child.js';
import { durableBytes } from '../../testing/durable-phext.js';
import { tempDir } from '../../testing/temp-dir.js';

// Daemons some tests leave running are killed before their directories go.
after(killAll);
const root = tempDir({ after }, 'sq-share-');
/** A fresh directory per test, under the file's real-path root (the daemon records real paths). */
const freshDir = (): string => mkdtempSync(join(root, 'case-'));
/** Runs `node bin/sq <args>` in `cwd`. */
const sq = (cwd: string, ...args: string[]) => runSq(args, { cwd });
/** Starts `sq share notes.phext` in `cwd` and waits for its `Sharing ...` line. */
const startShare = (cwd: string) => launchSq(['share', 'notes.phext'], { cwd, ready: /^Sharing .+ on .+\n/ });

const C1 = '1.1.1/1.1.1/1.1.1';
const C2 = '1.1.1/1.1.1/1.1.2';
const C3 = '2.1.1/1.3.1/1.1.5';
const at = (text: string) => Coordinate.parse(text);

/** Runs an sq client command that must succeed; returns its stdout. */
async function ok(cwd: string, ...args: string[]): Promise<string> {
  const r = await sq(cwd, ...args);
  assert.equal(r.code, 0, `sq ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('sq share and its clients', { concurrency: 3 }, () => {
  it('insert, select, update, toc, checksum, save, json-export, delete, shutdown', async () => {
    const dir = freshDir();
    const daemon = await startShare(dir);
    assert.equal(daemon.stdout(), 'Sharing notes.phext on .sq/sq.sock\n');
    assert.equal(statSync(join(dir, '.sq')).mode & 0o777, 0o700);
    assert.equal(JSON.parse(readFileSync(join(dir, '.sq', 'sq.json'), 'utf8')).pid, daemon.child.pid);

    assert.equal(await ok(dir, 'insert', C1, 'hello'), `${C1}: Inserted 5 bytes\n`);
    assert.equal(await ok(dir, 'insert', '1.1.1/1.1.1/1.1.1', ' world'), `${C1}: Inserted 6 bytes\n`);
    assert.equal(await ok(dir, 'select', C1), `${C1}: hello world\n`);
    assert.equal(await ok(dir, 'update', C2, 'line1\nline2 café'), `${C2}: Updated 17 bytes\n`);
    assert.equal(await ok(dir, 'insert', '2.1.1/1.3.1/1.1.5', 'far away'), `${C3}: Inserted 8 bytes\n`);
    assert.equal(await ok(dir, 'select', '7.7.7'), '7.7.1/1.1.1/1.1.7: \n', 'an empty scroll selects as empty');

    const expected = new Phext();
    expected.set(at(C1), 'hello world');
    expected.set(at(C2), 'line1\nline2 café');
    expected.set(at(C3), 'far away');
    const bytes = serialize(expected);
    // Acknowledged writes are durable already, byte for byte (the file once its log is folded in).
    assert.deepEqual(await durableBytes(join(dir, 'notes.phext')), bytes);
    assert.equal(await ok(dir, 'toc'), `* ${C1}: hello world\n* ${C2}: line1...\n* ${C3}: far away\n`);
    assert.equal(await ok(dir, 'checksum'), checksum(bytes) + '\n');
    assert.match(
      await ok(dir, 'status'),
      new RegExp(`^Hosting: notes\\.phext\nConnection ID: \\d+\nPhext Size: ${bytes.length}\nScrolls: 3\nVersion: 4\n$`),
    );
    assert.equal(await ok(dir, 'delta'), [C1, C2, C3].map((c) => `${c}: ${checksum(expected.get(at(c)))}\n`).join(''));
    assert.deepEqual(Buffer.from(await ok(dir, 'get'), 'utf8'), bytes);

    assert.equal(await ok(dir, 'save', 'copy.phext'), `Saved ${bytes.length} bytes to copy.phext\n`);
    assert.deepEqual(readFileSync(join(dir, 'copy.phext')), bytes);
    assert.equal(await ok(dir, 'json-export', 'all.json'), 'Exported 3 scrolls to all.json\n');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'all.json'), 'utf8')), [
      { coord: C1, scroll: 'hello world' },
      { coord: C2, scroll: 'line1\nline2 café' },
      { coord: C3, scroll: 'far away' },
    ]);

    assert.equal(await ok(dir, 'delete', C2), `${C2}: Removed 17 bytes\n`);
    assert.equal(await ok(dir, 'delete', C2), `${C2}: Removed 0 bytes\n`);
    expected.set(at(C2), '');
    assert.deepEqual(await durableBytes(join(dir, 'notes.phext')), serialize(expected));

    assert.match(await ok(dir, 'shutdown'), /^Stopped sharing .*notes\.phext\n$/);
    assert.deepEqual(await daemon.exited, { code: 0, signal: null });
    assert.ok(!existsSync(join(dir, '.sq', 'sq.sock')), 'socket removed');
    assert.ok(!existsSync(join(dir, '.sq', 'sq.json')) && !existsSync(join(dir, '.sq', 'sq.pid')));
    const after = await sq(dir, 'select', C1);
    assert.equal(after.code, 1);
    assert.equal(after.stderr, 'sq select: no daemon is running here; start one with: sq share <file.phext>\n');
  });

  it('refuses scroll text with delimiters and reports daemon errors on one line, exit 1', async () => {
    const dir = freshDir();
    await startShare(dir);
    const split = await sq(dir, 'update', C1, 'a\x17b');
    assert.equal(split.code, 1);
    assert.match(split.stderr, /^sq update: scroll text contains a phext delimiter byte .*\n$/);
    assert.ok(!existsSync(join(dir, 'notes.phext')), 'nothing written');
    assert.equal(await ok(dir, 'where', 'x'.repeat(120)), 'Calculated coordinate 1.1.1/1.1.1/1.1.1 for input (algo=xor, limit=100).\n');
    assert.match(
      await ok(dir, 'where', '--algo', 'checksum', '--limit', '5', 'abc'),
      /^Calculated coordinate (\d+\.\d+\.\d+\/){2}\d+\.\d+\.\d+ for input \(algo=checksum, limit=5\)\.\n$/,
    );
    await ok(dir, 'shutdown');
  });

  it('push and pull round-trip a file with multi-byte UTF-8', async () => {
    const dir = freshDir();
    await startShare(dir);
    const text = 'naïve café — 日本語 🚀\nsecond line\n';
    writeFileSync(join(dir, 'in.txt'), text);
    const bytes = Buffer.byteLength(text);
    assert.equal(await ok(dir, 'push', '1.2.3/4.5.6/7.8.9', 'in.txt'), `1.2.3/4.5.6/7.8.9: Updated ${bytes} bytes\n`);
    assert.equal(await ok(dir, 'pull', '1.2.3/4.5.6/7.8.9', 'out.txt'), `1.2.3/4.5.6/7.8.9: Pulled ${bytes} bytes into out.txt\n`);
    assert.deepEqual(readFileSync(join(dir, 'out.txt')), readFileSync(join(dir, 'in.txt')));

    writeFileSync(join(dir, 'bad.txt'), Buffer.from([0x61, 0xff, 0x62]));
    const bad = await sq(dir, 'push', C1, 'bad.txt');
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'sq push: bad.txt cannot be a scroll: not valid UTF-8\n');
  });

  it('slurps the text files of a directory into consecutive scrolls with a summary', async () => {
    const dir = freshDir();
    await startShare(dir);
    const src = join(dir, 'docs');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'b.md'), '# B\n');
    writeFileSync(join(src, 'a.txt'), 'alpha');
    writeFileSync(join(src, 'c.txt'), 'gamma ✓');
    writeFileSync(join(src, 'image.bin'), Buffer.from([0x89, 0x50, 0x00, 0x01]));
    writeFileSync(join(src, 'split.txt'), 'one\x17two');
    writeFileSync(join(src, 'sub', 'nested.txt'), 'not imported');

    const r = await sq(dir, 'slurp', '3.1.1/1.1.1/1.1.10', 'docs');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '3.1.1/1.1.1/1.1.10: Slurped 3 files into 3.1.1/1.1.1/1.1.11 .. 3.1.1/1.1.1/1.1.13\n');
    assert.equal(
      r.stderr,
      'sq slurp: warning: skipping image.bin: binary (contains NUL bytes)\n' +
        'sq slurp: warning: skipping split.txt: contains phext delimiter bytes\n',
    );
    assert.equal(
      await ok(dir, 'select', '3.1.1/1.1.1/1.1.10'),
      '3.1.1/1.1.1/1.1.10: a.txt -> 3.1.1/1.1.1/1.1.11\nb.md -> 3.1.1/1.1.1/1.1.12\nc.txt -> 3.1.1/1.1.1/1.1.13\n',
    );
    assert.equal(await ok(dir, 'select', '3.1.1/1.1.1/1.1.11'), '3.1.1/1.1.1/1.1.11: alpha\n');
    assert.equal(await ok(dir, 'select', '3.1.1/1.1.1/1.1.12'), '3.1.1/1.1.1/1.1.12: # B\n');
    assert.equal(await ok(dir, 'select', '3.1.1/1.1.1/1.1.13'), '3.1.1/1.1.1/1.1.13: gamma ✓\n');
    assert.equal(await ok(dir, 'select', '3.1.1/1.1.1/1.1.14'), '3.1.1/1.1.1/1.1.14: \n');

    const full = await sq(dir, 'slurp', '1.1.1/1.1.1/1.1.997', 'docs');
    assert.equal(full.code, 1);
    assert.match(full.stderr, /sq slurp: 3 files do not fit after 1\.1\.1\/1\.1\.1\/1\.1\.997: scroll 1000 is past 999\n$/);
  });

  it('diff lists the coordinates that differ from another phext file', async () => {
    const dir = freshDir();
    await startShare(dir);
    await ok(dir, 'update', C1, 'same');
    await ok(dir, 'update', C2, 'mine');
    await ok(dir, 'update', '1.1.2/1.1.1/1.1.1', 'only shared');
    const other = new Phext();
    other.set(at(C1), 'same');
    other.set(at(C2), 'theirs');
    other.set(at('1.1.1/1.1.1/1.1.3'), 'only other');
    writeFileSync(join(dir, 'other.phext'), serialize(other));
    assert.equal(await ok(dir, 'diff', 'other.phext'), `~ ${C2}\n+ 1.1.1/1.1.1/1.1.3\n- 1.1.2/1.1.1/1.1.1\n`);
    await ok(dir, 'save', 'same.phext');
    assert.equal(await ok(dir, 'diff', 'same.phext'), '', 'identical phexts: no output');
  });
});

describe('sq share lifecycle', { concurrency: 3 }, () => {
  it('replaces the socket of a killed daemon; the data survives', async () => {
    const dir = freshDir();
    const first = await startShare(dir);
    await ok(dir, 'insert', C1, 'durable');
    first.child.kill('SIGKILL');
    await first.exited;
    assert.ok(existsSync(join(dir, '.sq', 'sq.sock')), 'the killed daemon left its socket');
    const stale = await sq(dir, 'select', C1);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /no daemon is running here/);

    const second = await startShare(dir);
    assert.equal(await ok(dir, 'select', C1), `${C1}: durable\n`);
    assert.equal(JSON.parse(readFileSync(join(dir, '.sq', 'sq.json'), 'utf8')).pid, second.child.pid);
    await ok(dir, 'shutdown');
    assert.deepEqual(await second.exited, { code: 0, signal: null });
  });

  it('refuses a second share while one runs', async () => {
    const dir = freshDir();
    const first = await startShare(dir);
    const again = await sq(dir, 'share', 'other.phext');
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `sq share: a daemon is already serving notes.phext (pid ${first.child.pid})\n`);
    assert.match(await ok(dir, 'status'), /^Hosting: notes\.phext\n/, 'the first still serves');
    assert.equal(JSON.parse(readFileSync(join(dir, '.sq', 'sq.json'), 'utf8')).pid, first.child.pid);
  });

  it('flushes and exits 0 on SIGTERM, removing the socket', async () => {
    const dir = freshDir();
    const daemon = await startShare(dir);
    await ok(dir, 'insert', C1, 'kept');
    daemon.child.kill('SIGTERM');
    assert.deepEqual(await daemon.exited, { code: 0, signal: null });
    assert.ok(!existsSync(join(dir, '.sq', 'sq.sock')));
    assert.equal(readFileSync(join(dir, 'notes.phext'), 'utf8'), 'kept');
  });

  it('falls back to a socket under the temp dir when the directory is too deep', async () => {
    const dir = join(freshDir(), 'a-rather-long-directory-name-'.repeat(3));
    mkdirSync(dir);
    const daemon = await startShare(dir);
    const socket = JSON.parse(readFileSync(join(dir, '.sq', 'sq.json'), 'utf8')).socket as string;
    assert.ok(!socket.startsWith(dir) && Buffer.byteLength(socket) <= 100, socket);
    assert.equal(daemon.stdout(), `Sharing notes.phext on ${socket}\n`);
    assert.equal(await ok(dir, 'insert', C1, 'deep'), `${C1}: Inserted 4 bytes\n`);
    await ok(dir, 'shutdown');
    assert.deepEqual(await daemon.exited, { code: 0, signal: null });
    assert.ok(!existsSync(socket));
  });

  it('refuses to share a file that is not valid UTF-8, and leaves it alone', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'broken.phext'), Buffer.from([0x61, 0xc3]));
    const r = await sq(dir, 'share', 'broken.phext');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^sq share: .*UTF-8/);
    assert.deepEqual(readFileSync(join(dir, 'broken.phext')), Buffer.from([0x61, 0xc3]));
  });

  it('init creates an empty phext and .sq/, and never overwrites', async () => {
    const dir = freshDir();
    assert.match(await ok(dir, 'init', 'new.phext'), /^Created empty phext new\.phext/);
    assert.equal(readFileSync(join(dir, 'new.phext')).length, 0);
    assert.equal(statSync(join(dir, '.sq')).mode & 0o777, 0o700);
    writeFileSync(join(dir, 'new.phext'), 'content');
    assert.equal(await ok(dir, 'init', 'new.phext'), 'new.phext already exists; left as it is\n');
    assert.equal(readFileSync(join(dir, 'new.phext'), 'utf8'), 'content');
  });
});

describe('sq client usage errors', { concurrency: 4 }, () => {
  const cases: [string[], RegExp][] = [
    [['insert', C1], /expected <coord> <text>/],
    [['select'], /expected <coord>/],
    [['toc', 'extra'], /expected no arguments/],
    [['select', '1.1.1/1.1.1/1.1000.1'], /invalid coordinate: section is 1000, outside 1\.\.999/],
    [['update', '1.1.1/1.1.1/1.1.1000', 'x'], /scroll is 1000, outside/],
    [['insert', 'hello', '1.1.1'], /invalid coordinate 'hello'/],
    [['where', '--algo', 'md5', 'x'], /--algo must be xor or checksum/],
    [['share'], /expected exactly one <file\.phext>/],
    [['share', 'notes.txt'], /expected a file ending in \.phext/],
    [['select', '--bogus', C1], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    it(`sq ${args.join(' ')} → exit 2 with usage`, async () => {
      const r = await sq(freshDir(), ...args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.match(r.stderr, new RegExp(`\\n\\nUsage: sq ${args[0]}`));
    });
  }
});
