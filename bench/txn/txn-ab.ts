// `npx tsx bench/txn/txn-ab.ts <other-checkout>/src [chunks]`: in-process A/B of one transaction's
// broker-side work — AddPartitionsToTxn, a Produce of one 100-record transactional batch (acks=-1),
// EndTxn(commit) — through the handlers of another checkout against this one (same shape as
// bench/ab/handler-ab.ts). Each side runs its own in-process broker (temp dir); the sides take
// turns in chunks of 25 transactions (order flipped per chunk); prints mean wall µs per
// transaction and per phase, then this checkout's CPU per call against a plain Produce of the
// same records. (Writes per transaction: count them with `strace -f -c -e trace=pwrite64,pwritev`
// around a loop of transactions; bench/txn/README.md has the figure.)
// No network and no load generator: what is left is the broker's own cost per transaction. Run
// it with this checkout on both sides (an A/A run) to see the machine's noise first.
import os from 'node:os';
import path from 'node:path';
import { ctx, plainBatch, startHandlerBroker, txnBatch } from './handler-broker.js';

const BASE = path.resolve(process.argv[2] ?? '');
const BRANCH = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src');
if (!process.argv[2]) throw new Error('usage: npx tsx bench/txn/txn-ab.ts <other-checkout>/src [chunks]');
const CHUNK = 25;
const chunks = Number(process.argv[3] ?? 40);
const PRODUCERS = 4;

async function side(root: string) {
  const broker = await startHandlerBroker(root, 'txn-ab-', PRODUCERS);
  const h = broker.h;
  const producers = [];
  for (let i = 0; i < PRODUCERS; i++) producers.push(await broker.producer(`ab-${i}`, i));
  return { broker, h, producers, phase: { add: 0, produce: 0, end: 0 } };
}

type Side = Awaited<ReturnType<typeof side>>;

/** One transaction per producer, the producers concurrently (as 4 connections would be). */
async function txnRound(s: Side): Promise<void> {
  await Promise.all(
    s.producers.map(async (p) => {
      let t = process.hrtime.bigint();
      const lap = (k: 'add' | 'produce' | 'end') => {
        const now = process.hrtime.bigint();
        s.phase[k] += Number(now - t) / 1000;
        t = now;
      };
      const add: any = await s.h.add.handle(ctx(3), { transactions: [], v3AndBelowTransactionalId: p.txnId, v3AndBelowProducerId: p.pid, v3AndBelowProducerEpoch: p.epoch, v3AndBelowTopics: [{ name: 'ab', partitions: [p.partition] }] });
      if (add.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode !== 0) throw new Error('AddPartitionsToTxn');
      lap('add');
      const res: any = await s.h.produce.handle(ctx(9), { acks: -1, timeoutMs: 30000, transactionalId: p.txnId, topicData: [{ name: 'ab', partitionData: [{ index: p.partition, records: txnBatch(p.pid, p.epoch, p.seq) }] }] });
      p.seq += 100;
      if (res.responses[0].partitionResponses[0].errorCode !== 0) throw new Error(`produce ${res.responses[0].partitionResponses[0].errorCode}`);
      lap('produce');
      const end: any = await s.h.end.handle(ctx(3), { transactionalId: p.txnId, producerId: p.pid, producerEpoch: p.epoch, committed: true });
      if (end.errorCode !== 0) throw new Error(`EndTxn ${end.errorCode}`);
      lap('end');
    }),
  );
}

const sides = { base: await side(BASE), branch: await side(BRANCH) };
// Warm-up (JIT, files created).
for (let i = 0; i < 20; i++) for (const s of Object.values(sides)) await txnRound(s);
for (const s of Object.values(sides)) s.phase = { add: 0, produce: 0, end: 0 };
const wall = { base: 0, branch: 0 };
const cpu = { base: 0, branch: 0 };
for (let c = 0; c < chunks; c++) {
  const order = c % 2 === 0 ? (['base', 'branch'] as const) : (['branch', 'base'] as const);
  for (const k of order) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CHUNK; i++) await txnRound(sides[k]);
    wall[k] += Number(process.hrtime.bigint() - t0) / 1000;
    const d = process.cpuUsage(c0);
    cpu[k] += d.user + d.system;
  }
}
const txns = chunks * CHUNK * PRODUCERS;
const row = (k: 'base' | 'branch') => {
  const p = sides[k].phase;
  return `${k.padEnd(6)} wall ${(wall[k] / txns).toFixed(1)} µs/txn, CPU ${(cpu[k] / txns).toFixed(1)} µs/txn (includes the other side's deferred work), phases add ${(p.add / txns).toFixed(1)} / produce ${(p.produce / txns).toFixed(1)} / end ${(p.end / txns).toFixed(1)} µs (4 concurrent)`;
};
console.log(`${txns} transactions per side (${PRODUCERS} producers, 100 × 1 KiB records each), load average ${os.loadavg()[0]!.toFixed(1)}`);
console.log(row('base'));
console.log(row('branch'));
console.log(`branch/base wall ${(wall.branch / wall.base).toFixed(3)}, CPU ${(cpu.branch / cpu.base).toFixed(3)}`);

// Where one transaction's CPU goes, this checkout, one producer at a time (so process CPU per
// phase is that phase's, deferred work included where it runs): against a plain Produce of the
// same 100 records (no producer id) as the yardstick.
{
  const s = sides.branch;
  const p = s.producers[0]!;
  const cpuOf = async (fn: () => Promise<unknown>) => {
    const c0 = process.cpuUsage();
    await fn();
    const d = process.cpuUsage(c0);
    return d.user + d.system;
  };
  const n = 400;
  const sum = { add: 0, produce: 0, end: 0, plain: 0 };
  for (let i = 0; i < n; i++) {
    sum.add += await cpuOf(() => s.h.add.handle(ctx(3), { transactions: [], v3AndBelowTransactionalId: p.txnId, v3AndBelowProducerId: p.pid, v3AndBelowProducerEpoch: p.epoch, v3AndBelowTopics: [{ name: 'ab', partitions: [p.partition] }] }));
    sum.produce += await cpuOf(() => s.h.produce.handle(ctx(9), { acks: -1, timeoutMs: 30000, transactionalId: p.txnId, topicData: [{ name: 'ab', partitionData: [{ index: p.partition, records: txnBatch(p.pid, p.epoch, p.seq) }] }] }));
    p.seq += 100;
    sum.end += await cpuOf(() => s.h.end.handle(ctx(3), { transactionalId: p.txnId, producerId: p.pid, producerEpoch: p.epoch, committed: true }));
    sum.plain += await cpuOf(() => s.h.produce.handle(ctx(9), { acks: -1, timeoutMs: 30000, transactionalId: null, topicData: [{ name: 'ab', partitionData: [{ index: 1, records: Buffer.from(plainBatch) }] }] }));
  }
  const f = (x: number) => (x / n).toFixed(1);
  console.log(`this checkout, CPU µs per call, one at a time (${n} each): AddPartitionsToTxn ${f(sum.add)}, transactional Produce ${f(sum.produce)}, EndTxn ${f(sum.end)}; plain Produce of the same records ${f(sum.plain)} → a transaction costs ${((sum.add + sum.produce + sum.end) / sum.plain).toFixed(2)}× a plain batch`);
}
for (const s of Object.values(sides)) {
  await s.broker.close();
}
process.exit(0);
