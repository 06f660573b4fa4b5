import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Coordinate } from '../phext/coordinate.js';
import { coordinatePrefix } from './coordinate-prefix.js';

const keyOf = (text: string): string => {
  const parsed = coordinatePrefix(text);
  assert.ok('key' in parsed, text);
  return parsed.key;
};
const inBranch = (branch: string, coordinate: string) => Coordinate.parse(coordinate).key.startsWith(keyOf(branch));

test('a branch holds the coordinates whose leading parts are its parts', () => {
  assert.equal(inBranch('2', '2.1.1/1.1.1/1.1.1'), true);
  assert.equal(inBranch('2', '20.1.1/1.1.1/1.1.1'), false, 'parts, not digits');
  assert.equal(inBranch('2.1.1', '2.1.1/5.5.5/5.5.5'), true);
  assert.equal(inBranch('2.1.1', '2.1.2/1.1.1/1.1.1'), false);
  assert.equal(inBranch('2.1.1/3', '2.1.1/3.9.9/1.1.1'), true);
  assert.equal(inBranch('2.1.1;3', '2.1.1/3.9.9/1.1.1'), true, 'the URL form of /');
  assert.equal(inBranch('1.1.1/1.1.1/1.1.2', '1.1.1/1.1.1/1.1.2'), true);
  assert.equal(inBranch('1.1.1/1.1.1/1.1.2', '1.1.1/1.1.1/1.1.1'), false);
});

test('anything else is refused with a one-line reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /use 1 to 9 parts/],
    ['2.', /use 1 to 9 parts/],
    ['.2', /use 1 to 9 parts/],
    ['a', /use 1 to 9 parts/],
    ['2..1', /use 1 to 9 parts/],
    ['2/1', /part 2 follows '\.'/],
    ['1.1.1.1', /part 4 follows '\/'/],
    ['1.1.1/1.1.1/1.1.1/1', /9 parts/],
    ['0', /1\.\.999/],
    ['1000', /1\.\.999/],
    ['1\n2', /use 1 to 9 parts/],
  ];
  for (const [text, why] of cases) {
    const parsed = coordinatePrefix(text);
    assert.ok('problem' in parsed, JSON.stringify(text));
    assert.match(parsed.problem, why, JSON.stringify(text));
    assert.ok(!parsed.problem.includes('\n'), JSON.stringify(text));
  }
});
