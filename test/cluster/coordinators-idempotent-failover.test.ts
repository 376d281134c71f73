// Cluster mode (issue 13): followers rebuild producer state from the batches they replicate, so a
// new leader dedups an idempotent producer's retry. A batch is acknowledged with acks=all (every
// ISR member has it), the leader is killed, and the producer — which never heard the answer —
// sends the same batch (same producer id, epoch and sequence) to the new leader: it answers with
// the original offset and writes nothing. A stale epoch is fenced there too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3);
});
afterAll(async () => {
  await cluster?.close();
});

async function withClient<T>(nodeId: number, fn: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await RawClient.connect(cluster.byId(nodeId).port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

function produce(c: RawClient, topic: string, records: Buffer) {
  return c.send(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }).then((r) => r.responses[0].partitionResponses[0]);
}

describe('idempotent producer across a leader failover', () => {
  it('the new leader answers a retried batch with its original offset and appends nothing', async () => {
    const topic = 'idem';
    const created = await withClient(1, (c) => c.send(19, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }));
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
    await cluster.waitFor('topic everywhere', () => [1, 2, 3].every((id) => cluster.byId(id).broker.partitionManager.partition(topic, 0)?.leaderId !== undefined && cluster.byId(id).broker.partitionManager.partition(topic, 0)!.leaderId > 0));
    const leader = cluster.byId(1).broker.partitionManager.partition(topic, 0)!.leaderId;
    const init = await withClient(leader, (c) => c.send(22, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 }));
    expect(init.errorCode).toBe(ErrorCode.NONE);
    const { producerId, producerEpoch } = init;
    const batch = (seq: number, value: string) => buildRecordBatch({ producerId, producerEpoch, baseSequence: seq, records: [{ key: null, value: Buffer.from(value), timestamp: Date.now() }] });

    const first = await withClient(leader, async (c) => {
      await produce(c, topic, batch(0, 'a'));
      return produce(c, topic, batch(1, 'b'));
    });
    expect(first.errorCode).toBe(ErrorCode.NONE);
    const originalOffset = Number(first.baseOffset);
    expect(originalOffset).toBe(1);

    await cluster.kill(leader);
    const survivor = [1, 2, 3].find((id) => id !== leader)!;
    let next = -1;
    await cluster.waitFor('a new leader', () => {
      next = cluster.byId(survivor).broker.partitionManager.partition(topic, 0)!.leaderId;
      return next > 0 && next !== leader;
    });
    // The retry of sequence 1 (its answer "lost" with the old leader).
    const retried = await withClient(next, (c) => produce(c, topic, batch(1, 'b')));
    expect(retried.errorCode).toBe(ErrorCode.NONE);
    expect(Number(retried.baseOffset)).toBe(originalOffset);
    expect(cluster.byId(next).broker.partitionManager.offsets({ topic, partition: 0 })!.logEndOffset).toBe(2);
    // Out of order for this producer on the new leader (it knows sequence 1 was the last one).
    const gap = await withClient(next, (c) => produce(c, topic, batch(5, 'x')));
    expect(gap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // The next sequence goes on.
    const after = await withClient(next, (c) => produce(c, topic, batch(2, 'c')));
    expect(after.errorCode).toBe(ErrorCode.NONE);
    expect(Number(after.baseOffset)).toBe(2);
  }, 60_000);
});
