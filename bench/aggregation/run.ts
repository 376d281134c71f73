// Aggregation stage benchmark (not part of `npm test`):
//   throughput  contributions folded per second by one aggregation: the source topic is filled
//               first (records appended straight to the log), then the aggregation is created
//               and timed until its committed input count reaches the total
//   latency     end-to-end delay from a contribution being committed on the source (its append
//               written, high watermark advanced) to the updated global result being readable on
//               the output topic (its high watermark past the new version), one at a time
//   remote      the same latency with the source on a second broker, read over the Kafka protocol
//
//   npx tsx bench/aggregation/run.ts [--records N] [--samples N] [--no-remote]
// Writes bench/aggregation/results/latest.json.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendLocal, readLocal } from '../../src/aggregation/local-log.js';
import { startBroker, type Broker } from '../../src/broker.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { createLogger } from '../../src/logging/logger.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RECORDS = opt('records', 200_000);
const SAMPLES = opt('samples', 200);
const REMOTE = !args.includes('--no-remote');
const PARTNERS = 50;
const CATEGORIES = 20;
const MONTHS = 24;

async function broker(dir: string): Promise<{ broker: Broker; port: number; close(): Promise<void> }> {
  const config = loadBrokerConfig({ overrides: [`log.dirs=${dir}`, 'listeners=PLAINTEXT://127.0.0.1:0', 'tributary.aggregation.status.interval.ms=1000'], env: {} });
  return startBroker(config, createLogger({ level: 'silent' }));
}

function definition(sources: unknown[]) {
  return {
    name: 'bench',
    sources,
    contributorField: 'partner',
    groupBy: ['category', 'month'],
    measures: [
      { name: 'sum', op: 'sum', field: 'sum' },
      { name: 'count', op: 'count', field: 'count' },
    ],
    derived: [{ name: 'avg', op: 'avg', sum: 'sum', count: 'count' }],
    minContributors: 3,
    output: { topic: 'bench-out' },
  };
}

function contribution(i: number, sum = (i % 9973) + 0.5) {
  const partner = `p${i % PARTNERS}`;
  const category = `c${Math.floor(i / PARTNERS) % CATEGORIES}`;
  const month = `m${Math.floor(i / (PARTNERS * CATEGORIES)) % MONTHS}`;
  return { key: Buffer.from(`${partner}|${category}|${month}`), value: Buffer.from(JSON.stringify({ partner, category, month, sum, count: 1 + (i % 17) })) };
}

async function fill(b: Broker, topic: string, partitions: number, n: number): Promise<void> {
  await b.createTopic(topic, partitions, 1, {});
  for (let start = 0; start < n; start += 1000) {
    const byPartition = new Map<number, ReturnType<typeof contribution>[]>();
    for (let i = start; i < Math.min(n, start + 1000); i++) {
      const p = i % partitions;
      byPartition.set(p, [...(byPartition.get(p) ?? []), contribution(i)]);
    }
    for (const [p, recs] of byPartition) {
      const r = await appendLocal(b.coordinatorRuntime!.access, topic, p, recs);
      if (!r.ok) throw new Error(r.error);
    }
  }
}

async function throughput(b: Broker): Promise<{ records: number; seconds: number; perSecond: number }> {
  await fill(b, 'bench-in', 4, RECORDS);
  const t0 = performance.now();
  const res = await b.aggregations!.define(definition([{ name: 'local', topic: 'bench-in' }]));
  if (!res.ok) throw new Error(res.errors.join('; '));
  for (;;) {
    const s = b.aggregations!.status('bench');
    if (s && s.recordsIn >= RECORDS) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const seconds = (performance.now() - t0) / 1000;
  return { records: RECORDS, seconds, perSecond: RECORDS / seconds };
}

/** Appends one changed contribution to `source` and waits until its new result is on the output. */
async function latency(out: Broker, pick: (s: number) => number, appendTo: (rec: ReturnType<typeof contribution>) => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const i = pick(s); // a group that is published (at least 3 partners)
    const marker = 1_000_000 + s;
    const rec = contribution(i, marker);
    const expected = JSON.parse(rec.value.toString()) as { category: string; month: string };
    const outLog = out.partition('bench-out', 0)!.log;
    let from = outLog.highWatermark;
    const watch = out.waiters.watch([{ topic: 'bench-out', partition: 0 }]);
    await appendTo(rec);
    const t0 = performance.now();
    let found = false;
    while (!found) {
      await watch.wait(1000);
      from = await readLocal(out.coordinatorRuntime!.access, 'bench-out', 0, from, (r) => {
        if (r.key?.toString() === `${expected.category}|${expected.month}` && r.value && JSON.parse(r.value.toString()).measures.sum >= marker) found = true;
      });
    }
    samples.push(performance.now() - t0);
    watch.close();
    await new Promise((r) => setTimeout(r, 5));
  }
  return samples.sort((a, b) => a - b);
}

function summary(ms: number[]) {
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
  return { samples: ms.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: ms[ms.length - 1]! };
}

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'tributary-agg-bench-'));
  dirs.push(d);
  return d;
};
const shared = await broker(await tmp());
const results: Record<string, unknown> = { when: new Date().toISOString(), node: process.version, cpus: os.cpus().length };
try {
  const t = await throughput(shared.broker);
  results.throughput = t;
  console.log(`throughput: ${t.records} contributions in ${t.seconds.toFixed(2)} s = ${Math.round(t.perSecond)} contributions/s`);

  const local = summary(await latency(shared.broker, (x) => (x * 7919) % Math.min(RECORDS, PARTNERS * CATEGORIES * MONTHS), async (rec) => void (await appendLocal(shared.broker.coordinatorRuntime!.access, 'bench-in', 0, [rec]))));
  results.latencyLocalMs = local;
  console.log(`latency, local source (ms): p50 ${local.p50.toFixed(2)}  p90 ${local.p90.toFixed(2)}  p99 ${local.p99.toFixed(2)}  max ${local.max.toFixed(2)}`);

  if (REMOTE) {
    const partner = await broker(await tmp());
    try {
      await partner.broker.createTopic('bench-remote', 1, 1, {});
      await shared.broker.aggregations!.remove('bench');
      const res = await shared.broker.aggregations!.define(definition([{ name: 'remote', topic: 'bench-remote', cluster: { bootstrap: [`127.0.0.1:${partner.port}`] } }]));
      if (!res.ok) throw new Error(res.errors.join('; '));
      // Every partner contributes to the one group the samples update, so it is published.
      await appendLocal(partner.broker.coordinatorRuntime!.access, 'bench-remote', 0, Array.from({ length: PARTNERS }, (_, i) => contribution(i)));
      while ((shared.broker.aggregations!.status('bench')?.recordsIn ?? 0) < PARTNERS) await new Promise((r) => setTimeout(r, 10));
      const remote = summary(await latency(shared.broker, (x) => x % PARTNERS, async (rec) => void (await appendLocal(partner.broker.coordinatorRuntime!.access, 'bench-remote', 0, [rec]))));
      results.latencyRemoteMs = remote;
      console.log(`latency, remote source (ms): p50 ${remote.p50.toFixed(2)}  p90 ${remote.p90.toFixed(2)}  p99 ${remote.p99.toFixed(2)}  max ${remote.max.toFixed(2)}`);
    } finally {
      await partner.close();
    }
  }
  const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
} finally {
  await shared.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
}
