// `npx tsx bench/txn/txn-calls.ts <checkout>/src [iterations=15000] [all|txn|noprod|plain]`: one producer's
// transaction handlers called in a loop in-process, one call at a time, with the process CPU of
// each call (deferred work included where it runs) and of the whole loop (first 200 iterations are
// warm-up). Modes: all = AddPartitionsToTxn, a 100 x 1 KiB transactional Produce, EndTxn(commit),
// then a plain Produce of the same records; txn = without the plain one; noprod = AddPartitionsToTxn
// and EndTxn only (the coordinator's own cost, no 100 KB buffers whose GC lands on whichever call
// comes next); plain = plain Produce only. The Produce figures include building the request's
// batch (a 100 KB copy, plus its CRC for the transactional one). PROF=1 skips the per-call
// measurement (for `node --cpu-prof --import tsx bench/txn/txn-calls.ts ...`). Alternate
// checkouts run by run for an A/B (issue 14, bench/txn/README.md).
import os from 'node:os';
import { ctx, plainBatch, startHandlerBroker, txnBatch } from './handler-broker.js';
const ROOT = process.argv[2]!;
const N = Number(process.argv[3] ?? 15000);
const MODE = process.argv[4] ?? 'all';
const broker = await startHandlerBroker(ROOT, 'txn-calls-', 4);
const h = broker.h;
const p = await broker.producer('x', 0);
let T0 = process.cpuUsage();
const sum = { add: 0, produce: 0, end: 0, plain: 0 };
const PROF = process.env.PROF === '1';
async function cpuOf(k: keyof typeof sum, fn: () => Promise<unknown>): Promise<void> {
  if (PROF) return void (await fn());
  const c0 = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(c0);
  sum[k] += d.user + d.system;
}
const WARM_UP = 200;
for (let i = 0; i < N; i++) {
  if (i === WARM_UP) {
    T0 = process.cpuUsage();
    sum.add = sum.produce = sum.end = sum.plain = 0;
  }
  if (MODE !== 'plain') {
    await cpuOf('add', () => h.add.handle(ctx(3), { transactions: [], v3AndBelowTransactionalId: p.txnId, v3AndBelowProducerId: p.pid, v3AndBelowProducerEpoch: p.epoch, v3AndBelowTopics: [{ name: 'ab', partitions: [p.partition] }] }));
    if (MODE !== 'noprod') {
      await cpuOf('produce', () => h.produce.handle(ctx(9), { acks: -1, timeoutMs: 30000, transactionalId: p.txnId, topicData: [{ name: 'ab', partitionData: [{ index: p.partition, records: txnBatch(p.pid, p.epoch, p.seq) }] }] }));
      p.seq += 100;
    }
    await cpuOf('end', () => h.end.handle(ctx(3), { transactionalId: p.txnId, producerId: p.pid, producerEpoch: p.epoch, committed: true }));
  }
  if (MODE === 'all' || MODE === 'plain') await cpuOf('plain', () => h.produce.handle(ctx(9), { acks: -1, timeoutMs: 30000, transactionalId: null, topicData: [{ name: 'ab', partitionData: [{ index: 1, records: Buffer.from(plainBatch) }] }] }));
}
const n = N - WARM_UP;
const total = process.cpuUsage(T0);
console.log(`${n} iterations (${MODE}), load average ${os.loadavg()[0]!.toFixed(2)}: process CPU µs per iteration ${((total.user + total.system) / n).toFixed(1)}; per call ${Object.entries(sum).map(([k, v]) => `${k} ${(v / n).toFixed(1)}`).join(', ')}`);
await broker.close();
process.exit(0);
