import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSq } from '../../testing/run-sq.js';

describe('sq host (arguments)', () => {
  it('refuses bad and conflicting arguments with the usage and exit 2, before serving', async () => {
    const cases: [string[], RegExp][] = [
      [['host'], /expected exactly one <port>/],
      [['host', '70000'], /invalid port '70000'/],
      [['host', '0', '--max-body', '1.5M'], /--max-body must be a size in bytes/],
      [['host', '0', '--max-connections', '0'], /--max-connections must be a whole number/],
      [['host', '0', '--max-inflight-body', '1.5G'], /--max-inflight-body must be a size in bytes/],
      [['host', '0', '--log-format', 'xml'], /--log-format must be text, json or off/],
      [['host', '0', '--config', 'tenants.json', '--key', 'k'], /--key cannot be combined with --config/],
      [['host', '0', '--config', 'tenants.json', '--data-dir', 'd'], /--data-dir cannot be combined with --config/],
      [['host', '0', '--no-such-flag'], /Unknown option '--no-such-flag'/],
      [['host', '0', '--default-phext', ''], /--default-phext needs a name/],
      [['host', '0', '--default-phext', '../x'], /--default-phext: Forbidden phext name/],
      [['host', '0', '--default-phext', '.phext'], /--default-phext: Invalid phext name/],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await runSq(args, { timeoutMs: 15_000 });
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, message, args.join(' '));
      assert.match(stderr, /Usage: sq host <port>/, args.join(' '));
      assert.doesNotMatch(stdout, /listening/, args.join(' '));
    }
  });
});
