import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Coordinate, type Phext } from '../src/phext/index.js';
import { assertEarlierState, wholePhext } from '../src/testing/crash-checks.js';
import { durableBytes } from '../src/testing/durable-phext.js';
import { FREQUENT_CHECKPOINTS, STORE_WRITER, writerEnv } from '../src/testing/store-writer.js';
import { tempDir } from '../src/testing/temp-dir.js';

const ROUNDS = 20;
const WRITERS = 8;

/**
 * Runs the writer until a random moment 10-200 ms after it is ready, SIGKILLs it, returns its acks.
 * With `checkpoints`, the writer folds its change log into the file every few KiB, so the kill
 * can land in a checkpoint (temp file, rename, new log) as well as in an append to the log.
 */
function crashRound(file: string, round: number, checkpoints: boolean): Promise<{ acks: string[]; killedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STORE_WRITER, file, String(round), String(WRITERS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: writerEnv(checkpoints ? FREQUENT_CHECKPOINTS : {}),
    });
    let out = '';
    let err = '';
    const killedAfterMs = 10 + Math.floor(Math.random() * 190);
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!timer && /^ready [^\n]*\n/m.test(out)) timer = setTimeout(() => child.kill('SIGKILL'), killedAfterMs);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const guard = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited early (code ${code}): ${err}`));
      // Only complete lines count: a line is printed after its mutation resolved.
      const lines = out.split('\n').slice(0, -1);
      resolve({ acks: lines.filter((l) => l.startsWith('ack ')), killedAfterMs });
    });
  });
}

test(`SIGKILL at a random moment never loses an acknowledged write nor tears the file (${ROUNDS} rounds)`, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'crash.phext');
  const acknowledged = new Map<string, string[]>(); // coordinate → markers it must hold
  let total = 0;
  let previousFile: { bytes: Buffer; phext: Phext } | undefined;
  let fileChanges = 0; // rounds after which the file differed from the round before's
  for (let round = 1; round <= ROUNDS; round++) {
    const checkpoints = round % 2 === 0;
    const { acks, killedAfterMs } = await crashRound(file, round, checkpoints);
    const when = `round ${round} (${checkpoints ? 'frequent checkpoints, ' : ''}killed ${killedAfterMs} ms after ready)`;
    total += acks.length;
    for (const line of acks) {
      const [, coord = '', text = ''] = line.split(' ');
      acknowledged.set(coord, [...(acknowledged.get(coord) ?? []), text]);
    }
    // What a restart loads: the file with its change log's records applied.
    const durable = wholePhext(await durableBytes(file), `${when}: the durable phext`);
    for (const [coord, markers] of acknowledged) {
      const text = durable.get(Coordinate.parse(coord));
      for (const m of markers) assert.ok(text.includes(m), `${when}: acknowledged ${m} at ${coord} is missing`);
    }
    // The `.phext` itself, only ever replaced whole by a checkpoint: never torn, a state the
    // durable phext went through, and never older than the file of the round before.
    if (!existsSync(file)) {
      assert.equal(previousFile, undefined, `${when}: the file disappeared`);
      continue;
    }
    const bytes = readFileSync(file);
    const onDisk = wholePhext(bytes, `${when}: the file`);
    assertEarlierState(onDisk, durable, `${when}: the file against the durable phext`);
    if (previousFile) assertEarlierState(previousFile.phext, onDisk, `${when}: the file against the round before`);
    if (!previousFile?.bytes.equals(bytes)) fileChanges++;
    previousFile = { bytes, phext: onDisk };
  }
  assert.ok(total > 0, 'no write was ever acknowledged: the harness did not exercise the store');
  assert.ok(fileChanges > 0, 'no checkpoint ever wrote the file: the kills never met a checkpoint');
  // Each new writer sweeps the temp files of killed ones; only the last kill's (one replace in
  // flight per phext: a checkpoint's file or its new log) may remain, beside the change log.
  const leftovers = readdirSync(dir).filter((n) => n !== 'crash.phext' && n !== '.crash.phext.log');
  assert.ok(leftovers.length <= 1, `stale temp files pile up: ${leftovers.join(', ')}`);
  for (const n of leftovers) assert.match(n, /^\.(crash\.phext|\.crash\.phext\.log)\.tmp-\d+-\d+$/, 'only temp files may remain');
  t.diagnostic(`${total} acknowledged writes over ${ROUNDS} kills; the file changed in ${fileChanges} rounds`);
});
