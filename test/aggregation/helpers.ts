// Shared helpers of the aggregation tests: a spend definition, producing contributions with a
// real client, reading output history, and polling.
import type { Broker } from '../../src/broker.js';
import { headerValue, readLocal } from '../../src/aggregation/local-log.js';
import { pkProducer } from '../helpers/clients.js';

export function spendDefinition(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'spend',
    sources: [{ name: 'local', topic: 'contributions' }],
    format: { type: 'json' },
    contributorField: 'partner',
    groupBy: ['category', 'month'],
    measures: [
      { name: 'sum', op: 'sum', field: 'sum' },
      { name: 'count', op: 'count', field: 'count' },
    ],
    derived: [{ name: 'avg', op: 'avg', sum: 'sum', count: 'count' }],
    minContributors: 1,
    output: { topic: 'global-spend' },
    ...overrides,
  };
}

export interface Contribution {
  partner: string;
  category: string;
  month: string;
  sum: number;
  count: number;
}

export function contributionKey(c: { partner: string; category: string; month: string }): string {
  return `${c.partner}|${c.category}|${c.month}`;
}

/** Sends records (value null = tombstone; a string value is sent as-is) with acks=all. */
export async function produce(bootstrap: string | readonly string[], topic: string, records: { key: string | null; value: Contribution | string | null; partition?: number }[]): Promise<void> {
  const producer = pkProducer(bootstrap, { clientId: 'agg-test', acks: -1, retries: 3 });
  try {
    await producer.send({
      messages: records.map((r) => ({
        topic,
        ...(r.partition !== undefined ? { partition: r.partition } : {}),
        key: r.key === null ? undefined : Buffer.from(r.key),
        value: r.value === null ? null : Buffer.from(typeof r.value === 'string' ? r.value : JSON.stringify(r.value)),
      })) as never,
    });
  } finally {
    await producer.close();
  }
}

export interface OutputRecord {
  offset: number;
  key: string;
  value: Record<string, any> | null;
  version: number;
  headers: Record<string, string>;
}

/** The whole history of a local topic partition (all partitions concatenated). */
export async function readHistory(broker: Broker, topic: string): Promise<OutputRecord[]> {
  const out: OutputRecord[] = [];
  const t = broker.topics.get(topic);
  for (let p = 0; p < (t?.partitions ?? 0); p++) {
    await readLocal(broker.coordinatorRuntime!.access, topic, p, 0, (r) => {
      out.push({
        offset: r.offset,
        key: r.key?.toString() ?? '',
        value: r.value === null ? null : parseOrText(r.value.toString()),
        version: Number(headerValue(r, 'tributary.version')),
        headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? ''])),
      });
    });
  }
  return out;
}

/** Latest value per key. */
export function latest(history: OutputRecord[]): Map<string, OutputRecord> {
  const m = new Map<string, OutputRecord>();
  for (const r of history) m.set(r.key, r);
  return m;
}

/** Each (group, version) appears once, and versions per group only grow. */
export function assertNoDuplicateVersions(history: OutputRecord[]): void {
  const last = new Map<string, number>();
  for (const r of history) {
    const prev = last.get(r.key) ?? 0;
    if (!(r.version > prev)) throw new Error(`group ${r.key}: version ${r.version} after ${prev} in the output history`);
    last.set(r.key, r.version);
  }
}

// The shared waitForValue under the name these tests use: waitFor(what, fn, timeoutMs).
export { waitForValue as waitFor } from '../helpers/wait.js';

function parseOrText(s: string): Record<string, any> {
  try {
    return JSON.parse(s) as Record<string, any>;
  } catch {
    return { text: s };
  }
}
