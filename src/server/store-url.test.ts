import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeStoreUrl, isStoreUrl, storeConnections } from './store-url.js';

test('a store URL is a postgres:// or postgresql:// URL as node-postgres reads it', () => {
  for (const url of [
    'postgres://db/sq',
    'postgresql://me:secret@db.example.com:5433/sq?sslmode=require',
    'postgres://me@/sq?host=/var/run/postgresql',
    'postgres:///sq?host=/tmp/x&port=5432',
    'postgres://[::1]:5432/sq',
  ]) {
    assert.ok(isStoreUrl(url), url);
  }
  for (const url of ['', 'db/sq', 'mysql://db/sq', 'postgres:/db', 'postgres//db/sq', 'postgres://db:99999/sq', 'http://db/sq']) {
    assert.ok(!isStoreUrl(url), url);
  }
});

test('a store URL is shown as host, port and database only', () => {
  assert.equal(
    describeStoreUrl('postgres://me:secret@db.example.com:5433/sq?sslmode=require&password=x'),
    'postgres://db.example.com:5433/sq',
  );
  assert.equal(describeStoreUrl('postgresql://db/sq'), 'postgres://db/sq');
  assert.equal(describeStoreUrl('postgres://me:secret@/sq?host=/var/run/postgresql'), 'postgres:///sq?host=/var/run/postgresql');
  assert.equal(describeStoreUrl('postgres:///sq?host=/tmp/x&port=5432&sslpassword=y'), 'postgres:///sq?host=/tmp/x&port=5432');
});

test('several hosts, as libpq lists them: in the authority or in the host parameter, one connection each', () => {
  const authority = 'postgres://me:secret@db1:5432,db2:5433/sq?sslmode=require';
  assert.ok(isStoreUrl(authority));
  assert.equal(describeStoreUrl(authority), 'postgres://db1:5432,db2:5433/sq');
  assert.deepEqual(
    storeConnections(authority).map((c) => [c.connectionString, c.host, c.port]),
    [
      ['postgres://me:secret@db1:5432/sq?sslmode=require', 'db1', 5432],
      ['postgres://me:secret@db2:5433/sq?sslmode=require', 'db2', 5433],
    ],
  );
  const sockets = 'postgres://sq@/sq?host=/run/a,/run/b&port=5432,5433';
  assert.ok(isStoreUrl(sockets));
  assert.equal(describeStoreUrl(sockets), 'postgres:///sq?host=/run/a,/run/b&port=5432,5433');
  assert.deepEqual(
    storeConnections(sockets).map((c) => [c.connectionString, c.host, c.port]),
    [
      ['postgres://sq@/sq?host=/run/a&port=5432', '/run/a', 5432],
      ['postgres://sq@/sq?host=/run/b&port=5433', '/run/b', 5433],
    ],
  );
  assert.equal(describeStoreUrl('postgres:///sq?host=/run/a,/run/b&port=5432'), 'postgres:///sq?host=/run/a,/run/b&port=5432');
  assert.ok(storeConnections(sockets).every((c) => c.connectionTimeoutMillis === 5000));
  for (const url of [
    'postgres://db1,,db2/sq',
    'postgres://db1,/sq',
    'postgres:///sq?host=/run/a,&port=1',
    'postgres:///sq?host=/a,/b&port=1,2,3',
  ]) {
    assert.ok(!isStoreUrl(url), url);
  }
});
