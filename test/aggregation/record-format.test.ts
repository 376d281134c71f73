// Record parsing and validation: every dead-letter reason, JSON and CSV.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { validateDefinition, type AggregationDefinition } from '../../src/aggregation/definition.js';
import { murmur2 } from '../../src/aggregation/output-writer.js';
import { extractContribution, parseCsvLine } from '../../src/aggregation/record-format.js';
import { committedRecords, type BatchView } from '../../src/aggregation/sources/source-reader.js';

function def(extra: Record<string, unknown> = {}): AggregationDefinition {
  const v = validateDefinition({
    name: 'spend',
    sources: [{ name: 'alpha', topic: 'in', contributor: 'alpha' }, { name: 'any', topic: 'in2' }],
    contributorField: 'partner',
    groupBy: ['category', 'month'],
    measures: [
      { name: 'sum', op: 'sum', field: 'sum' },
      { name: 'count', op: 'count', field: 'count' },
    ],
    derived: [{ name: 'avg', op: 'avg', sum: 'sum', count: 'count' }],
    output: { topic: 'out' },
    ...extra,
  });
  if (!v.ok) throw new Error(v.errors.join('; '));
  return v.definition;
}

const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const good = { partner: 'alpha', category: 'food', month: '2024-01', sum: 10.5, count: 2 };

describe('extractContribution (JSON)', () => {
  const d = def();
  const any = d.sources[1]!;
  const cases: [string, Buffer, string][] = [
    ['not JSON', Buffer.from('{nope'), 'unparseable'],
    ['an array', json([1, 2]), 'unparseable'],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b]), 'unparseable'],
    ['a missing measure', json({ ...good, count: undefined }), 'missing-field'],
    ['a null group field', json({ ...good, month: null }), 'missing-field'],
    ['a missing contributor', json({ ...good, partner: '' }), 'missing-field'],
    ['a string measure', json({ ...good, sum: '10.5' }), 'wrong-type'],
    ['an object group field', json({ ...good, category: { a: 1 } }), 'wrong-type'],
    ['a fractional count', json({ ...good, count: 1.5 }), 'wrong-type'],
    ['a negative count', json({ ...good, count: -3 }), 'negative-count'],
  ];
  for (const [what, value, code] of cases) {
    it(`rejects ${what} as ${code}`, () => {
      const ex = extractContribution(d, any, value);
      expect(ex.ok).toBe(false);
      if (!ex.ok) {
        expect(ex.code).toBe(code);
        expect(ex.reason.length).toBeGreaterThan(5);
      }
    });
  }

  it('accepts numbers and booleans as group values, dotted paths, negative sums', () => {
    const d2 = def({ groupBy: ['meta.category', 'year'] });
    const ex = extractContribution(d2, d2.sources[1]!, json({ partner: 7, meta: { category: 'x' }, year: 2024, sum: -4, count: 0 }));
    expect(ex).toEqual({ ok: true, contribution: { contributor: '7', groupValues: ['x', '2024'], measures: [-4, 0] } });
  });

  it('a source pinned to a contributor rejects records naming another', () => {
    expect(extractContribution(d, d.sources[0]!, json(good)).ok).toBe(true);
    const ex = extractContribution(d, d.sources[0]!, json({ ...good, partner: 'mallory' }));
    expect(ex).toMatchObject({ ok: false, code: 'contributor-mismatch' });
  });

  it('count without a field counts contributions', () => {
    const d3 = def({ measures: [{ name: 'n', op: 'count' }], derived: [] });
    expect(extractContribution(d3, d3.sources[1]!, json(good))).toMatchObject({ ok: true, contribution: { measures: [1] } });
  });
});

describe('extractContribution (CSV)', () => {
  const d = def({ format: { type: 'csv', columns: ['partner', 'category', 'month', 'sum', 'count'] } });
  const src = d.sources[1]!;
  it('reads one line with the header spec, quoted cells included', () => {
    const ex = extractContribution(d, src, Buffer.from('beta,"food, fresh",2024-01,12.25,3\r\n'));
    expect(ex).toEqual({ ok: true, contribution: { contributor: 'beta', groupValues: ['food, fresh', '2024-01'], measures: [12.25, 3] } });
  });
  it('rejects wrong column counts, bad numbers and negative counts', () => {
    expect(extractContribution(d, src, Buffer.from('beta,food,2024-01,12'))).toMatchObject({ ok: false, code: 'unparseable' });
    expect(extractContribution(d, src, Buffer.from('beta,food,2024-01,12x,3'))).toMatchObject({ ok: false, code: 'wrong-type' });
    expect(extractContribution(d, src, Buffer.from('beta,food,2024-01,12,-1'))).toMatchObject({ ok: false, code: 'negative-count' });
    expect(extractContribution(d, src, Buffer.from('beta,food,,12,1'))).toMatchObject({ ok: false, code: 'missing-field' });
    expect(extractContribution(d, src, Buffer.from('beta,"food,2024-01,12,1'))).toMatchObject({ ok: false, code: 'unparseable' });
  });
  it('parseCsvLine handles escaped quotes and empty cells', () => {
    expect(parseCsvLine('a,"b ""c""",,d')).toEqual(['a', 'b "c"', '', 'd']);
    expect(parseCsvLine('x;y', ';')).toEqual(['x', 'y']);
    expect(parseCsvLine('"a"b')).toBeNull();
  });
});

describe('validateDefinition', () => {
  it('reports every problem', () => {
    const v = validateDefinition({ name: 'bad name', sources: [], groupBy: 'x', measures: [{ name: 'm', op: 'median' }], derived: [{ name: 'a', op: 'avg', sum: 'm', count: 'zz' }], output: {} });
    expect(v.ok).toBe(false);
    if (!v.ok) {
      const text = v.errors.join('\n');
      for (const frag of ['name:', 'sources:', 'groupBy:', 'measures[0].op', 'derived[0].count', 'output.topic', 'contributorField']) expect(text).toContain(frag);
    }
  });
  it('fills defaults and checks CSV fields against the columns', () => {
    const d = def();
    expect(d.minContributors).toBe(1);
    expect(d.deadLetterTopic).toBe('spend.dead-letter');
    expect(d.output.partitions).toBe(1);
    const v = validateDefinition({ ...d, format: { type: 'csv', columns: ['partner', 'category'] } });
    expect(v.ok).toBe(false);
  });
  it('validates remote cluster settings', () => {
    const v = validateDefinition({ ...def(), sources: [{ name: 'r', topic: 't', cluster: { bootstrap: ['nohost'], sasl: { mechanism: 'MD5', username: 'u' } } }] });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.errors.join('\n')).toMatch(/bootstrap[\s\S]*mechanism[\s\S]*password/);
  });
});

describe('murmur2', () => {
  it("matches kafkajs's Java-compatible murmur2", () => {
    const require = createRequire(import.meta.url);
    const ref = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (k: Buffer) => number;
    for (const k of ['21', 'foobar', 'a-little-bit-long-string', 'food|2024-01', '', 'x', 'xy', 'xyz', 'é|ü']) {
      expect(murmur2(Buffer.from(k))).toBe(ref(Buffer.from(k)));
    }
  });
});

describe('committedRecords (read_committed)', () => {
  const rec = (offset: number) => ({ offset, timestamp: 0, key: null, value: Buffer.from(String(offset)) });
  const batch = (base: number, n: number, pid: number, transactional: boolean): BatchView => ({
    baseOffset: base,
    lastOffset: base + n - 1,
    producerId: pid,
    transactional,
    control: false,
    abortMarker: false,
    records: Array.from({ length: n }, (_, i) => rec(base + i)),
  });
  const marker = (offset: number, pid: number, abort: boolean): BatchView => ({ baseOffset: offset, lastOffset: offset, producerId: pid, transactional: true, control: true, abortMarker: abort, records: [] });
  it('drops aborted transactional data and control batches, keeps committed data', () => {
    const batches = [batch(0, 2, -1, false), batch(2, 2, 7, true), batch(4, 1, 8, true), marker(5, 7, true), marker(6, 8, false), batch(7, 1, 7, true), marker(8, 7, false)];
    const out = committedRecords(batches, [{ producerId: 7, firstOffset: 2 }], 1);
    expect(out.map((r) => r.offset)).toEqual([1, 4, 7]);
  });
});
