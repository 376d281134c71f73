// `npx tsx bench/ab/handler-ab.ts <other-checkout>/src [chunks]`: in-process A/B of the Produce
// and Fetch handlers of another checkout (e.g. `git archive <base> | tar -x -C /tmp/base` plus a
// node_modules symlink) against this one. Each side runs its own in-process broker (temp dir, no
// metrics port) and gets the same requests in chunks of 50, the two sides taking turns; prints the
// mean wall µs per request and the branch/base ratio. It measures handler + partition layer + log
// without the network and the load generator. Run it with this checkout on both sides (an A/A
// run) to see the machine's noise before reading a difference.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const BASE = path.resolve(process.argv[2] ?? '');
const BRANCH = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src');
if (!process.argv[2]) throw new Error('usage: npx tsx bench/ab/handler-ab.ts <other-checkout>/src [rounds]');

async function side(root: string) {
  const { startBroker } = await import(`${root}/broker.ts`);
  const { loadBrokerConfig } = await import(`${root}/config/broker-config.ts`);
  const { createLogger } = await import(`${root}/logging/logger.ts`);
  const { produceHandler } = await import(`${root}/handlers/produce.ts`);
  const { fetchHandler } = await import(`${root}/handlers/fetch.ts`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ab-'));
  const config = loadBrokerConfig({ overrides: [`log.dirs=${dir}`, 'listeners=PLAINTEXT://127.0.0.1:0', 'tributary.metrics.port=-1'], env: {} });
  const started = await startBroker(config, createLogger({ level: 'silent' }));
  await started.broker.createTopic('ab', 1, 1, {});
  return { started, dir, produce: produceHandler(started.broker), fetch: fetchHandler(started.broker) };
}

const { buildRecordBatch } = await import('../../protocol/records/batch-builder.js');
const value = Buffer.alloc(1024, 7);
const batch16k = () => buildRecordBatch({ records: Array.from({ length: 16 }, () => ({ key: null, value })) });

const sides = { base: await side(BASE), branch: await side(BRANCH) };
const ctx = (v: number) => ({ header: { apiVersion: v } }) as never;
let N = 1500;

async function produceRound(h: any, acks: number): Promise<number> {
  const reqs = Array.from({ length: N }, () => ({ acks, timeoutMs: 30000, transactionalId: null, topicData: [{ name: 'ab', partitionData: [{ index: 0, records: batch16k() }] }] }));
  const t0 = process.hrtime.bigint();
  for (const r of reqs) await h.handle(ctx(9), r);
  return micros(t0) / N;
}

/** Wall µs since `t0`. (Process CPU is no better here: it counts the other side's background writes too.) */
function micros(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1000;
}

async function fetchRound(h: any, partitionMaxBytes: number): Promise<number> {
  const req = { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
    topics: [{ topic: 'ab', topicId: '', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes }] }] };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    req.topics[0]!.partitions[0]!.fetchOffset = (i * 16) % 20000;
    const res: any = await h.handle(ctx(12), req);
    if (res.responses[0].partitions[0].errorCode !== 0) throw new Error('fetch error');
  }
  return micros(t0) / N;
}

// Fine interleaving: chunks of CHUNK requests, base and branch taking turns (order flipped each
// chunk), wall time summed per side. Load from other processes then hits both sides alike.
const CHUNK = 50;
const chunks = Number(process.argv[3] ?? 40);
const scenarios: [string, (h: { produce: unknown; fetch: unknown }) => Promise<number>][] = [
  ['produce 16 KiB acks=1', (x) => produceRound(x.produce, 1)],
  ['produce 16 KiB acks=-1', (x) => produceRound(x.produce, -1)],
  ['fetch 1 MiB', (x) => fetchRound(x.fetch, 1 << 20)],
  ['fetch 16 KiB', (x) => fetchRound(x.fetch, 16 << 10)],
];
// Data to fetch: 1,500 16 KiB batches on each side.
N = 1500;
await produceRound(sides.base.produce, 1);
await produceRound(sides.branch.produce, 1);
N = CHUNK;
for (const [name, run] of scenarios) {
  const total = { base: 0, branch: 0 };
  for (let c = 0; c < chunks; c++) {
    const order = c % 2 === 0 ? (['base', 'branch'] as const) : (['branch', 'base'] as const);
    for (const s of order) total[s] += await run(sides[s]);
  }
  const b = total.base / chunks;
  const n = total.branch / chunks;
  console.log(`${name}: base ${b.toFixed(1)} µs/req, branch ${n.toFixed(1)} µs/req, branch/base ${(n / b).toFixed(3)}`);
}
for (const s of Object.values(sides)) {
  await s.started.close();
  await fs.rm(s.dir, { recursive: true, force: true });
}
