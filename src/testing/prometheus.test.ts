import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheus, valueOf } from './prometheus.js';

describe('parsePrometheus (test helper)', () => {
  it('reads families, labels with escapes, special values', () => {
    const text = [
      '# HELP req_total Requests',
      '# TYPE req_total counter',
      'req_total{command="insert",status="200"} 3',
      'req_total{command="a\\"b\\\\c",status="500",} 1 1700000000000',
      '# TYPE lat histogram',
      'lat_bucket{le="+Inf"} 2',
      'lat_sum 0.5',
      'lat_count 2',
      '# TYPE lag gauge',
      'lag Nan',
      '',
    ].join('\n');
    const parsed = parsePrometheus(text);
    assert.equal(valueOf(parsed, 'req_total', { command: 'insert' }), 3);
    assert.equal(valueOf(parsed, 'req_total', { command: 'a"b\\c' }), 1);
    assert.equal(valueOf(parsed, 'lat_count'), 2);
    assert.ok(Number.isNaN(valueOf(parsed, 'lag')));
    assert.equal(parsed.types.get('lat'), 'histogram');
  });

  it('rejects what Prometheus would not read', () => {
    for (const bad of [
      'x 1',
      '# TYPE x counter\nx{a="1" b="2"} 1',
      '# TYPE x counter\nx{a=1} 1',
      '# TYPE x counter\nx one',
      '# TYPE x counter\n# TYPE x gauge',
      '# TYPE x counter\nx{a="1",a="2"} 1',
    ]) {
      assert.throws(() => parsePrometheus(bad), /metrics line \d+/, bad);
    }
  });
});
