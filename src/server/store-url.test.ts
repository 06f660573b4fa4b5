import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeStoreUrl, isStoreUrl } from './store-url.js';

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
