// producer.id.expiration.ms: idle producers are forgotten by the periodic maintenance pass, except
// those with an open transaction (their transaction still bounds the LSO).
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runProducerMaintenance } from '../../src/cluster/producer-maintenance.js';
import { appendClientRecords } from '../../storage/log/producer-state/append-with-state.js';
import type { PartitionLog } from '../../storage/log/partition-log.js';
import { openLog, tempDir } from '../storage/helpers/temp-log.js';
import { producerBatch } from '../storage/producer-state/helpers.js';

let tmp: { path: string; cleanup: () => Promise<void> };
let log: PartitionLog;
beforeEach(async () => {
  tmp = await tempDir();
  log = await openLog(tmp.path);
});
afterEach(async () => {
  await log.close();
  await tmp.cleanup();
});

it('forgets producers idle past producer.id.expiration.ms, but not one with an open transaction', async () => {
  for (const [pid, txn, ts] of [
    [1, false, 1_000],
    [2, true, 1_000],
    [3, false, 90_000],
  ] as const) {
    const { records, batches } = producerBatch({ pid, seq: 0, txn, timestamp: ts });
    await appendClientRecords(log, records, batches, 0).result!.written;
  }
  expect(runProducerMaintenance([log], 100_000, 50_000)).toBe(1);
  expect([...log.producers.producers.keys()].sort()).toEqual([2, 3]);
  expect(log.lastStableOffset).toBe(1);
});
