import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { coordinate, entries, pooledCoordinate, scrollText } from './arbitraries.test.js';
import { Coordinate } from './coordinate.js';
import { parse } from './parse.js';
import { Phext, type Scroll } from './phext.js';
import { serialize } from './serialize.js';

const at = Coordinate.parse;

/** The scrolls a phext should hold, by key, next to it: every check reads it sorted. */
class Model {
  readonly texts = new Map<string, string>();

  sorted(): [string, string][] {
    return [...this.texts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, text]) => [Coordinate.fromKey(k).toString(), text]);
  }

  /** The nearest keys before and after `key` (itself excluded). */
  neighbors(key: string): { before: string | undefined; after: string | undefined } {
    const keys = [...this.texts.keys()].sort();
    return { before: keys.filter((k) => k < key).at(-1), after: keys.find((k) => k > key) };
  }

  lastKey(): string | undefined {
    return [...this.texts.keys()].sort().at(-1);
  }
}

/** `count` coordinates, in order, after `key` (or from the origin): scroll breaks, a section break at 999. */
function after(key: string | undefined, count: number): Coordinate[] {
  const parts = key === undefined ? [1, 1, 1, 1, 1, 1, 1, 1, 0] : [...Coordinate.fromKey(key).parts];
  const out: Coordinate[] = [];
  for (let i = 0; i < count; i++) {
    if (parts[8]! < 999) parts[8]!++;
    else {
      parts[7]!++;
      parts[8] = 1;
    }
    out.push(Coordinate.of(parts));
  }
  return out;
}

type Op =
  | { op: 'set' | 'append'; c: Coordinate; text: string }
  | { op: 'delete'; c: Coordinate }
  // Scrolls past the last one, as the parser appends them (through appendBytes when `bytes`).
  | { op: 'run'; count: number; bytes: boolean }
  | { op: 'clone' | 'freeze' | 'iterate' };

const anyCoordinate = fc.oneof(coordinate, pooledCoordinate);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('set' as const, 'append' as const), c: anyCoordinate, text: scrollText }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), c: anyCoordinate }) },
  // Short runs, and runs of up to three loading chunks (1024 scrolls each) and more past them.
  { weight: 2, arbitrary: fc.record({ op: fc.constant('run' as const), count: fc.oneof(fc.nat(40), fc.nat(3500)), bytes: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('clone' as const, 'freeze' as const, 'iterate' as const) }) },
);

describe('Phext', () => {
  test('behaves as a sorted map of texts through any changes, in-order runs, clones and freezes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 14 }), fc.array(anyCoordinate, { maxLength: 4 }), (ops, probes) => {
        let phext = new Phext();
        let model = new Model();
        // Phexts left behind by clone and freeze, with what they held then: never changed after.
        const kept: [Phext, [string, string][]][] = [];
        const recorded: [string, string | undefined][] = [];
        let stop = phext.record((key, before) => recorded.push([key, before?.text]));
        const expectRecord = (key: string) => assert.deepEqual(recorded.pop(), [key, model.texts.get(key)]);
        for (const o of ops) {
          switch (o.op) {
            case 'set':
              phext.set(o.c, o.text);
              expectRecord(o.c.key);
              if (o.text === '') model.texts.delete(o.c.key);
              else model.texts.set(o.c.key, o.text);
              break;
            case 'append': {
              const next = (model.texts.get(o.c.key) ?? '') + o.text;
              assert.equal(phext.append(o.c, o.text), next);
              if (o.text !== '') {
                expectRecord(o.c.key);
                model.texts.set(o.c.key, next);
              }
              break;
            }
            case 'delete': {
              const had = model.texts.get(o.c.key);
              assert.equal(phext.delete(o.c), had ?? '');
              if (had !== undefined) expectRecord(o.c.key);
              model.texts.delete(o.c.key);
              break;
            }
            case 'run':
              for (const [i, c] of after(model.lastKey(), o.count).entries()) {
                const text = `s${i}é`;
                if (o.bytes) {
                  const bytes = Buffer.from(`<${text}>`);
                  phext.appendBytes(c.key, bytes, 1, bytes.length - 1);
                } else phext.append(c, text);
                expectRecord(c.key);
                model.texts.set(c.key, text);
              }
              break;
            case 'clone':
            case 'freeze': {
              kept.push([phext, model.sorted()]);
              if (o.op === 'freeze') {
                assert.equal(phext.freeze(), phext);
                assert.equal(phext.isFrozen, true);
                assert.throws(() => phext.set(at('1.1.1'), 'x'), /read-only/);
                assert.throws(() => phext.append(at('9.9.9/9.9.9/9.9.9'), 'x'), /read-only/);
                const last = model.lastKey();
                if (last !== undefined) assert.throws(() => phext.delete(Coordinate.fromKey(last)), /read-only/);
              }
              stop();
              phext = phext.clone();
              assert.equal(phext.isFrozen, false);
              const copy = new Model();
              for (const [k, text] of model.texts) copy.texts.set(k, text);
              model = copy;
              stop = phext.record((key, before) => recorded.push([key, before?.text]));
              break;
            }
            case 'iterate': {
              // Changing the phext while iterating its scrolls changes nothing of the iteration.
              const seen: string[] = [];
              for (const s of phext.scrolls()) {
                seen.push(s.coordinate.key);
                phext.set(after(s.coordinate.key, 1)[0]!, 'between');
                phext.set(s.coordinate, '');
              }
              assert.deepEqual(seen, [...model.texts.keys()].sort());
              recorded.length = 0;
              for (const k of seen) {
                const next = after(k, 1)[0]!.key;
                model.texts.set(next, 'between');
                model.texts.delete(k);
              }
              break;
            }
          }
          assert.equal(recorded.length, 0);
        }
        assert.deepEqual(entries(phext), model.sorted());
        assert.equal(phext.size, model.texts.size);
        for (const c of [...probes, ...after(model.lastKey(), 1)]) {
          assert.equal(phext.get(c), model.texts.get(c.key) ?? '');
          assert.equal(phext.has(c), model.texts.has(c.key));
          const { before, after: next } = phext.neighbors(c);
          const expected = model.neighbors(c.key);
          assert.deepEqual([before?.key, next?.key], [expected.before, expected.after]);
        }
        for (const [p, held] of kept) assert.deepEqual(entries(p), held);
      }),
      { numRuns: 200 },
    );
  });

  test('a parse of several loading chunks reads back whole, then changes like any phext', () => {
    const built = new Phext();
    for (const [i, c] of after(undefined, 5000).entries()) built.set(c, `scroll ${i}`);
    const bytes = serialize(built);
    const parsed = parse(bytes);
    assert.equal(parsed.size, 5000);
    assert.deepEqual(entries(parsed), entries(built));
    assert.ok(serialize(parsed).equals(bytes));
    const middle = after(undefined, 2500)[2499]!;
    assert.deepEqual(
      [parsed.neighbors(middle).before?.toString(), parsed.neighbors(middle).after?.toString()],
      ['1.1.1/1.1.1/1.3.501', '1.1.1/1.1.1/1.3.503'],
    );
    const draft = parsed.freeze().clone();
    draft.set(middle, '');
    draft.append(at('1.1.1/1.1.1/1.1.1'), '+');
    assert.equal(draft.size, 4999);
    assert.equal(draft.get(at('1.1.1/1.1.1/1.1.1')), 'scroll 0+');
    assert.equal(parsed.get(middle), 'scroll 2499');
    assert.equal(parsed.get(at('1.1.1/1.1.1/1.1.1')), 'scroll 0');
  });

  test('a new phext given exactly one loading chunk in order still finds those scrolls when changed', () => {
    const p = new Phext();
    const cs = after(undefined, 1024);
    for (const c of cs) p.append(c, 'a');
    assert.equal(p.append(cs[0]!, 'b'), 'ab');
    p.set(cs[1]!, 'c');
    assert.equal(p.size, 1024);
    assert.deepEqual([p.get(cs[0]!), p.get(cs[1]!), p.get(cs[2]!)], ['ab', 'c', 'a']);
  });

  test('appendBytes joins a scroll it already has, in or out of order', () => {
    const p = new Phext();
    const bytes = Buffer.from('abcdef');
    p.appendBytes(at('1.1.2').key, bytes, 0, 2);
    p.appendBytes(at('1.1.2').key, bytes, 2, 4);
    p.appendBytes(at('1.1.1').key, bytes, 4, 6);
    p.appendBytes(at('1.1.3').key, bytes, 3, 3);
    assert.deepEqual(entries(p), [
      ['1.1.1/1.1.1/1.1.1', 'ef'],
      ['1.1.1/1.1.1/1.1.2', 'abcd'],
    ]);
  });

  test('from takes scrolls in any order, the later of two on one coordinate, and skips empty texts', () => {
    const scrolls: Scroll[] = [
      { coordinate: at('1.1.3'), text: 'c' },
      { coordinate: at('1.1.1'), text: 'a' },
      { coordinate: at('1.1.3'), text: 'C' },
      { coordinate: at('1.1.2'), text: '' },
    ];
    assert.deepEqual(entries(Phext.from(scrolls)), [
      ['1.1.1/1.1.1/1.1.1', 'a'],
      ['1.1.1/1.1.1/1.1.3', 'C'],
    ]);
  });
});

test('memory counts the parsed bytes once and changed texts by their characters, and follows every change', () => {
  const bytes = serialize(
    Phext.from(['a', 'b', 'c'].map((t, i) => ({ coordinate: at(`1.1.1/1.1.1/1.1.${i + 1}`), text: t.repeat(1000) }))),
  );
  const parsed = parse(bytes);
  const loaded = parsed.memory;
  assert.ok(loaded >= bytes.length && loaded < 1.5 * bytes.length, `${loaded} for ${bytes.length} bytes`);
  const copy = parsed.clone();
  assert.equal(copy.memory, loaded);
  copy.set(at('1.1.1/1.1.1/1.1.2'), 'x'.repeat(1000));
  const ascii = copy.memory;
  assert.ok(ascii >= loaded + 1000, 'a changed text is held beside the parsed bytes');
  assert.equal(parsed.memory, loaded, 'a change of a copy changed the original');
  copy.set(at('1.1.1/1.1.1/1.1.2'), '€'.repeat(1000));
  assert.ok(copy.memory >= ascii + 1000, 'a text of two-byte characters is counted as one-byte');
  copy.append(at('1.1.1/1.1.1/1.1.2'), '€'.repeat(1000));
  assert.ok(copy.memory >= ascii + 3000);
  copy.delete(at('1.1.1/1.1.1/1.1.2'));
  copy.set(at('1.1.1/1.1.1/1.1.3'), '');
  assert.ok(copy.memory < loaded, 'removed scrolls are still counted');
  assert.ok(copy.memory >= bytes.length, 'the parsed bytes, still held by a scroll, are not counted');
});
