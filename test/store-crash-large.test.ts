// Crash tests of a 100 MB phext: `kill -9` of the store writer while it appends to the change log,
// while a checkpoint rewrites the whole file, and while a restart replays a big log. The moment of
// each kill is an event on disk (acknowledgements, a temp file, a rename, the bytes a load has
// read), not a guess of how long something takes. After each: every acknowledged write is durable,
// the `.phext` is whole (the old file or a checkpoint's new one), a restart serves exactly what is
// durable at a version no lower than any acknowledged, and loading twice gives the same.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BREAK_FOR_PART } from '../src/phext/delimiters.js';
import { Coordinate, checksum, parse, type Phext } from '../src/phext/index.js';
import { writeFileAtomic } from '../src/store/atomic-write.js';
import { logPathOf } from '../src/store/change-log.js';
import { sameStamp, stampOf } from '../src/store/file-stamp.js';
import { OpenLog } from '../src/store/open-log.js';
import { assertEarlierState, wholePhext } from '../src/testing/crash-checks.js';
import { durableBytes } from '../src/testing/durable-phext.js';
import { marker, NO_CHECKPOINTS, STORE_WRITER, type WriterSettings, writerEnv } from '../src/testing/store-writer.js';
import { type Cleanup, tempDir } from '../src/testing/temp-dir.js';
import { waitFor } from '../src/testing/wait.js';

const SECTIONS = 100;
const SCROLLS = 999;
const MARKERS_PER_SCROLL = 21; // ~1 KB a scroll, ~100 MB in all
const WRITERS = 8;
/** Kills per test: each costs a load of the 100 MB phext and a check of it, a few seconds. */
const ROUNDS = 3;
/** Room for the large phext in the writer's cache (3× its size) and under its size limit. */
const LARGE: WriterSettings = { cacheBytes: 1 << 30, maxPhextBytes: 1 << 30 };

/**
 * The 100 MB phext, written byte by byte with the delimiter table rather than built scroll by
 * scroll (seconds less). It begins with a chapter break: its scrolls are in chapter 2, apart from
 * the writers' (always chapter 1), so a write never replaces one and each must stay as it is.
 * Its scrolls are made of markers like the writers', so the crash checks read them as whole.
 */
function largePhext(path: string): { bytes: Buffer; phext: Phext } {
  const pieces: Buffer[] = [Buffer.from([BREAK_FOR_PART[6]!])];
  const scrollBreak = Buffer.from([BREAK_FOR_PART[8]!]);
  const sectionBreak = Buffer.from([BREAK_FOR_PART[7]!]);
  for (let s = 1; s <= SECTIONS; s++) {
    if (s > 1) pieces.push(sectionBreak);
    for (let n = 1; n <= SCROLLS; n++) {
      if (n > 1) pieces.push(scrollBreak);
      pieces.push(Buffer.from(marker(0, s, n).repeat(MARKERS_PER_SCROLL)));
    }
  }
  const bytes = Buffer.concat(pieces);
  writeFileSync(path, bytes);
  const phext = parse(bytes);
  assert.equal(phext.size, SECTIONS * SCROLLS);
  return { bytes, phext };
}

interface Ready {
  version: number;
  checksum: string;
}
interface Ack {
  coord: string;
  text: string;
  version: number;
}

/** One run of the store writer, killed by the test once the event it waits for has happened. */
class WriterRun {
  readonly acks: Ack[] = [];
  readonly notices: string[] = [];
  readonly ready: Promise<Ready>;
  /** Whether the load had finished (`ready`) by the kill. */
  loaded = false;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<NodeJS.Signals | null>;
  private exitedEarly: string | undefined;
  private stderr = '';

  constructor(t: Cleanup, file: string, round: number, writers: number, settings: WriterSettings) {
    this.child = spawn(process.execPath, [STORE_WRITER, file, String(round), String(writers)], {
      env: writerEnv({ ...LARGE, ...settings }),
    });
    // A failed assertion must not leave a writer behind (one without writers waits to be killed).
    t.after(() => void this.child.kill('SIGKILL'));
    let onReady: (ready: Ready) => void = () => undefined;
    this.ready = new Promise((resolve) => (onReady = resolve));
    let partial = '';
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      // Only complete lines count: a line is printed after its mutation resolved.
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const [kind, a = '', b = '', c = ''] = line.split(' ');
        if (kind === 'ack') this.acks.push({ coord: a, text: b, version: Number(c) });
        else if (kind === 'ready') {
          this.loaded = true;
          onReady({ version: Number(a), checksum: b });
        } else if (kind === 'notice') this.notices.push(line);
      }
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code, signal) => {
        if (signal !== 'SIGKILL') this.exitedEarly = `the writer exited by itself (code ${code}): ${this.stderr}`;
        resolve(signal);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves once `n` writes were acknowledged. */
  acked(n: number): Promise<void> {
    return this.until(`${n} acknowledged writes`, () => this.acks.length >= n);
  }

  /**
   * Polls `done` every millisecond (the writer goes on meanwhile, so the kill lands right after
   * the event); refuses if the writer exits first, which would leave the event untested.
   */
  async until(what: string, done: () => boolean): Promise<void> {
    await waitFor(
      () => done() || this.exitedEarly !== undefined,
      60_000,
      () => `${what}: not within a minute: ${this.stderr}`,
      1,
    );
    assert.equal(this.exitedEarly, undefined, `waiting for ${what}`);
  }

  /** SIGKILL; resolves once the writer is gone. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
    assert.equal(this.exitedEarly, undefined);
  }

  /**
   * Resolves once the writer has read the phext (one read of `phextBytes`) and then all but the
   * last few KiB of its change log (`logBytes`): a restart's load is then reading the log's last
   * frames, or replaying them. Linux counts the bytes a process has read in /proc/<pid>/io; what
   * node read before the phext (its modules) is the count when the phext's read shows.
   */
  async readLog(phextBytes: number, logBytes: number): Promise<void> {
    let before: number | undefined;
    await this.until('the log read', () => {
      const read = this.bytesRead();
      if (before === undefined && read >= phextBytes) before = read - phextBytes;
      // Once loaded the moment has passed: killLoad says so rather than waiting on.
      return this.loaded || (before !== undefined && read >= before + phextBytes + logBytes - Math.min(64 << 10, logBytes >> 1));
    });
  }

  private bytesRead(): number {
    try {
      return Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${this.pid}/io`, 'utf8'))?.[1] ?? 0);
    } catch {
      return 0; // not yet started, or gone: the wait ends on its exit
    }
  }
}

/** What a file went through, round by round, and what every restart must give back. */
class History {
  private readonly acknowledged = new Map<string, string[]>(); // coordinate → markers it must hold
  /** The highest version any write was acknowledged with, or a restart loaded. */
  version = 0;
  /** The checksum of the durable phext after the last kill: what the next restart must serve. */
  durableChecksum: string;
  acks = 0;
  fileChanges = 0;

  constructor(
    private readonly t: Cleanup,
    readonly file: string,
    private last: { bytes: Buffer; phext: Phext },
  ) {
    this.durableChecksum = checksum(last.bytes);
  }

  /** A restart serves exactly the durable phext, at a version that never went back. */
  checkReady(ready: Ready, when: string): void {
    assert.equal(ready.checksum, this.durableChecksum, `${when}: the restart does not serve the durable phext`);
    assert.ok(ready.version >= this.version, `${when}: version went back from ${this.version} to ${ready.version}`);
    this.version = ready.version;
  }

  /**
   * After a kill: the durable phext (the file with its change log applied, what a restart loads)
   * holds every acknowledged marker, once, in whole scrolls; the `.phext` itself, replaced only whole by
   * checkpoints, is whole too, a state the durable phext went through and never older than the
   * one the kill before left. Returns whether the `.phext` changed.
   */
  async checkAfterKill(run: WriterRun, when: string): Promise<boolean> {
    for (const ack of run.acks) {
      this.acknowledged.set(ack.coord, [...(this.acknowledged.get(ack.coord) ?? []), ack.text]);
      this.version = Math.max(this.version, ack.version);
    }
    this.acks += run.acks.length;
    const durableBuffer = await durableBytes(this.file);
    const durable = wholePhext(durableBuffer, `${when}: the durable phext`);
    for (const [coord, markers] of this.acknowledged) {
      const text = durable.get(Coordinate.parse(coord));
      for (const m of markers) {
        assert.ok(text.includes(m), `${when}: acknowledged ${m} at ${coord} is missing`);
        // Each marker was written once: twice would be a record applied over itself.
        assert.equal(text.indexOf(m), text.lastIndexOf(m), `${when}: acknowledged ${m} at ${coord} is there twice`);
      }
    }
    this.durableChecksum = checksum(durableBuffer);
    const bytes = readFileSync(this.file);
    if (bytes.equals(this.last.bytes)) {
      assertEarlierState(this.last.phext, durable, `${when}: the file against the durable phext`);
      return false;
    }
    const onDisk = wholePhext(bytes, `${when}: the file`);
    assertEarlierState(onDisk, durable, `${when}: the file against the durable phext`);
    assertEarlierState(this.last.phext, onDisk, `${when}: the file against the one the kill before left`);
    this.last = { bytes, phext: onDisk };
    this.fileChanges++;
    return true;
  }

  /**
   * Two restarts that write nothing load the same bytes at the same version, that of the last
   * restart or more: replay is idempotent, and a re-based log is written once. Returns it.
   */
  async checkRestartsAgree(settings: WriterSettings = NO_CHECKPOINTS): Promise<Ready> {
    const loads: Ready[] = [];
    for (const n of [1, 2]) {
      const run = new WriterRun(this.t, this.file, 0, 0, settings);
      const ready = await run.ready;
      await run.kill();
      this.checkReady(ready, `restart ${n} without writes`);
      // The first may find a checkpoint the last kill cut short, and write a new log before serving.
      if (n === 2) assert.deepEqual(run.notices, [], 'the second restart re-based the log again');
      loads.push(ready);
    }
    assert.deepEqual(loads[1], loads[0], 'a second restart loads another phext or version');
    return loads[0]!;
  }
}

/** A random whole number from `min` to `max`. */
const between = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

test('kill -9 while writers append to the change log of a 100 MB phext loses no acknowledged write', async (t) => {
  const file = join(tempDir(t), 'large.phext');
  const fixture = largePhext(file);
  const history = new History(t, file, fixture);
  for (let round = 1; round <= ROUNDS; round++) {
    const run = new WriterRun(t, file, round, WRITERS, NO_CHECKPOINTS);
    history.checkReady(await run.ready, `round ${round}`);
    const killAt = between(1, 400);
    await run.acked(killAt);
    await run.kill();
    const when = `round ${round} (killed after ${killAt} acknowledged writes)`;
    const changed = await history.checkAfterKill(run, when);
    // Appends go to the log alone: the `.phext` is left as it was, byte for byte.
    assert.equal(changed, false, `${when}: the .phext was written without a checkpoint`);
  }
  assert.ok((await OpenLog.read(file))?.unfolded.size, 'the writes were not in the change log');
  await history.checkRestartsAgree();
  t.diagnostic(`${history.acks} acknowledged writes over ${ROUNDS} kills; log ${statSync(logPathOf(file)).size} bytes`);
});

test('kill -9 during a checkpoint of a 100 MB phext leaves the old file or the new one, whole', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'large.phext');
  const fixture = largePhext(file);
  const history = new History(t, file, fixture);
  // Every commit calls a checkpoint: one is always being written while the writers go on.
  const always: WriterSettings = { checkpointMinBytes: 1, checkpointRatio: 0, checkpointIdleMs: 1e9 };
  const moments = ['staging', 'staged', 'installed', 'relogged'] as const;
  let lastPid = 0;
  let cutShort = 0;
  for (const [i, moment] of moments.entries()) {
    const round = i + 1;
    const before = stampOf(statSync(file, { bigint: true }));
    const run = new WriterRun(t, file, round, WRITERS, always);
    lastPid = run.pid;
    history.checkReady(await run.ready, `round ${round}`);
    // A checkpoint is staged beside the file as `.large.phext.tmp-<pid>-<n>`, then renamed over it.
    const staging = (): number => {
      const temp = readdirSync(dir).find((n) => n.startsWith(`.large.phext.tmp-${run.pid}-`));
      return temp ? (statSync(join(dir, temp), { throwIfNoEntry: false })?.size ?? 0) : 0;
    };
    const fraction = between(10, 90) / 100;
    if (moment === 'staging') await run.until('checkpoint partly written', () => staging() >= fraction * fixture.bytes.length);
    // Its last megabytes: the write, its fsync or the rename.
    if (moment === 'staged') await run.until('checkpoint written', () => staging() >= fixture.bytes.length);
    const renamed = (): boolean => !sameStamp(stampOf(statSync(file, { bigint: true })), before);
    // Right after the rename: often before the new log replaces the old one.
    if (moment === 'installed') await run.until('checkpoint renamed', renamed);
    // Writing on after the new log replaced the old one: what was acknowledged while the file
    // was written is in no file but that log.
    if (moment === 'relogged') {
      const log = stampOf(statSync(logPathOf(file), { bigint: true })); // a load may re-base it
      await run.until('new log', () => renamed() && !sameStamp(stampOf(statSync(logPathOf(file), { bigint: true })), log));
      await run.acked(run.acks.length + between(1, 100));
    }
    // The first checkpoint of the round, unless the polls missed it whole (a busy machine).
    const first = !renamed();
    await run.kill();
    const when = `round ${round} (killed ${moment === 'staging' ? `${fraction * 100}% into` : moment} a checkpoint)`;
    const changed = await history.checkAfterKill(run, when);
    if (moment === 'staging' && first) assert.equal(changed, false, `${when}: the .phext changed before its checkpoint was written`);
    if (moment === 'installed') {
      assert.ok(changed, `${when}: the .phext did not change`);
      const log = await OpenLog.read(file);
      if (!sameStamp(log?.base, stampOf(statSync(file, { bigint: true })))) cutShort++;
    }
  }
  assert.ok(history.acks > 0, 'no write was ever acknowledged');
  // The next writer sweeps a killed one's temp files: only the last kill's may remain.
  const leftovers = readdirSync(dir).filter((n) => n !== 'large.phext' && n !== '.large.phext.log');
  for (const n of leftovers)
    assert.match(n, new RegExp(`^\\.\\.?large\\.phext(\\.log)?\\.tmp-${lastPid}-\\d+$`), 'stale temp files pile up');
  await history.checkRestartsAgree();
  t.diagnostic(`${history.acks} acknowledged writes; the file changed in ${history.fileChanges} of ${moments.length} kills`);
  t.diagnostic(`the kill after the rename came before the new log ${cutShort} time(s)`);
});

// The moment of the kill is read from /proc/<pid>/io, which only Linux has.
const noProc = !existsSync('/proc/self/io') && 'needs /proc/<pid>/io (Linux)';

test('kill -9 while a restart replays a big change log over a 100 MB phext, then again', { skip: noProc }, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'large.phext');
  const fixture = largePhext(file);
  const history = new History(t, file, fixture);
  // A big log: thousands of writes, none folded in.
  const writes = new WriterRun(t, file, 1, WRITERS, NO_CHECKPOINTS);
  history.checkReady(await writes.ready, 'writing the log');
  await writes.acked(3000);
  await writes.kill();
  await history.checkAfterKill(writes, 'writing the log');
  const logBytes = statSync(logPathOf(file)).size;
  const logged = (await OpenLog.read(file))!;

  // A load reads the file, then the log, then decodes and replays its records: the kill lands
  // there, a few milliseconds after the log was read (the decoding alone takes tens).
  const replayed = async (run: WriterRun): Promise<void> => {
    await run.readLog(statSync(file).size, statSync(logPathOf(file)).size);
    await new Promise((r) => setTimeout(r, between(0, 30)));
  };
  /** A kill of a restart that must have come before its load was done. */
  const killLoad = async (run: WriterRun, when: string): Promise<void> => {
    await run.kill();
    assert.equal(run.loaded, false, `${when}: the load was done before the kill`);
    await history.checkAfterKill(run, when);
  };
  const plain = new WriterRun(t, file, 0, 0, NO_CHECKPOINTS);
  await replayed(plain);
  await killLoad(plain, 'replay');
  const restart = new WriterRun(t, file, 0, 0, NO_CHECKPOINTS);
  const reloaded = await restart.ready;
  await restart.kill();
  history.checkReady(reloaded, 'restart after the replay');
  assert.equal(reloaded.version, logged.version, 'a plain replay moved the version');

  // A checkpoint cut short after its rename: the file holds every logged write, the log is still
  // the old one, based on the file before. A load applies the log again on top of the file, moves
  // the version on and writes a new log before serving (`..large.phext.log.tmp-<pid>-<n>`, then
  // renamed over the log). Killed while it writes that log, and then (unless that kill came
  // after its rename) once it is in place; else in the replay over the re-based log.
  const folded = await durableBytes(file);
  await writeFileAtomic(file, folded);
  const oldLog = stampOf(statSync(logPathOf(file), { bigint: true }));
  const logMoved = (): boolean => !sameStamp(stampOf(statSync(logPathOf(file), { bigint: true })), oldLog);
  for (const round of [1, 2]) {
    const run = new WriterRun(t, file, 0, 0, NO_CHECKPOINTS);
    let moment: string;
    if (round === 1) {
      moment = 'the new log being written';
      // A small log is written and synced within a poll or two: seen once renamed, if not before.
      const writing = () => readdirSync(dir).some((n) => n.startsWith(`..large.phext.log.tmp-${run.pid}-`));
      await run.until(moment, () => writing() || logMoved() || run.loaded);
    } else if (!logMoved()) {
      moment = 'the new log in place';
      await run.until(moment, () => logMoved() || run.loaded);
    } else {
      moment = 'the replay after the first re-base';
      await replayed(run);
    }
    await killLoad(run, `re-based replay killed at ${moment}`);
    if (round === 1) t.diagnostic(`the first re-basing load was killed ${logMoved() ? 'after' : 'before'} its new log's rename`);
  }
  assert.ok(logMoved(), 'no load wrote a new log');
  const rebased = await history.checkRestartsAgree();
  assert.equal(rebased.version, logged.version + 1, 'the re-base moves the version on once, however many loads were cut short');
  // The file held every record already: applied again, they change nothing.
  assert.equal(rebased.checksum, checksum(folded), 'records applied again over a file that holds them changed it');
  t.diagnostic(`log of ${logBytes} bytes, ${logged.unfolded.size} scrolls replayed; version ${logged.version} → ${rebased.version}`);
});
