// 500 tenants provisioned by `sq tenants provision`, served by one `sq host --config` process.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { durableText } from '../src/testing/durable-phext.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { api, call } from '../src/testing/sq-api.js';
import { residentKib } from '../src/testing/resident-memory.js';
import { runSq } from '../src/testing/run-sq.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';

const COUNT = 500;

describe('sq host --config with 500 provisioned tenants', () => {
  let sq: SqProcess | undefined;
  after(() => sq?.stop());
  const dir = tempDir({ after });

  it('provisions, loads, serves the first and the last tenant; reports start-up time and RSS', async (t) => {
    const config = join(dir, 'tenants.json');
    const provisioned = await runSq(['tenants', 'provision', String(COUNT), '--prefix', 'founding', '--config', config]);
    assert.equal(provisioned.code, 0, provisioned.stderr);
    const rows = readFileSync(join(dir, 'founding-tokens.csv'), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => {
        const [name = '', token = '', dataDir = ''] = l.split(',');
        return { name, token, dataDir };
      });
    assert.equal(rows.length, COUNT);
    assert.equal(Object.keys(JSON.parse(readFileSync(config, 'utf8')).tenants).length, COUNT);

    sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', config, '--log-format', 'off']);
    assert.match(sq.banner, new RegExp(`, ${COUNT} tenants\\)$`));
    const [first, last] = [rows[0], rows[COUNT - 1]];
    assert.ok(first && last);
    assert.deepEqual([first.name, last.name], ['founding-001', 'founding-500']);
    for (const { name, token, dataDir } of [first, last]) {
      const insert = await api(sq.port, token, 'insert', { p: 'launch', c: '1.1.1/1.1.1/1.1.1', s: `hello from ${name}` });
      assert.equal(insert.status, 200, insert.text);
      assert.equal((await api(sq.port, token, 'select', { p: 'launch', c: '1.1.1/1.1.1/1.1.1' })).text, `hello from ${name}`);
      assert.equal(await durableText(join(dataDir, 'launch.phext')), `hello from ${name}`);
    }
    // A token of one tenant never reads another's data.
    assert.equal((await api(sq.port, rows[250]!.token, 'select', { p: 'launch', c: '1.1.1/1.1.1/1.1.1' })).text, '');
    const metrics = await call(sq.port, '/metrics');
    assert.match(metrics.text, new RegExp(`^sq_tenants_configured ${COUNT}$`, 'm'));

    const rssMib = (await residentKib(sq.pid)) / 1024;
    // Numbers for the report, not assertions: they depend on the machine.
    t.diagnostic(
      `500 tenants: start-up ${sq.startupMs.toFixed(0)} ms (spawn to listening line), RSS ${rssMib.toFixed(1)} MiB after requests`,
    );
    assert.ok(rssMib > 0);
  });
});
