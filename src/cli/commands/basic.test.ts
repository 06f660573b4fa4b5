import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { call } from '../../testing/sq-api.js';
import { killAll } from '../../testing/sq-child.js';
import { startSq } from '../../testing/sq-process.js';
import { durableBytes } from '../../testing/durable-phext.js';
import { tempDir } from '../../testing/temp-dir.js';

after(killAll);
const dir = tempDir({ after }, 'sq-basic-');

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const { status, text } = await call(port, path);
  return { status, body: text };
}

describe('sq basic', () => {
  it('serves the current directory with index.phext as the default phext, on 127.0.0.1', async () => {
    const listening = /^SQ \S+ listening on http:\/\/127\.0\.0\.1:(\d+) \(data: (.+), default phext: index\.phext\)\n/;
    const basic = await startSq(['basic', '--port', '0'], { cwd: dir, listening });
    const port = basic.port;
    assert.equal(basic.match[2], dir);

    assert.deepEqual(await get(port, '/api/v2/select?c=1.1.1/1.1.1/1.1.2'), { status: 200, body: '' });
    assert.ok(!existsSync(join(dir, 'index.phext')), 'reads create nothing');
    assert.deepEqual(await get(port, '/api/v2/update?c=1.1.1/1.1.1/1.1.2&s=hello+basic'), { status: 200, body: 'Updated 11 bytes' });
    assert.deepEqual(await get(port, '/api/v2/select?c=1.1.1/1.1.1/1.1.2'), { status: 200, body: 'hello basic' });
    assert.equal((await durableBytes(join(dir, 'index.phext'))).toString(), '\x17hello basic');
    // p still picks any other phext of the directory.
    assert.deepEqual(await get(port, '/api/v2/update?p=other&c=1.1.1&s=x'), { status: 200, body: 'Updated 1 bytes' });
    assert.equal((await durableBytes(join(dir, 'other.phext'))).toString(), 'x');
    assert.match((await get(port, '/api/v2/status')).body, /^Hosting: index\.phext\n/);

    basic.child.kill('SIGTERM');
    assert.deepEqual(await basic.exited, { code: 0, signal: null });
  });
});
