// What `sq <client command>` refuses to talk to: a planted `.sq/` (another user's, or writable by
// others) and a daemon that never answers.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { runSq } from '../testing/run-sq.js';
import { tempDir } from '../testing/temp-dir.js';

const root = tempDir({ after }, 'sq-client-trust-');
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
let n = 0;

/** A stand-in daemon on `socket` (mode 0600) that records what it is sent, and answers `answer` unless it hangs. */
async function fakeDaemon(t: TestContext, socket: string, answer?: string): Promise<{ received: string[]; server: Server }> {
  const received: string[] = [];
  const server = createServer((conn) => {
    conn.on('data', (chunk: Buffer) => {
      received.push(chunk.toString('utf8'));
      if (answer !== undefined) conn.write(JSON.stringify({ ok: true, out: answer }) + '\n');
    });
    conn.on('error', () => {});
  });
  server.listen(socket);
  await once(server, 'listening');
  chmodSync(socket, 0o600);
  t.after(() => void server.close());
  return { received, server };
}

/**
 * A work directory whose `.sq/sq.json` names a socket in `shared/` (mode 0755), where a fake
 * daemon answers "planted": the set-up of a user who planted both in a shared directory.
 */
async function planted(t: TestContext) {
  const cwd = join(root, `w${++n}`);
  const sq = join(cwd, '.sq');
  const shared = join(cwd, 'shared');
  mkdirSync(sq, { recursive: true, mode: 0o700 });
  mkdirSync(shared, { mode: 0o755 });
  chmodSync(sq, 0o700);
  chmodSync(shared, 0o755);
  const socket = join(shared, 'evil.sock');
  const fake = await fakeDaemon(t, socket, 'planted');
  const info = join(sq, 'sq.json');
  writeFileSync(info, JSON.stringify({ pid: 1, file: '/x.phext', socket, version: '0', started: '' }), { mode: 0o600 });
  chmodSync(info, 0o600);
  return { cwd, sq, shared, socket, info, ...fake };
}

const insertSecret = (cwd: string) => runSq(['insert', '1.1.1/1.1.1/1.1.1', 'secret'], { cwd, timeoutMs: 15_000 });

describe("the daemon client trusts only its own user's .sq/", () => {
  it('talks to a daemon whose files are all ours and private (the control case)', async (t) => {
    const { cwd } = await planted(t);
    const run = await insertSecret(cwd);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '1.1.1/1.1.1/1.1.1: planted\n');
  });

  it('refuses a .sq/, sq.json or socket owned by another user: exit 1, one line, nothing sent', {
    skip: !asRoot && 'needs root to chown',
  }, async (t) => {
    const cases: [string, (p: Awaited<ReturnType<typeof planted>>) => string][] = [
      [
        '.sq/',
        (p) => {
          chownSync(p.sq, NOBODY, NOBODY);
          return p.sq;
        },
      ],
      [
        'sq.json',
        (p) => {
          chownSync(p.info, NOBODY, NOBODY);
          return p.info;
        },
      ],
      [
        'socket',
        (p) => {
          chownSync(p.socket, NOBODY, NOBODY);
          return p.socket;
        },
      ],
      [
        'socket directory',
        (p) => {
          chownSync(p.shared, NOBODY, NOBODY);
          return p.shared;
        },
      ],
    ];
    for (const [what, plant] of cases) {
      const p = await planted(t);
      const path = plant(p);
      const run = await insertSecret(p.cwd);
      assert.equal(run.code, 1, `${what}: ${run.stderr}`);
      assert.equal(
        run.stderr,
        `sq insert: refusing ${path}: it belongs to another user (uid ${NOBODY}), so it may not be your daemon's\n`,
        what,
      );
      assert.equal(run.stdout, '', what);
      assert.deepEqual(p.received, [], `${what}: the secret was sent`);
    }
  });

  it('refuses a .sq/, sq.json, socket or socket directory writable by group or others', async (t) => {
    const cases: [string, (p: Awaited<ReturnType<typeof planted>>) => string, number][] = [
      ['.sq/', (p) => p.sq, 0o702],
      ['sq.json', (p) => p.info, 0o620],
      ['socket', (p) => p.socket, 0o602],
      ['socket directory (a shared /tmp-like one)', (p) => p.shared, 0o1777],
    ];
    for (const [what, pick, mode] of cases) {
      const p = await planted(t);
      const path = pick(p);
      chmodSync(path, mode);
      const run = await insertSecret(p.cwd);
      assert.equal(run.code, 1, `${what}: ${run.stderr}`);
      assert.match(
        run.stderr,
        new RegExp(
          `^sq insert: refusing ${path.replace(/[.]/g, '\\.')}: it is writable by other users \\(mode 0\\d{3}\\), so it may not be your daemon's\\n$`,
        ),
        what,
      );
      assert.deepEqual(p.received, [], `${what}: the secret was sent`);
    }
  });

  it('refuses a .sq that is a symlink', async (t) => {
    const p = await planted(t);
    const cwd = join(root, `w${++n}`);
    mkdirSync(cwd);
    symlinkSync(p.sq, join(cwd, '.sq'));
    const run = await insertSecret(cwd);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /refusing .*\/\.sq: it is a symlink/);
    assert.deepEqual(p.received, []);
  });
});

describe('the daemon client gives up on a hung daemon', () => {
  /** A `.sq/sq.sock` that accepts connections and never answers. */
  async function hung(t: TestContext) {
    const cwd = join(root, `h${++n}`);
    mkdirSync(join(cwd, '.sq'), { recursive: true, mode: 0o700 });
    const fake = await fakeDaemon(t, join(cwd, '.sq', 'sq.sock'));
    return { cwd, ...fake };
  }

  it('exits 1 with one line after --timeout seconds of silence, or SQ_TIMEOUT', async (t) => {
    const { cwd, received } = await hung(t);
    const flagged = await runSq(['select', '1.1.1/1.1.1/1.1.1', '--timeout', '0.2'], { cwd, timeoutMs: 15_000 });
    assert.equal(flagged.code, 1, flagged.stderr);
    assert.equal(
      flagged.stderr,
      'sq select: the daemon did not answer within 0.2 s; it may be hung (the wait is set by --timeout or SQ_TIMEOUT)\n',
    );
    assert.equal(received.length, 1, 'the request reached the hung daemon');
    const env = await runSq(['toc'], { cwd, timeoutMs: 15_000, env: { ...process.env, SQ_TIMEOUT: '0.1' } });
    assert.equal(env.code, 1, env.stderr);
    assert.match(env.stderr, /^sq toc: the daemon did not answer within 0\.1 s/);
  });

  it('refuses a timeout that is not a positive number of seconds (exit 2)', async (t) => {
    const { cwd } = await hung(t);
    for (const [args, env] of [
      [['--timeout', '0'], {}],
      [['--timeout', 'soon'], {}],
      [[], { SQ_TIMEOUT: '-1' }],
    ] as const) {
      const run = await runSq(['toc', ...args], { cwd, timeoutMs: 15_000, env: { ...process.env, ...env } });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /(--timeout|SQ_TIMEOUT) must be a number of seconds > 0/);
    }
  });
});
