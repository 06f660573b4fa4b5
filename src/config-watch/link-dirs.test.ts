import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { linkDirs } from './link-dirs.js';

// realpath: the temp dir itself may sit behind a link (macOS /tmp), which would add its parent.
const root = realpathSync(mkdtempSync(join(tmpdir(), 'sq-link-dirs-')));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const dir = join(root, `d${++n}`);
  mkdirSync(dir);
  return dir;
};

describe('linkDirs', () => {
  it('is the file’s own directory for a plain file, and for a missing one', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'tenants.json'), '{}');
    assert.deepEqual(linkDirs(join(dir, 'tenants.json')), [dir]);
    assert.deepEqual(linkDirs(join(dir, 'missing', 'tenants.json')), [join(dir, 'missing')]);
  });

  it('adds the directory of a link’s target, following chains and relative links', () => {
    const dir = fresh();
    mkdirSync(join(dir, 'etc'));
    mkdirSync(join(dir, 'deep'));
    writeFileSync(join(dir, 'deep', 'real.json'), '{}');
    symlinkSync('../deep/real.json', join(dir, 'etc', 'hop.json'));
    symlinkSync(join(dir, 'etc', 'hop.json'), join(dir, 'tenants.json'));
    assert.deepEqual(linkDirs(join(dir, 'tenants.json')).sort(), [dir, join(dir, 'deep'), join(dir, 'etc')].sort());
  });

  it('follows a ConfigMap layout: the file links through ..data to the current timestamped directory', () => {
    const dir = fresh();
    mkdirSync(join(dir, '..2026_a'));
    writeFileSync(join(dir, '..2026_a', 'tenants.json'), '{}');
    symlinkSync('..2026_a', join(dir, '..data'));
    symlinkSync('..data/tenants.json', join(dir, 'tenants.json'));
    assert.deepEqual(linkDirs(join(dir, 'tenants.json')).sort(), [dir, join(dir, '..2026_a')].sort());
  });

  it('includes the parent of a linked directory in the middle of the path', () => {
    const dir = fresh();
    mkdirSync(join(dir, 'mounts', 'v1'), { recursive: true });
    writeFileSync(join(dir, 'mounts', 'v1', 'tenants.json'), '{}');
    symlinkSync('v1', join(dir, 'mounts', 'current'));
    symlinkSync(join(dir, 'mounts', 'current', 'tenants.json'), join(dir, 'tenants.json'));
    assert.deepEqual(linkDirs(join(dir, 'tenants.json')).sort(), [dir, join(dir, 'mounts'), join(dir, 'mounts', 'v1')].sort());
  });

  it('stops on a link loop instead of spinning', () => {
    const dir = fresh();
    symlinkSync('b', join(dir, 'a'));
    symlinkSync('a', join(dir, 'b'));
    assert.ok(linkDirs(join(dir, 'a')).includes(dir));
  });
});
