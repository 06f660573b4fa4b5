// Tokens checked before a body is read and again before the command runs, against a real
// `sq host --config ... --admin-key K`: strangers never get their bodies read, and a token revoked
// while its body is on the way writes nothing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { neverWritten } from '../src/testing/change-log-files.js';
import { durableText } from '../src/testing/durable-phext.js';
import { call } from '../src/testing/sq-api.js';
import { RawConnection, responsesIn } from '../src/testing/raw-connection.js';
import { startSq, type SqProcess } from '../src/testing/sq-process.js';
import { tempDir } from '../src/testing/temp-dir.js';
import { newToken, writeTenantsFile, type TestTenant } from '../src/testing/tenants-file.js';

const ADMIN = 'admin-key-revocation-0123456789';
const TENANTS = '/api/v2/admin/tenants';
const C = '1.1.1/1.1.1/1.1.1';

describe('tokens and request bodies', () => {
  let sq: SqProcess;
  after(() => sq?.stop());
  const dir = tempDir({ after });
  const config = join(dir, 'tenants.json');
  const tenant = (name: string): TestTenant => ({ name, token: newToken(), data_dir: join(dir, name) });
  const [alice, dave, erin] = [tenant('alice'), tenant('dave'), tenant('erin')];

  before(async () => {
    writeTenantsFile(config, [alice, dave, erin]);
    sq = await startSq(['host', '0', '--bind', '127.0.0.1', '--config', config, '--admin-key', ADMIN]);
  });

  const asAdmin = { Authorization: `Bearer ${ADMIN}` };

  /** An insert of `text` whose headers are sent and accepted ("100 Continue"), its body not yet. */
  async function startInsert(token: string, p: string, text: string): Promise<{ finish(): Promise<{ status: number; body: string }> }> {
    const upload = await RawConnection.open(sq.port);
    after(() => upload.destroy());
    upload.write(
      `POST /api/v2/insert?p=${p}&c=${C} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await upload.waitFor((received) => received.startsWith('HTTP/1.1 100 Continue\r\n'), `${p}: invited`);
    return {
      async finish() {
        upload.write(text);
        const received = await upload.waitFor((r) => responsesIn(r).length === 2, `${p}: answer`);
        const answer = responsesIn(received)[1];
        assert.ok(answer, received);
        return { status: answer.status, body: answer.body };
      },
    };
  }

  it('an admin request without the key gets 401 at once, before its body, and the connection closes', async () => {
    for (const token of ['', alice.token, 'wrong']) {
      const stranger = await RawConnection.open(sq.port);
      after(() => stranger.destroy());
      const auth = token ? `Authorization: Bearer ${token}\r\n` : '';
      stranger.write(`POST ${TENANTS} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 67108864\r\n\r\n`);
      await stranger.closedByServer(`admin POST with token '${token}'`);
      const answers = responsesIn(stranger.text());
      assert.deepEqual(
        answers.map((a) => [a.status, JSON.parse(a.body)]),
        [[401, { error: 'Unauthorized' }]],
        stranger.text(),
      );
      assert.match(answers[0]!.head, /\r\nconnection: close(\r\n|$)/i);
    }
    // The key itself still works, body and all.
    const listed = await call(sq.port, TENANTS, { headers: asAdmin });
    assert.equal(listed.status, 200);
  });

  it('a token rotated and deleted through the admin API while its body arrives: 401, nothing written', async () => {
    const daves = await startInsert(dave.token, 'notes', 'DaveData');
    const alices = await startInsert(alice.token, 'notes', 'AliceData');
    const rotated = await call(sq.port, `${TENANTS}/dave/rotate`, { method: 'POST', headers: asAdmin });
    assert.equal(rotated.status, 200, rotated.text);
    const deleted = await call(sq.port, `${TENANTS}/dave`, { method: 'DELETE', headers: asAdmin });
    assert.equal(deleted.status, 200, deleted.text);
    assert.deepEqual(await daves.finish(), { status: 401, body: 'Unauthorized' });
    assert.ok(neverWritten(join(dave.data_dir, 'notes.phext')), 'the revoked token wrote');
    assert.deepEqual(await alices.finish(), { status: 200, body: 'Inserted 9 bytes' });
    assert.equal(await durableText(join(alice.data_dir, 'notes.phext')), 'AliceData');
  });

  it('a token removed from the tenants file and reloaded while its body arrives: 401, nothing written', async () => {
    const erins = await startInsert(erin.token, 'notes', 'ErinData');
    writeTenantsFile(config, [alice]);
    const reloaded = await call(sq.port, '/api/v2/reload', { method: 'POST' });
    assert.equal(reloaded.status, 200, reloaded.text);
    assert.deepEqual(await erins.finish(), { status: 401, body: 'Unauthorized' });
    assert.ok(neverWritten(join(erin.data_dir, 'notes.phext')), 'the removed token wrote');
  });
});
