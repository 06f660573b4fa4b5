import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Compiled to dist/src/client/, read from the sources beside the package.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The sources `entry` imports, itself included, followed through relative imports. */
function closure(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const [, target = ''] of text.matchAll(/(?:from|import) '(\.{1,2}\/[^']+)\.js'/g)) visit(resolve(dirname(file), `${target}.ts`));
  };
  visit(entry);
  return seen;
}

test('the client and what it imports use nothing but the web platform, so it runs in browsers', () => {
  const found: string[] = [];
  for (const [file, text] of closure(join(ROOT, 'src/client/index.ts'))) {
    const name = relative(ROOT, file);
    for (const [, target = ''] of text.matchAll(/(?:from|import) '([^'.][^']*)'/g)) found.push(`${name} imports ${target}`);
    for (const global of ['Buffer', 'process.', 'require(', '__dirname']) if (text.includes(global)) found.push(`${name} uses ${global}`);
  }
  assert.deepEqual(found, []);
});

test("the package exports it as 'sq/client', with its types", async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, { types: string; default: string }>;
    files: string[];
  };
  const entry = pkg.exports['./client'];
  assert.ok(entry);
  assert.equal(entry.default, './dist/src/client/index.js');
  assert.equal(entry.types, './dist/src/client/index.d.ts');
  assert.ok(pkg.files.includes('dist/src'));
  assert.ok(existsSync(join(ROOT, 'src/client/index.ts')));
  // The package's own name resolves through its exports (self-reference), as a dependent's import does.
  const specifier = `${pkg.name}/client`;
  const client = (await import(specifier)) as Record<string, unknown>;
  assert.equal(typeof client.SqClient, 'function');
  assert.equal(typeof client.SqError, 'function');
  assert.equal(typeof client.Coordinate, 'function');
});
