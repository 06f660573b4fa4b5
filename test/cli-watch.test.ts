// `sq watch` as a child process against a real `sq host` on an ephemeral port.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHost, type HostProcess } from '../src/testing/host-process.js';
import { runSq } from '../src/testing/run-sq.js';
import { api } from '../src/testing/sq-api.js';
import { SQ_BIN } from '../src/testing/sq-child.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { waitFor } from '../src/testing/wait.js';

const KEY = 'watch-cli-key-0123456789';

/** A running `sq watch` and what it has printed. */
interface Watcher {
  readonly child: ChildProcess;
  lines(): string[];
  stderr(): string;
  /** Waits until at least `n` lines are out (fails at once if the watcher exits first). */
  untilLines(n: number, what: string): Promise<void>;
  readonly exited: Promise<number | null>;
}

const watchers: ChildProcess[] = [];
after(() => {
  for (const w of watchers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
});

function startWatcher(args: string[], env: NodeJS.ProcessEnv = { SQ_KEY: KEY }): Watcher {
  const child = spawn(process.execPath, [SQ_BIN, 'watch', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  watchers.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const lines = () => stdout.split('\n').slice(0, -1);
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    untilLines: (n, what) =>
      waitFor(
        () => lines().length >= n || child.exitCode !== null,
        20_000,
        () => `${what}: ${lines().length} lines of ${n}:\n${stdout}\n${stderr}`,
      ).then(() => assert.ok(lines().length >= n, `${what}: the watcher exited (${child.exitCode}):\n${stdout}\n${stderr}`)),
  };
}

const coordOf = (i: number) => `1.1.1/1.1.1/1.1.${i}`;
const write = async (port: number, i: number): Promise<void> => {
  const reply = await api(port, KEY, 'insert', { p: 'notes', c: coordOf(i), s: 'x'.repeat(i) });
  assert.equal(reply.status, 200, reply.text);
};
const expected = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, k) => `${from + k} insert ${coordOf(from + k)} ${from + k}`);

describe('sq watch', () => {
  it('prints the writes made over HTTP as lines, in order, and exits 0 on SIGINT', async (t) => {
    const host = await startHost(t, { args: ['--key', KEY, '--log-format', 'off'] });
    await write(host.port, 1);
    // --since 0 replays the first write, so the watcher is known to be subscribed before the next.
    const watcher = startWatcher([`http://127.0.0.1:${host.port}`, '-p', 'notes', '--since', '0']);
    await watcher.untilLines(1, 'the replayed write');
    for (let i = 2; i <= 20; i++) await write(host.port, i);
    await watcher.untilLines(20, 'the live writes');
    assert.deepEqual(watcher.lines(), expected(1, 20));
    const removed = await api(host.port, KEY, 'delete', { p: 'notes', c: coordOf(3) });
    assert.equal(removed.status, 200);
    await watcher.untilLines(21, 'the delete');
    assert.equal(watcher.lines()[20], `21 delete ${coordOf(3)} 0`);
    watcher.child.kill('SIGINT');
    assert.equal(await watcher.exited, 0);
    assert.equal(watcher.stderr(), '');
  });

  it('follows one branch with -c, or every phext without -p', async (t) => {
    const host = await startHost(t, { args: ['--key', KEY, '--log-format', 'off'] });
    const url = `http://127.0.0.1:${host.port}`;
    const branch = startWatcher([url, '-p', 'notes', '-c', '1.1.1/1.1.1/1.1.2']);
    const wide = startWatcher([url]);
    // Both subscribed (the host counts its open streams) before the writes they must see.
    for (let tries = 0; ; tries++) {
      const metrics = await host.call('GET', '/metrics');
      if (/^sq_watch_streams 2$/m.test(metrics.text)) break;
      assert.ok(tries < 1000, `the watchers did not connect:\n${branch.stderr()}${wide.stderr()}`);
      await sleep(20);
    }
    for (let i = 1; i <= 3; i++) await write(host.port, i);
    // An update that makes a new scroll is reported as an insert.
    const other = await api(host.port, KEY, 'update', { p: 'todo', c: coordOf(1), s: 'milk' });
    assert.equal(other.status, 200);
    await wide.untilLines(4, 'every phext');
    await branch.untilLines(1, 'one scroll');
    assert.deepEqual(wide.lines(), [...expected(1, 3).map((line) => `notes:${line}`), `todo:1 insert ${coordOf(1)} 4`]);
    assert.deepEqual(branch.lines(), [`2 insert ${coordOf(2)} 2`]);
    for (const w of [branch, wide]) w.child.kill('SIGINT');
    assert.deepEqual(await Promise.all([branch.exited, wide.exited]), [0, 0]);
    assert.deepEqual(branch.lines(), [`2 insert ${coordOf(2)} 2`]);
  });

  it('resumes after the host restarts, with no gap and no duplicate', async (t) => {
    // No idle checkpoint: the restarted host still holds the changes in its log, so the resume
    // replays them rather than answering reset.
    const hostArgs = ['--key', KEY, '--log-format', 'off', '--checkpoint-idle-ms', '600000'];
    const first = await startHost(t, { args: hostArgs });
    const { port, dataDir } = first;
    await write(port, 1);
    const watcher = startWatcher([`http://127.0.0.1:${port}`, '-p', 'notes', '--since', '0']);
    await watcher.untilLines(1, 'the replayed write');
    for (let i = 2; i <= 5; i++) await write(port, i);
    await watcher.untilLines(5, 'the writes before the restart');
    await first.kill();
    await waitFor(
      () => watcher.stderr().includes('reconnecting after 5'),
      20_000,
      () => `the watcher did not notice the restart: ${watcher.stderr()}`,
    );
    let second: SqProcess | undefined;
    t.after(() => second?.kill());
    second = await startSq(['host', String(port), '--bind', '127.0.0.1', '--data-dir', dataDir, ...hostArgs], { env: { SQ_KEY: '' } });
    // Some of these land before the watcher is back (replayed from the log), some after (live).
    for (let i = 6; i <= 12; i++) await write(port, i);
    await watcher.untilLines(12, 'the writes after the restart');
    assert.deepEqual(watcher.lines(), expected(1, 12));
    watcher.child.kill('SIGINT');
    assert.equal(await watcher.exited, 0);
    // Before the first host's cleanup removes the directory this one serves.
    await second.stop();
  });

  it('exits 1 with one line when the token is refused, and needs a URL', async (t) => {
    const host: HostProcess = await startHost(t, { args: ['--key', KEY, '--log-format', 'off'] });
    const url = `http://127.0.0.1:${host.port}`;
    for (const [args, env] of [
      [[url, '-p', 'notes'], { SQ_KEY: 'wrong-key-0123456789' }],
      [[url, '-p', 'notes', '--key', 'wrong-key-0123456789'], { SQ_KEY: '' }],
      [[url, '-p', 'notes'], { SQ_KEY: '' }],
    ] as const) {
      const run = await runSq(['watch', ...args], { env: { ...process.env, ...env }, timeoutMs: 20_000 });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /^sq watch: http:\/\/127\.0\.0\.1:\d+ refused the stream: 401 Unauthorized\n$/);
    }
    const noUrl = await runSq(['watch', '-p', 'notes']);
    assert.equal(noUrl.code, 1);
    assert.match(noUrl.stderr, /^sq watch: needs a server URL.*\n$/);
    const inUrl = await runSq(['watch', `http://127.0.0.1:${host.port}/?key=${KEY}`]);
    assert.equal(inUrl.code, 2);
    assert.match(inUrl.stderr, /no credentials or query/);
  });

  it('cut off by the server (overflow): prints what came before it, then exits 1 naming where to resume', async (t) => {
    // The server's side of an overflow is host-watch-limits' test; here a peer on 127.0.0.1 sends
    // the events a cut-off stream ends with, in one chunk, as a server does when it drains at last.
    const peer = createServer((req, res) => {
      assert.equal(req.headers.authorization, `Bearer ${KEY}`);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.end(
        'retry: 2000\n: sq watch\n\n' +
          `id: 7\nevent: change\ndata: ${JSON.stringify({ p: 'notes', version: 7, coord: coordOf(2), kind: 'update', bytes: 3, checksum: 'c' })}\n\n` +
          `id: 8\nevent: change\ndata: ${JSON.stringify({ p: 'notes', version: 8, coord: coordOf(3), kind: 'insert', bytes: 5, checksum: 'c' })}\n\n` +
          'event: overflow\ndata: {"limit":1048576}\n\n',
      );
    });
    peer.listen(0, '127.0.0.1');
    await once(peer, 'listening');
    t.after(() => {
      peer.closeAllConnections();
      peer.close();
    });
    const url = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
    const run = await runSq(['watch', url, '-p', 'notes'], { env: { ...process.env, SQ_KEY: KEY }, timeoutMs: 20_000 });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, `7 update ${coordOf(2)} 3\n8 insert ${coordOf(3)} 5\n`);
    assert.equal(run.stderr, 'sq watch: the server cut this watcher off: it read too slowly (overflow); resume with --since 8\n');
  });
});
