import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xxh3 } from '@node-rs/xxhash';
import { checksum } from './checksum.js';

test('protocol examples: hello and the empty phext', () => {
  assert.equal(checksum('hello'), 'b5e9c1ad071b3e7fc779cfaa5e523818');
  assert.equal(checksum(''), '99aa06d3014798d86001c324468d497f');
  assert.equal(checksum(new Uint8Array(0)), '99aa06d3014798d86001c324468d497f');
});

test('a string is hashed as its UTF-8 bytes', () => {
  assert.equal(checksum('héllo 🙂'), checksum(Buffer.from('héllo 🙂', 'utf8')));
  assert.notEqual(checksum('héllo'), checksum(Buffer.from('héllo', 'latin1')));
});

test('always 32 lowercase hex characters, zero-padded', () => {
  let padded = 0;
  for (let i = 0; i < 200; i++) {
    const sum = checksum(`x${i}`);
    assert.match(sum, /^[0-9a-f]{32}$/);
    assert.equal(BigInt(`0x${sum}`), xxh3.xxh128(`x${i}`));
    if (sum.startsWith('0')) padded++;
  }
  assert.ok(padded > 0, 'some of 200 hashes start with a zero nibble');
});
