import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileDocumentStore } from '../store/file-store.js';
import { at } from '../testing/store-support.js';
import { tempDir } from '../testing/temp-dir.js';
import { durableBytes } from '../testing/durable-phext.js';
import { bodyText } from './body-stream.js';
import { CommandError, describeError } from './errors.js';
import { coordinate, decodeInput, ifVersion, scrollText, whereAlgo, whereLimit, type CommandInput, type InputDecoder } from './input.js';
import { COMMANDS, type CommandName } from './table.js';
import { byDirectory, fileKey } from '../testing/store-support.js';

/** A transport of the simplest kind: every field from a plain object, through the shared rules. */
function decoderOf(fields: {
  path: string;
  c?: string;
  text?: string;
  algo?: string;
  limit?: string;
  ifMatch?: string;
}): InputDecoder & { asked: string[] } {
  const asked: string[] = [];
  const ask =
    <T>(name: keyof CommandInput, value: () => T) =>
    () => {
      asked.push(name);
      return value();
    };
  return {
    asked,
    phext: ask('phext', () => fileKey(fields.path)),
    coordinate: ask('coordinate', () => coordinate(fields.c)),
    text: ask('text', () => scrollText(fields.text ?? '')),
    manifest: ask('manifest', () => fields.text ?? ''),
    source: ask('source', () => fields.text ?? ''),
    algo: ask('algo', () => whereAlgo(fields.algo)),
    limit: ask('limit', () => whereLimit(fields.limit)),
    connectionId: ask('connectionId', () => 7),
    ifVersion: ask('ifVersion', () => ifVersion(fields.ifMatch)),
  };
}

async function run(name: CommandName, decoder: InputDecoder, store: FileDocumentStore): Promise<string> {
  const command = COMMANDS[name];
  return bodyText((await command.run(decodeInput(decoder, command.needs), { store })).body);
}

test('commands run on typed input alone, with no transport', async (t) => {
  const path = join(tempDir(t), 'notes.phext');
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 20, maxPhextBytes: 1 << 20 });
  t.after(() => store.close());
  assert.equal(await run('update', decoderOf({ path, c: '1.1.2', text: 'hello' }), store), 'Updated 5 bytes');
  assert.equal(await run('insert', decoderOf({ path, c: '1.1.2', text: ' world' }), store), 'Inserted 6 bytes');
  assert.equal((await durableBytes(path)).toString(), '\x17hello world');
  assert.equal(await run('select', decoderOf({ path, c: '1.1.2' }), store), 'hello world');
  assert.equal(
    await run('status', decoderOf({ path }), store),
    'Hosting: notes.phext\nConnection ID: 7\nPhext Size: 12\nScrolls: 1\nVersion: 2',
  );
  assert.equal(await run('delete', decoderOf({ path, c: '1.1.2' }), store), 'Removed 11 bytes');
  assert.equal((await store.read(fileKey(path)))?.phext.get(at('1.1.2')), '');
});

test('every answer carries the version it shows or made; a write with another expected version is refused with 412', async (t) => {
  const path = join(tempDir(t), 'notes.phext');
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 20, maxPhextBytes: 1 << 20 });
  t.after(() => store.close());
  const reply = async (name: CommandName, fields: Omit<Parameters<typeof decoderOf>[0], 'path'>) => {
    const command = COMMANDS[name];
    const r = await command.run(decodeInput(decoderOf({ path, ...fields }), command.needs), { store });
    return { text: await bodyText(r.body), version: r.version };
  };
  assert.deepEqual(await reply('select', { c: '1.1.1' }), { text: '', version: 0 });
  assert.deepEqual(await reply('update', { c: '1.1.1', text: 'one', ifMatch: '"0"' }), { text: 'Updated 3 bytes', version: 1 });
  assert.deepEqual(await reply('insert', { c: '1.1.1', text: '+', ifMatch: '1' }), { text: 'Inserted 1 bytes', version: 2 });
  const stale = await reply('update', { c: '1.1.1', text: 'lost', ifMatch: '"1"' }).catch((e: unknown) => e);
  assert.deepEqual(describeError(stale), { status: 412, message: 'notes.phext is at version 2, not 1; the change was not made' });
  assert.deepEqual(await reply('get', {}), { text: 'one+', version: 2 });
  // A write that changes nothing makes no version; `*` matches any.
  assert.deepEqual(await reply('update', { c: '1.1.1', text: 'one+', ifMatch: '*' }), { text: 'Updated 4 bytes', version: 2 });
  assert.deepEqual(await reply('delete', { c: '1.1.1', ifMatch: '"2"' }), { text: 'Removed 4 bytes', version: 3 });
  const bad = await reply('update', { c: '1.1.1', text: 'x', ifMatch: 'W/"3"' }).catch((e: unknown) => e);
  assert.deepEqual(describeError(bad), {
    status: 400,
    message: `Invalid If-Match 'W/"3"': give one version, as the ETag shows it (e.g. "7"), or *`,
  });
  // Versions survive a restart (the change log keeps them).
  await store.close();
  const again = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 20, maxPhextBytes: 1 << 20 });
  assert.equal((await again.read(fileKey(path)))?.version, 3);
});

test('only the fields a command needs are decoded, in its order, so the first bad one is reported', async (t) => {
  const path = join(tempDir(t), 'notes.phext');
  const store = new FileDocumentStore({ directories: byDirectory, cacheBytes: 1 << 20, maxPhextBytes: 1 << 20 });
  t.after(() => store.close());
  const toc = decoderOf({ path, c: '1.1.1000' });
  assert.equal(await run('toc', toc, store), '* 1.1.1/1.1.1/1.1.1: \n');
  assert.deepEqual(toc.asked, ['phext']);

  const bad = decoderOf({ path, c: '1.1.1000', text: 'a\x17b' });
  const refused = await run('update', bad, store).catch((e: unknown) => e);
  assert.ok(refused instanceof CommandError);
  assert.equal(refused.code, 'invalid-coordinate');
  assert.deepEqual(describeError(refused), {
    status: 400,
    message: 'Invalid coordinate: scroll is 1000, outside 1..999 in coordinate 1.1.1/1.1.1/1.1.1000',
  });
  assert.deepEqual(bad.asked, ['coordinate']);
  for (const [fields, code] of [
    [{ c: '1.1.1', text: 'a\x17b' }, 'delimiter-in-text'],
    [{ algo: 'md5' }, 'unknown-algo'],
    [{ limit: '-1' }, 'invalid-limit'],
  ] as const) {
    const command: CommandName = 'algo' in fields || 'limit' in fields ? 'where' : 'update';
    const e = await run(command, decoderOf({ path, ...fields }), store).catch((err: unknown) => err);
    assert.ok(e instanceof CommandError && e.code === code, `${command} ${JSON.stringify(fields)}`);
  }
});
