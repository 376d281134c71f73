// The partner-side tool (contribute/) without a cluster: CSV -> monthly contributions, the
// comparison with the peer group and its chart. The CLI round trip is in
// test/integration/aggregation-cli.test.ts.
import { describe, expect, it } from 'vitest';
import { renderSvg } from '../../contribute/chart.js';
import { compare } from '../../contribute/compare.js';
import { computeLocalMetrics, monthOf } from '../../contribute/local-metrics.js';

const CSV = ['date,category,amount', '2024-01-03,food,10.5', '2024-01-20,food,4.5', '2024/02/01,fuel,40', 'not-a-date,food,1', '2024-02-09,,3', '2024-02-10,food,abc', ''].join('\n');

describe('contribute: local metrics', () => {
  it('sums and counts per category and month, and names each skipped line', () => {
    const m = computeLocalMetrics(CSV, 'alpha');
    expect([...m.contributions.values()]).toEqual([
      { partner: 'alpha', category: 'food', month: '2024-01', sum: 15, count: 2 },
      { partner: 'alpha', category: 'fuel', month: '2024-02', sum: 40, count: 1 },
    ]);
    expect(m.rows).toBe(6);
    expect(m.skipped.map((s) => s.line)).toEqual([5, 6, 7]);
    expect(m.skipped[0]!.reason).toContain("unreadable date 'not-a-date'");
  });

  it('refuses a header without the configured columns', () => {
    expect(() => computeLocalMetrics('when,what,how much\n', 'alpha')).toThrow(/must name the columns 'date', 'category' and 'amount'/);
  });

  it('reads the month of ISO-like dates only', () => {
    expect([monthOf('2024-03-17'), monthOf('2024/3/1'), monthOf('2024-13-01'), monthOf('17.03.2024')]).toEqual(['2024-03', '2024-03', null, null]);
  });

  it('compares with the peer group and draws one panel per category', () => {
    const local = computeLocalMetrics(CSV, 'alpha').contributions.values();
    const global = [
      { group: { category: 'food', month: '2024-01' }, contributors: 3, measures: { sum: 60, count: 6 }, derived: { avg: 10 }, version: 1, updatedAt: '2024-03-01T00:00:00Z' },
    ];
    const rows = compare(local, global);
    const food = rows.find((r) => r.category === 'food' && r.month === '2024-01')!;
    expect(food).toMatchObject({ localAvg: 7.5, localCount: 2, globalAvg: 10, contributors: 3, diffPct: -25 });
    expect(rows.find((r) => r.category === 'fuel')!.globalAvg).toBeNull(); // no peer figure
    const svg = renderSvg('alpha', rows);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('alpha: average per transaction vs. peer group');
    expect(svg).not.toContain('<script');
  });
});
