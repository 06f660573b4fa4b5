// `sq mcp` as a child process, driven by the MCP SDK's own client over stdio: against a real
// `sq host` (--url) and straight over a data directory (--data-dir).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startHost } from '../src/testing/host-process.js';
import { SQ_BIN } from '../src/testing/sq-child.js';
import { tempDir } from '../src/testing/temp-dir.js';

const KEY = 'mcp-test-key-0123456789';
const C1 = '1.1.1/1.1.1/1.1.1';
const C2 = '1.1.1/1.1.1/1.1.2';
const C3 = '2.1.1/1.1.1/1.1.1';

/** An MCP session with `sq mcp <args>`, closed when the test ends. */
async function session(t: TestContext, args: string[], env: Record<string, string> = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SQ_BIN, 'mcp', ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'sq-test', version: '1.0.0' });
  await client.connect(transport);
  t.after(() => client.close());
  /** A tool's text blocks, and whether it reported an error. */
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const result = await client.callTool({ name, arguments: args });
    const blocks = (result.content as Array<{ type: string; text: string }>).map((b) => b.text);
    return { text: blocks.join('\n'), blocks, isError: result.isError === true };
  };
  return { client, call };
}

/** What every backend must do alike. */
async function exercise(call: Awaited<ReturnType<typeof session>>['call']): Promise<void> {
  assert.deepEqual(await call('sq_write', { p: 'notes', c: C1, text: 'hello world' }), {
    text: `Wrote 11 bytes at ${C1} in notes; phext version 1.`,
    blocks: [`Wrote 11 bytes at ${C1} in notes; phext version 1.`],
    isError: false,
  });
  assert.match((await call('sq_append', { p: 'notes', c: C1, text: '!' })).text, /^Appended 1 bytes .* version 2\.$/);
  await call('sq_write', { p: 'notes', c: C2, text: 'second scroll\nwith a Needle inside' });
  await call('sq_write', { p: 'notes', c: C3, text: 'another needle, library 2' });
  const read = await call('sq_read', { p: 'notes', c: C1 });
  assert.deepEqual(read.blocks, ['hello world!', `[whole scroll ${C1}] phext version 4`]);
  // A missing scroll is said to be missing, not handed over as an empty text.
  const missing = await call('sq_read', { p: 'notes', c: '1.1.1/1.1.1/1.1.9' });
  assert.deepEqual(missing, { text: 'No scroll at 1.1.1/1.1.1/1.1.9 in notes (phext version 4).', blocks: [missing.text], isError: false });
  assert.match((await call('sq_read', { p: 'nothing', c: C1 })).text, /^No scroll at .* in nothing \(phext version 0\)\.$/);
  // A coordinate the server would misread is refused before anything is sent.
  const spaced = await call('sq_read', { p: 'notes', c: '1.1.1 /1.1.1/1.1.2' });
  assert.equal(spaced.isError, true);
  assert.match(spaced.text, /^Invalid coordinate '1\.1\.1 \/1\.1\.1\/1\.1\.2': write nine parts/);
  assert.match((await call('sq_read', { p: '../x', c: C1 })).text, /^Invalid phext name/);
  const nav = await call('sq_navigate', { p: 'notes' });
  assert.deepEqual(nav.blocks, [
    `${C1}: hello world!\n${C2}: second scroll...\n${C3}: another needle, library 2\n`,
    '3 scrolls in notes; phext version 4',
  ]);
  assert.deepEqual((await call('sq_navigate', { p: 'notes', c: '2' })).blocks[0], `${C3}: another needle, library 2\n`);
  assert.equal((await call('sq_navigate', { p: 'notes', c: '2 x' })).isError, true);
  const found = await call('sq_search', { p: 'notes', query: 'needle' });
  assert.deepEqual(found.blocks, [
    `${C2}: second scroll with a Needle inside\n${C3}: another needle, library 2\n`,
    '2 scrolls match; phext version 4',
  ]);
  assert.equal(
    (await call('sq_search', { p: 'notes', query: 'needle', case_sensitive: true, c: '1' })).text,
    'No scroll of notes contains "needle" (phext version 4).',
  );
  // Optimistic concurrency: a stale version is refused with the server's line.
  const stale = await call('sq_write', { p: 'notes', c: C1, text: 'x', if_version: 1 });
  assert.equal(stale.isError, true);
  assert.match(stale.text, /notes\.phext is at version 4, not 1; the change was not made/);
  assert.match(
    (await call('sq_delete', { p: 'notes', c: C3, if_version: 4 })).text,
    /^Removed 25 bytes at 2\.1\.1\/1\.1\.1\/1\.1\.1 in notes; phext version 5\.$/,
  );
  assert.match((await call('sq_delete', { p: 'notes', c: C3 })).text, /^No scroll at .*: nothing removed/);
  const info = await call('sq_info', { p: 'notes' });
  assert.match(info.text, /^SQ \d+\.\d+\.\d+ at /);
  assert.match(info.text, /notes: 47 bytes, 2 scrolls, version 5$/);
  // The tools' input is checked by their schema.
  const invalid = await call('sq_read', { p: 'notes' });
  assert.equal(invalid.isError, true);
  assert.match(invalid.text, /c/);
  assert.equal((await call('sq_write', { p: 'notes', c: C1, text: 'a\x17b' })).isError, true);
}

describe('sq mcp', () => {
  it('lists its tools, each with a JSON schema', async (t) => {
    const dir = tempDir(t, 'sq-mcp-');
    const { client } = await session(t, ['--data-dir', dir]);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), [
      'sq_append',
      'sq_delete',
      'sq_info',
      'sq_list',
      'sq_navigate',
      'sq_read',
      'sq_search',
      'sq_write',
    ]);
    for (const tool of tools) {
      assert.equal(tool.inputSchema.type, 'object', tool.name);
      assert.ok(tool.description, tool.name);
    }
    const read = tools.find((tool) => tool.name === 'sq_read')!;
    assert.deepEqual(read.inputSchema.required, ['c']);
  });

  it('over an SQ server (--url, the token from SQ_KEY)', async (t) => {
    const host = await startHost(t, { args: ['--key', KEY, '--log-format', 'off'] });
    const { call } = await session(t, ['--url', `http://127.0.0.1:${host.port}`], { SQ_KEY: KEY });
    await exercise(call);
    const listed = await call('sq_list');
    // A server with GET /api/v2/list lists its phexts; one without says so in one line.
    if (listed.isError) assert.match(listed.text, /does not list its phexts/);
    else assert.match(listed.text, /^notes: 47 bytes, 2 scrolls, version 5$/m);
    const refused = await session(t, ['--url', `http://127.0.0.1:${host.port}`], { SQ_KEY: 'wrong-key-0123456789' });
    assert.deepEqual(await refused.call('sq_read', { p: 'notes', c: C1 }), {
      text: 'Unauthorized (HTTP 401)',
      blocks: ['Unauthorized (HTTP 401)'],
      isError: true,
    });
  });

  it('over a data directory (--data-dir), leaving plain .phext files', async (t) => {
    const dir = tempDir(t, 'sq-mcp-');
    const { client, call } = await session(t, ['--data-dir', dir]);
    await exercise(call);
    assert.equal((await call('sq_list')).text, 'notes: 47 bytes, 2 scrolls, version 5\n');
    await call('sq_write', { c: C1, text: 'in the default phext' });
    assert.match((await call('sq_info', {})).text, /the default phext: 20 bytes, 1 scrolls, version 1$/);
    await client.close();
    // Closed: its changes are folded into the files other tools read.
    assert.equal(readFileSync(join(dir, 'notes.phext'), 'utf8'), 'hello world!\x17second scroll\nwith a Needle inside');
    assert.equal(readFileSync(join(dir, 'index.phext'), 'utf8'), 'in the default phext');
  });

  it('cuts long answers at --max-answer, with a note and an offset to read on', async (t) => {
    const dir = tempDir(t, 'sq-mcp-');
    const { call } = await session(t, ['--data-dir', dir, '--max-answer', '1K', '--max-search', '2K']);
    const long = 'é'.repeat(700) + 'x'.repeat(1000);
    await call('sq_write', { p: 'big', c: C1, text: long });
    const pages: string[] = [];
    let offset = 0;
    for (;;) {
      const page = await call('sq_read', { p: 'big', c: C1, offset });
      assert.ok(Buffer.byteLength(page.blocks[0]!) <= 1024);
      pages.push(page.blocks[0]!);
      const next = /offset=(\d+)/.exec(page.blocks[1]!);
      if (!next) break;
      offset = Number(next[1]);
    }
    assert.equal(pages.length, 3);
    assert.equal(pages.join(''), long);
    for (let i = 1; i <= 200; i++) await call('sq_write', { p: 'many', c: `1.1.1/1.1.1/1.1.${i}`, text: `scroll ${i}` });
    const toc = await call('sq_navigate', { p: 'many', limit: 500 });
    assert.ok(Buffer.byteLength(toc.blocks[0]!) <= 1024 + 100);
    assert.match(toc.blocks[0]!, /\[\d+ more not shown \(answer limit 1024 bytes\); narrow it with c\]\n$/);
    const search = await call('sq_search', { p: 'big', query: 'x' });
    assert.equal(search.isError, true);
    assert.match(search.text, /^big is \d+ bytes, over the 2048 bytes a search reads/);
  });

  it('refuses bad arguments with its usage', async (t) => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [SQ_BIN, 'mcp', '--url', 'http://u:p@127.0.0.1:1'],
      stderr: 'pipe',
    });
    const client = new Client({ name: 'sq-test', version: '1.0.0' });
    t.after(() => client.close());
    await assert.rejects(client.connect(transport));
  });
});
