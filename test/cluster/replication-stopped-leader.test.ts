// Cluster mode (issue 13): a leader whose replication has stopped (it is crashing or shutting down,
// while its listener still answers for a moment) takes no more writes. It used to append an
// idempotent producer's next batch to its own log and acknowledge it at acks=all at once: the
// leader state that waits for the ISR was gone, so nothing waited. No follower ever saw the batch.
// The producer moved on to the next sequence, and the new leader answered that sequence with
// OUT_OF_ORDER_SEQUENCE_NUMBER (the aggregation-failover test's intermittent failure). The
// acknowledged record was also lost. Kafka's ReplicaManager never does this: a broker stops
// serving requests before it stops replicating. Here the leader answers NOT_LEADER_OR_FOLLOWER,
// and the producer's retry of the same sequence lands on the new leader.
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

function produce(c: RawClient, topic: string, records: Buffer) {
  return c
    .send(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] })
    .then((r) => r.responses[0].partitionResponses[0]);
}

async function leaderSeenBy(nodeId: number, topic: string): Promise<number> {
  const p = cluster.byId(nodeId).broker.partitionManager.partition(topic, 0);
  return p?.leaderId ?? -1;
}

describe('a leader whose replication has stopped', () => {
  it('refuses writes instead of acknowledging them unreplicated; the producer continues in sequence on the new leader', async () => {
    const topic = 'stopped-leader';
    const admin = await RawClient.connect(cluster.byId(1).port);
    const created = await admin.send(19, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    admin.close();
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
    await cluster.waitFor('a leader everywhere', async () => {
      const seen = await Promise.all([1, 2, 3].map((id) => leaderSeenBy(id, topic)));
      return seen[0]! > 0 && seen.every((l) => l === seen[0]);
    });
    const leader = await leaderSeenBy(1, topic);
    const conn = await RawClient.connect(cluster.byId(leader).port);
    const init = await conn.send(22, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
    expect(init.errorCode).toBe(ErrorCode.NONE);
    const { producerId, producerEpoch } = init;
    const batch = (seq: number, value: string) => buildRecordBatch({ producerId, producerEpoch, baseSequence: seq, records: [{ key: null, value: Buffer.from(value), timestamp: Date.now() }] });

    const first = await produce(conn, topic, batch(0, 'a'));
    expect(first.errorCode).toBe(ErrorCode.NONE);
    expect(Number(first.baseOffset)).toBe(0);

    // A crash or shutdown stops replication first (Broker.crash); the listener closes later, after
    // the services stop (a running aggregation stage takes a while). The next batch arrives in
    // between: here that moment is held open by stopping replication alone.
    cluster.byId(leader).broker.partitionManager.stopReplication();
    const during = await produce(conn, topic, batch(1, 'b'));
    expect(during.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // Transaction markers too: one written there alone would be lost with the broker, while the
    // coordinator counted the transaction as complete on this partition.
    const marker = await conn.send(27, 1, { markers: [{ producerId, producerEpoch, transactionResult: true, coordinatorEpoch: 0, topics: [{ name: topic, partitionIndexes: [0] }] }] });
    expect(marker.markers[0].topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    conn.close();
    await cluster.kill(leader);

    // Like a client: the next batches go to whichever live broker leads now (leadership may still
    // move between the survivors while the controller settles), retried on NOT_LEADER_OR_FOLLOWER.
    const survivors = [1, 2, 3].filter((id) => id !== leader);
    const produceAtLeader = async (records: Buffer) => {
      let last: any;
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const next = (await Promise.all(survivors.map(async (id) => ((await leaderSeenBy(id, topic)) === id ? id : -1)))).find((id) => id > 0);
        if (next !== undefined) {
          const c = await RawClient.connect(cluster.byId(next).port);
          try {
            last = await produce(c, topic, records);
          } finally {
            c.close();
          }
          if (last.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER) return last;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      return last;
    };
    // The retry of sequence 1 (refused above) is in sequence on the new leader...
    const retried = await produceAtLeader(batch(1, 'b'));
    expect(retried.errorCode).toBe(ErrorCode.NONE);
    expect(Number(retried.baseOffset)).toBe(1);
    // ...and so is the sequence after it.
    const after = await produceAtLeader(batch(2, 'c'));
    expect(after.errorCode).toBe(ErrorCode.NONE);
    expect(Number(after.baseOffset)).toBe(2);
  }, 60_000);
});
