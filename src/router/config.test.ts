import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRouterConfig, RouterConfigError } from './config.js';
import { RouteTable } from './route-table.js';
import { extractToken as requestToken } from '../server/token.js';
import { hashedKey } from '../tenants/token.js';

const parse = (value: unknown): ReturnType<typeof parseRouterConfig> => parseRouterConfig(JSON.stringify(value), 'router.json');

describe('router config', () => {
  it('accepts tenants with token, port and an optional data_dir', () => {
    const config = parse({
      tenants: [
        { token: 'a:b c', port: 1341, data_dir: '/var/lib/sq/a' },
        { token: 'x', port: 1342 },
      ],
    });
    assert.deepEqual(
      config.tenants.map((t) => t.port),
      [1341, 1342],
    );
  });

  it('names the offending entry and never echoes a token', () => {
    const cases: [unknown, string][] = [
      [
        {
          tenants: [
            { token: 'secret-1', port: 1 },
            { token: 'secret-2', port: '1342' },
          ],
        },
        'tenants[1].port: Expected number, received string',
      ],
      [{ tenants: [{ token: 'secret-1', port: 1.5 }] }, 'tenants[0].port: must be an integer'],
      [{ tenants: [{ token: 'secret-1', port: 0 }] }, 'tenants[0].port: must be 1..65535'],
      [{ tenants: [{ token: '', port: 1 }] }, 'tenants[0].token: must not be empty'],
      [{ tenants: [{ token: ' secret-1', port: 1 }] }, 'tenants[0].token: must not start or end with whitespace'],
      [
        {
          tenants: [
            { token: 'secret-1', port: 1 },
            { token: 'secret-1', port: 2 },
          ],
        },
        'tenants[1].token: duplicate token (same as tenants[0])',
      ],
      [
        {
          tenants: [
            { token: 'secret-1', port: 1 },
            { token: hashedKey('secret-1'), port: 2 },
          ],
        },
        'tenants[1].token: duplicate token (same as tenants[0])',
      ],
      [{ tenants: {} }, 'tenants: Expected array, received object'],
      [[], '(root): Expected object, received array'],
    ];
    for (const [value, expected] of cases) {
      assert.throws(
        () => parse(value),
        (err: Error) => err instanceof RouterConfigError && err.message.includes(expected) && !/secret-\d/.test(err.message),
        expected,
      );
    }
    assert.throws(() => parseRouterConfig('{', 'r.json'), /^RouterConfigError: r\.json: invalid JSON/);
  });

  it('reports broken JSON by line and column, without the text around the error', () => {
    const text = '{"tenants": [\n  {"token": "pmb-v1-secret0123456789abcdef", "port": 1341}\n  {"token": "x", "port": 2}]}';
    assert.throws(
      () => parseRouterConfig(text, 'r.json'),
      (err: Error) => {
        assert.equal(err.message, 'r.json: invalid JSON at line 3 column 3');
        return true;
      },
    );
  });
});

describe('request token', () => {
  it('reads Bearer in any case, a bare Authorization, then X-SQ-API-Key', () => {
    assert.equal(requestToken({ authorization: 'Bearer a:b' }), 'a:b');
    assert.equal(requestToken({ authorization: 'BEARER  a:b' }), 'a:b');
    assert.equal(requestToken({ authorization: 'a:b' }), 'a:b');
    assert.equal(requestToken({ 'x-sq-api-key': 'k' }), 'k');
    assert.equal(requestToken({ authorization: 'Bearer a', 'x-sq-api-key': 'k' }), 'a');
    assert.equal(requestToken({}), undefined);
  });
});

describe('route table', () => {
  it('finds tokens by digest, including non-ASCII ones as node decodes header bytes (latin1)', () => {
    const table = RouteTable.fromConfig(
      parse({
        tenants: [
          { token: 'tök:1', port: 7001 },
          { token: 'b', port: 7002 },
          { token: 'c', port: 7001 },
        ],
      }),
    );
    const onTheWire = Buffer.from('tök:1', 'utf8').toString('latin1');
    assert.equal(table.lookup(requestToken({ authorization: `Bearer ${onTheWire}` })!), 7001);
    assert.equal(table.lookup('b'), 7002);
    assert.equal(table.lookup(onTheWire), undefined, 'tokens are compared as UTF-8 text, after extractToken');
    assert.equal(table.lookup('bb'), undefined);
    assert.deepEqual(table.ports(), [7001, 7002]);
  });

  it('takes a sha256:<hex> entry for the token it is the digest of, many tokens to one backend', () => {
    const table = RouteTable.fromConfig(
      parse({
        tenants: [
          { token: hashedKey('alice-token'), port: 7001 },
          { token: `SHA256:${hashedKey('bob-token').slice(7)}`, port: 7001 },
          { token: hashedKey('carol-token').toUpperCase().replace('SHA256', 'sha256'), port: 7002 },
        ],
      }),
    );
    assert.equal(table.lookup('alice-token'), 7001);
    assert.equal(table.lookup(hashedKey('alice-token')), undefined, 'the digest itself is no token');
    assert.equal(table.lookup('bob-token'), undefined, 'only the lowercase prefix marks a digest, as in tenants files');
    assert.equal(table.lookup(`SHA256:${hashedKey('bob-token').slice(7)}`), 7001, 'any other text is a plain token');
    assert.equal(table.lookup('carol-token'), 7002, 'the hex digits in either case');
    assert.deepEqual(table.ports(), [7001, 7002]);
  });
});
