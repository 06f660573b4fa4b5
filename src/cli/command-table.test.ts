import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { SQ_BIN } from '../testing/sq-child.js';
import { CLIENT_COMMANDS } from './commands/client-commands.js';
import { COMMANDS } from './command-table.js';

const run = promisify(execFile);

describe('the lazy command table', () => {
  it('names and summarizes each command exactly as its module does', async () => {
    for (const entry of COMMANDS) {
      const command = await entry.load();
      assert.deepEqual([command.name, command.summary], [entry.name, entry.summary]);
    }
    const listed = new Set(COMMANDS.map((c) => c.name));
    assert.equal(listed.size, COMMANDS.length, 'no command listed twice');
    for (const c of CLIENT_COMMANDS) assert.ok(listed.has(c.name), `client command ${c.name} is missing from the table`);
  });

  describe('imports only what the command line needs (sq run with a loader hook that logs every module)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-lazy-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      [
        "import { appendFileSync } from 'node:fs';",
        'export async function load(url, context, next) {',
        '  const name = url.includes("/node_modules/") ? "package:" + url.split("/node_modules/").at(-1).split("/").slice(0, url.includes("/node_modules/@") ? 2 : 1).join("/")',
        '    : url.includes("/dist/src/") ? url.replace(/^.*\\/dist\\/src\\//, "") : undefined;',
        '  if (name) appendFileSync(process.env.SQ_MODULE_LOG, name + "\\n");',
        '  return next(url, context);',
        '}',
      ].join('\n'),
    );
    const register = `data:text/javascript,import{register}from'node:module';register(${JSON.stringify(pathToFileURL(hooks).href)});`;
    let n = 0;
    /** The modules under dist/src/ that `sq <args>` loads, and the packages as `package:<name>`. */
    const modulesOf = async (...args: string[]): Promise<string[]> => {
      const log = join(dir, `modules-${++n}.log`);
      writeFileSync(log, '');
      await run(process.execPath, ['--import', register, SQ_BIN, ...args], { cwd: dir, env: { ...process.env, SQ_MODULE_LOG: log } }).catch(
        () => undefined,
      );
      return readFileSync(log, 'utf8').split('\n').filter(Boolean);
    };
    const HEAVY = /^(server|store|router|tenants|daemon)\//;

    it('sq version and sq help load no command module', async () => {
      for (const args of [['version'], ['help']]) {
        const modules = await modulesOf(...args);
        assert.ok(modules.includes('cli/main.js'), `${args}: the hook saw main.js (${modules.join(', ')})`);
        assert.deepEqual(
          modules.filter((m) => m.startsWith('cli/commands/') || m.startsWith('package:') || HEAVY.test(m)),
          [],
          args.join(' '),
        );
      }
    });

    it('a client command and sq init load neither the server nor the store, router or tenants', async () => {
      for (const [args, own] of [
        [['select', '1.1.1'], 'daemon/client.js'],
        [['init', 'x.phext'], 'cli/commands/init.js'],
      ] as const) {
        const modules = await modulesOf(...args);
        assert.ok(modules.includes(own), `${args.join(' ')} loads ${own}`);
        const unwanted = modules.filter((m) =>
          /^(server|store\/(?!atomic-write|file-stamp)|router|tenants)\/|^daemon\/daemon|^package:/.test(m),
        );
        assert.deepEqual(unwanted, [], args.join(' '));
      }
    });

    it('sq route --help loads the router, not the HTTP server of sq host', async () => {
      const modules = await modulesOf('route', '--help');
      assert.ok(modules.includes('cli/commands/route.js'));
      assert.ok(modules.includes('package:zod'), 'the hook sees packages too');
      assert.deepEqual(
        modules.filter((m) => /^(server\/(?!token|cors)|store|cli\/commands\/(?!route))/.test(m)),
        [],
      );
    });
  });
});
