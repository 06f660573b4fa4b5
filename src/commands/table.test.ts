import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileDocumentStore } from '../store/file-store.js';
import { at } from '../testing/store-support.js';
import { tempDir } from '../testing/temp-dir.js';
import { bodyText } from './body-stream.js';
import { CommandError, describeError } from './errors.js';
import { coordinate, decodeInput, scrollText, whereAlgo, whereLimit, type CommandInput, type InputDecoder } from './input.js';
import { COMMANDS, type CommandName } from './table.js';

/** A transport of the simplest kind: every field from a plain object, through the shared rules. */
function decoderOf(fields: { path: string; c?: string; text?: string; algo?: string; limit?: string }): InputDecoder & { asked: string[] } {
  const asked: string[] = [];
  const ask =
    <T>(name: keyof CommandInput, value: () => T) =>
    () => {
      asked.push(name);
      return value();
    };
  return {
    asked,
    phext: ask('phext', () => ({ name: 'notes', path: fields.path })),
    coordinate: ask('coordinate', () => coordinate(fields.c)),
    text: ask('text', () => scrollText(fields.text ?? '')),
    manifest: ask('manifest', () => fields.text ?? ''),
    source: ask('source', () => fields.text ?? ''),
    algo: ask('algo', () => whereAlgo(fields.algo)),
    limit: ask('limit', () => whereLimit(fields.limit)),
    connectionId: ask('connectionId', () => 7),
  };
}

async function run(name: CommandName, decoder: InputDecoder, store: FileDocumentStore): Promise<string> {
  const command = COMMANDS[name];
  return bodyText((await command.run(decodeInput(decoder, command.needs), { store })).body);
}

test('commands run on typed input alone, with no transport', async (t) => {
  const path = join(tempDir(t), 'notes.phext');
  const store = new FileDocumentStore({ cacheBytes: 1 << 20, maxPhextBytes: 1 << 20 });
  t.after(() => store.close());
  assert.equal(await run('update', decoderOf({ path, c: '1.1.2', text: 'hello' }), store), 'Updated 5 bytes');
  assert.equal(await run('insert', decoderOf({ path, c: '1.1.2', text: ' world' }), store), 'Inserted 6 bytes');
  assert.equal(readFileSync(path, 'utf8'), '\x17hello world');
  assert.equal(await run('select', decoderOf({ path, c: '1.1.2' }), store), 'hello world');
  assert.equal(await run('status', decoderOf({ path }), store), 'Hosting: notes.phext\nConnection ID: 7\nPhext Size: 12\nScrolls: 1');
  assert.equal(await run('delete', decoderOf({ path, c: '1.1.2' }), store), 'Removed 11 bytes');
  assert.equal((await store.read(path))?.phext.get(at('1.1.2')), '');
});

test('only the fields a command needs are decoded, in its order, so the first bad one is reported', async (t) => {
  const path = join(tempDir(t), 'notes.phext');
  const store = new FileDocumentStore({ cacheBytes: 1 << 20, maxPhextBytes: 1 << 20 });
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
