// Issue 13 (Jepsen): truncations of one follower log run one at a time. A partition that moves to
// a new leader while the old leader's fetcher is still truncating its log got a second,
// concurrent truncateTo from the new leader's fetcher. PartitionLog.truncateTo leaves the
// serialization to its caller: with two at once its "truncating" guard is cleared when the first
// ends, while the second still cuts segments and rebuilds the producer state, so an append could
// land in between and lose its producer state (a COMMIT marker's) to the rebuild.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import type { Partition } from '../../src/cluster/partition.js';
import { silentLogger } from '../../src/logging/logger.js';
import { ReplicaFetchers } from '../../src/cluster/replication/replica-fetchers.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const TOPIC = 'moved';
let a: TestBroker;
let b: TestBroker;

/** A broker leading TOPIC-0 in `epoch` with one record written in it. */
async function leaderAt(tb: TestBroker, epoch: number): Promise<void> {
  await tb.broker.createTopic(TOPIC, 1, 1, {});
  tb.broker.partitionManager.hostedPartition(TOPIC, 0)!.leaderEpoch = epoch;
  await tb.broker.partitionManager.append('client', TOPIC, 0, buildRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] }), 1, { produceVersion: 9 }).completion;
}

beforeAll(async () => {
  a = await startTestBroker();
  b = await startTestBroker();
  await leaderAt(a, 5);
  await leaderAt(b, 6);
});
afterAll(async () => {
  await a?.cleanup();
  await b?.cleanup();
});

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('follower truncation across a leader change', () => {
  it("waits for the old leader's fetcher to finish truncating before the new leader's truncates", async () => {
    // The follower's log: 100 records of epoch 5, which neither leader has; each truncation is held open.
    const gates: (() => void)[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let epochLookups = 0;
    const log = {
      logEndOffset: 100,
      writtenEndOffset: 100,
      logStartOffset: 0,
      highWatermark: 0,
      latestEpoch: () => 5,
      endOffsetForEpoch: (epoch: number) => {
        epochLookups++;
        return { epoch, endOffset: 100 };
      },
      truncateTo: (offset: number) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return new Promise<void>((resolve) =>
          gates.push(() => {
            inFlight--;
            log.logEndOffset = Math.min(log.logEndOffset, offset);
            resolve();
          }),
        );
      },
      appendAsFollower: () => ({ error: 'KAFKA_STORAGE_ERROR' }),
      setHighWatermark: () => undefined,
    };
    const ports = new Map([
      [101, a.port],
      [102, b.port],
    ]);
    const fetchers = new ReplicaFetchers({
      nodeId: 7,
      endpointOf: (id) => ({ host: '127.0.0.1', port: ports.get(id)! }),
      partitionMaxBytes: 1 << 20,
      responseMaxBytes: 1 << 20,
      maxWaitMs: 50,
      backoffMs: 20,
      logger: silentLogger,
    });
    // The brokers check the epoch the follower names, not who it thinks leads.
    const p = { topic: TOPIC, index: 0, leaderId: 101, leaderEpoch: 5, log } as unknown as Partition;
    try {
      fetchers.follow(p);
      await until("the old leader's truncation to start", () => gates.length === 1);
      // The partition moves to the other leader (epoch 6) while that truncation is still running.
      p.leaderId = 102;
      p.leaderEpoch = 6;
      fetchers.follow(p);
      // Proof the new leader answered and the follower computed its truncation point.
      await until("the new leader's OffsetForLeaderEpoch answer", () => epochLookups >= 2);
      expect(inFlight).toBe(1);
      gates.shift()!();
      await until("the new leader's truncation to start", () => gates.length === 1);
      expect(log.logEndOffset).toBe(1);
      gates.shift()!();
      await until('the second truncation to end', () => log.logEndOffset === 0);
      expect(maxInFlight).toBe(1);
    } finally {
      fetchers.stop();
      for (const g of gates) g();
    }
  });
});
