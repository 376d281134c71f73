// The peer-group comparison a partner sees: its own monthly average per category beside the
// global figure from the aggregation's output topic, and the difference in percent.
import { type ClientSettings, closeClient, loadKafka, readTopicToEnd } from '../src/aggregation/kafka-client.js';
import type { LocalContribution } from './local-metrics.js';

export interface GlobalResult {
  group: Record<string, string>;
  contributors: number;
  measures: Record<string, number>;
  derived: Record<string, number | null>;
  version: number;
  updatedAt: string;
}

export interface ComparisonRow {
  category: string;
  month: string;
  localAvg: number | null;
  localCount: number;
  globalAvg: number | null;
  contributors: number | null;
  /** (local - global) / global * 100; null without a global figure. */
  diffPct: number | null;
  updatedAt: string | null;
}

export interface CompareFields {
  category: string;
  month: string;
  /** The derived output holding the global average. */
  avg: string;
}

export const DEFAULT_COMPARE_FIELDS: CompareFields = { category: 'category', month: 'month', avg: 'avg' };

/** The live results of an output topic (tombstoned groups are absent). */
export async function readGlobalResults(settings: ClientSettings, topic: string): Promise<GlobalResult[]> {
  const { Consumer } = await loadKafka();
  const consumer = new Consumer({ ...settings, groupId: `${settings.clientId}-reader` });
  try {
    const latest = new Map<string, GlobalResult | null>();
    for (const r of await readTopicToEnd(consumer, topic)) {
      const key = r.key?.toString('utf8');
      if (key === undefined) continue;
      try {
        latest.set(key, r.value === null ? null : (JSON.parse(r.value.toString('utf8')) as GlobalResult));
      } catch {
        // not a result record
      }
    }
    return [...latest.values()].filter((v): v is GlobalResult => v !== null && typeof v === 'object' && typeof v.group === 'object');
  } finally {
    await closeClient(consumer);
  }
}

export function compare(local: Iterable<LocalContribution>, global: GlobalResult[], f: CompareFields = DEFAULT_COMPARE_FIELDS): ComparisonRow[] {
  const byGroup = new Map(global.map((g) => [`${g.group[f.category]}\u0000${g.group[f.month]}`, g]));
  const rows: ComparisonRow[] = [];
  for (const c of local) {
    const g = byGroup.get(`${c.category}\u0000${c.month}`);
    const localAvg = c.count === 0 ? null : c.sum / c.count;
    const globalAvg = g ? (g.derived?.[f.avg] ?? null) : null;
    rows.push({
      category: c.category,
      month: c.month,
      localAvg,
      localCount: c.count,
      globalAvg,
      contributors: g?.contributors ?? null,
      diffPct: localAvg !== null && globalAvg !== null && globalAvg !== 0 ? ((localAvg - globalAvg) / globalAvg) * 100 : null,
      updatedAt: g?.updatedAt ?? null,
    });
  }
  return rows.sort((a, b) => (a.category === b.category ? a.month.localeCompare(b.month) : a.category.localeCompare(b.category)));
}

export function formatComparison(partner: string, rows: ComparisonRow[]): string {
  const fmt = (n: number | null) => (n === null ? '-' : n.toFixed(2));
  const pct = (n: number | null) => (n === null ? '-' : `${n >= 0 ? '+' : ''}${n.toFixed(1)}%`);
  const table = [
    ['CATEGORY', 'MONTH', 'YOUR AVG', 'TXNS', 'PEER AVG', 'PEERS', 'DIFF'],
    ...rows.map((r) => [r.category, r.month, fmt(r.localAvg), String(r.localCount), fmt(r.globalAvg), r.contributors === null ? '-' : String(r.contributors), pct(r.diffPct)]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) => row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
  const missing = rows.filter((r) => r.globalAvg === null).length;
  const note = missing > 0 ? `\n${missing} group(s) without a peer figure: too few contributors (the privacy threshold) or not aggregated yet.\n` : '\n';
  return `Peer-group comparison for ${partner} (average amount per transaction)\n${lines.join('\n')}\n${note}`;
}
