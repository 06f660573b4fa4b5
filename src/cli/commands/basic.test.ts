import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freshDir, killAll, startBackground } from './daemon-testkit.js';

const dir = freshDir('sq-basic-');
after(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('sq basic', () => {
  it('serves the current directory with index.phext as the default phext, on 127.0.0.1', async () => {
    const basic = await startBackground(dir, ['basic', '--port', '0'], /^SQ \S+ listening on http:\/\/127\.0\.0\.1:(\d+) \(data: (.+), default phext: index\.phext\)\n/);
    const port = Number(basic.match[1]);
    assert.equal(basic.match[2], dir);

    assert.deepEqual(await get(port, '/api/v2/select?c=1.1.1/1.1.1/1.1.2'), { status: 200, body: '' });
    assert.ok(!existsSync(join(dir, 'index.phext')), 'reads create nothing');
    assert.deepEqual(await get(port, '/api/v2/update?c=1.1.1/1.1.1/1.1.2&s=hello+basic'), { status: 200, body: 'Updated 11 bytes' });
    assert.deepEqual(await get(port, '/api/v2/select?c=1.1.1/1.1.1/1.1.2'), { status: 200, body: 'hello basic' });
    assert.equal(readFileSync(join(dir, 'index.phext'), 'utf8'), '\x17hello basic');
    // p still picks any other phext of the directory.
    assert.deepEqual(await get(port, '/api/v2/update?p=other&c=1.1.1&s=x'), { status: 200, body: 'Updated 1 bytes' });
    assert.equal(readFileSync(join(dir, 'other.phext'), 'utf8'), 'x');
    assert.match((await get(port, '/api/v2/status')).body, /^Hosting: index\.phext\n/);

    basic.child.kill('SIGTERM');
    assert.deepEqual(await basic.exited, [0, null]);
  });
});
