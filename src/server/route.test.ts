import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouteTable, compose, type Exchange, type Middleware, type Route } from './route.js';
import { TEXT } from './outcome.js';

const route = (path: string, prefix = false): Route => ({
  path,
  prefix,
  command: path,
  auth: (ex, next) => next(ex),
  handler: async () => ({ status: 200, body: path, contentType: TEXT, command: path }),
});

describe('RouteTable', () => {
  it('finds exact paths first, then the longest prefix', () => {
    const table = new RouteTable([route('/a'), route('/a/', true), route('/a/b/', true)]);
    assert.equal(table.find('/a')?.path, '/a');
    assert.equal(table.find('/a/x')?.path, '/a/');
    assert.equal(table.find('/a/b/c')?.path, '/a/b/');
    assert.equal(table.find('/ab'), undefined);
  });

  it('refuses a path registered twice', () => {
    assert.throws(() => new RouteTable([route('/a'), route('/a')]), /registered twice/);
  });
});

describe('compose', () => {
  it('runs middlewares in order, and one that answers stops the chain', async () => {
    const seen: string[] = [];
    const mark =
      (name: string): Middleware =>
      (ex, next) => {
        seen.push(name);
        return next(ex);
      };
    const refuse: Middleware = async () => ({ status: 401, body: 'no', contentType: TEXT, command: 'x' });
    const handler = async () => {
      seen.push('handler');
      return { status: 200, body: 'ok', contentType: TEXT, command: 'x' };
    };
    const ex = {} as Exchange;
    assert.equal((await compose([mark('a'), mark('b')], handler)(ex)).status, 200);
    assert.deepEqual(seen, ['a', 'b', 'handler']);
    seen.length = 0;
    assert.equal((await compose([mark('a'), refuse, mark('c')], handler)(ex)).status, 401);
    assert.deepEqual(seen, ['a']);
  });
});
