import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Compiled to dist/src/, read from the sources beside the package.
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** The folders each layer may not import from (the transports are siblings over src/commands/). */
const FORBIDDEN: Record<string, readonly string[]> = {
  commands: ['server', 'daemon', 'cli', 'tenants', 'router'],
  store: ['commands', 'server', 'daemon', 'cli', 'tenants'],
  phext: ['commands', 'store', 'server', 'daemon', 'cli', 'tenants'],
  feed: ['commands', 'server', 'daemon', 'cli', 'tenants'],
  server: ['daemon', 'cli'],
  daemon: ['server', 'cli'],
  // The typed client runs in browsers too: the codec's coordinates are all it takes from SQ.
  client: ['commands', 'store', 'feed', 'server', 'daemon', 'cli', 'tenants', 'router', 'mcp'],
  mcp: ['server', 'daemon', 'cli', 'tenants', 'router'],
};

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) yield path;
  }
}

test('each layer imports only the layers below it', () => {
  const crossings: string[] = [];
  for (const [layer, forbidden] of Object.entries(FORBIDDEN)) {
    for (const file of sources(join(SRC, layer))) {
      for (const [, target = ''] of readFileSync(file, 'utf8').matchAll(/from '\.\.\/(?:\.\.\/)*([\w-]+)\//g)) {
        if (forbidden.includes(target)) crossings.push(`${relative(SRC, file)} imports ${target}/`);
      }
    }
  }
  assert.deepEqual(crossings, []);
});

// Every folder, not just the layers above: a cycle inside one (even of type-only imports, which
// the regex matches too) means two modules that cannot be read, or moved, one without the other.
test('no module of src/ imports itself through others, type-only imports included', () => {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const targets = [...readFileSync(file, 'utf8').matchAll(/(?:from|import) '(\.{1,2}\/[^']+)\.js'/g)].map(([, target]) =>
      resolve(dirname(file), `${target}.ts`),
    );
    graph.set(file, targets);
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});
