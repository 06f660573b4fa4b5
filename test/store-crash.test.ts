import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import { test } from 'node:test';
import { Coordinate, parse } from '../src/phext/index.js';
import { MARKER_PATTERN, STORE_WRITER } from '../src/testing/store-writer.js';
import { tempDir } from '../src/testing/temp-dir.js';

const ROUNDS = 20;
const WRITERS = 8;

/** Runs the writer until a random moment 10-200 ms after it is ready, SIGKILLs it, returns its acks. */
function crashRound(file: string, round: number): Promise<{ acks: string[]; killedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STORE_WRITER, file, String(round), String(WRITERS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const killedAfterMs = 10 + Math.floor(Math.random() * 190);
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!timer && out.startsWith('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), killedAfterMs);
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
  for (let round = 1; round <= ROUNDS; round++) {
    const { acks, killedAfterMs } = await crashRound(file, round);
    total += acks.length;
    for (const line of acks) {
      const [, coord = '', text = ''] = line.split(' ');
      acknowledged.set(coord, [...(acknowledged.get(coord) ?? []), text]);
    }
    if (!existsSync(file)) {
      assert.equal(total, 0, 'acknowledged writes but no file');
      continue;
    }
    const bytes = readFileSync(file);
    assert.ok(isUtf8(bytes), `round ${round}: file is not valid UTF-8 (torn) after kill at ${killedAfterMs} ms`);
    const phext = parse(bytes);
    for (const scroll of phext) {
      // Nothing torn: every scroll is made of whole markers only.
      assert.equal(scroll.text.replace(MARKER_PATTERN, ''), '', `round ${round}: torn scroll at ${scroll.coordinate}`);
    }
    for (const [coord, markers] of acknowledged) {
      const text = phext.get(Coordinate.parse(coord));
      for (const m of markers) assert.ok(text.includes(m), `round ${round}: acknowledged ${m} at ${coord} is missing`);
    }
  }
  assert.ok(total > 0, 'no write was ever acknowledged: the harness did not exercise the store');
  // Each new writer sweeps the temp files of killed ones; only the last kill's (one write in
  // flight per phext) may remain.
  const leftovers = readdirSync(dir).filter((n) => n !== 'crash.phext');
  assert.ok(leftovers.length <= 1, `stale temp files pile up: ${leftovers.join(', ')}`);
  t.diagnostic(`${total} acknowledged writes over ${ROUNDS} kills`);
});
