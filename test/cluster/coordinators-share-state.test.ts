// Cluster mode: __share_group_state is a cluster topic (replicated, created through the
// controller on first use, its partitions loaded with their leadership); a share partition's
// state is written there through its share coordinator. One broker here: see
// share-failover.test.ts for three and the failovers.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { SHARE_STATE_TOPIC } from '../../src/coordinator/share/share-state-store.js';
import { decodeShareKey } from '../../src/coordinator/share/share-records.js';
import type { CoordinatorRecord } from '../../src/coordinator/runtime/record-log.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';
import { acquired, RawShareMember } from '../share/raw-share-member.js';

let cluster: TestCluster;
let client: RawClient;

beforeAll(async () => {
  // One broker: the internal topics need RF 1 set (in cluster mode they default to Kafka's 3).
  cluster = await startCluster(1, {
    'group.share.auto.offset.reset': 'earliest',
    'offsets.topic.num.partitions': '1',
    'offsets.topic.replication.factor': '1',
    'share.coordinator.state.topic.num.partitions': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
  });
  client = await RawClient.connect(cluster.byId(1).port);
});
afterAll(async () => {
  client?.close();
  await cluster?.close();
});

describe('share-group state in cluster mode', () => {
  it('is written to the replicated __share_group_state cluster topic and replays', async () => {
    const broker = cluster.byId(1).broker;
    const admin = new Kafka({ clientId: 'share-cluster', brokers: [cluster.byId(1).bootstrap], logLevel: logLevel.NOTHING });
    const producer = admin.producer();
    await producer.connect();
    await cluster.waitFor('the topic', async () => {
      const c = await RawClient.connect(cluster.byId(1).port);
      try {
        const r = await c.send(19, 7, { topics: [{ name: 'share-data', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
        return r.topics[0].errorCode === ErrorCode.NONE || r.topics[0].errorCode === ErrorCode.TOPIC_ALREADY_EXISTS;
      } finally {
        c.close();
      }
    });
    await cluster.waitFor('a leader', () => (broker.partitionManager.partition('share-data', 0)?.leaderId ?? -1) === 1);
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'share-data', messages: [{ value: `v${i}` }] });
    await producer.disconnect();
    const id = broker.topics.get('share-data')!.id;
    const m = new RawShareMember(() => client, 'g-share-cluster', 'a');
    await m.join(['share-data']);
    let got: ReturnType<typeof acquired> = [];
    await cluster.waitFor('records acquired', async () => (got = acquired(await m.fetch(id))).length > 0);
    expect(got).toEqual([{ firstOffset: 0, lastOffset: 2, deliveryCount: 1 }]);
    expect(await broker.shareService!.persister!.flush()).toBe(ErrorCode.NONE);

    expect(broker.partitionManager.hostedPartition(SHARE_STATE_TOPIC, 0)?.replicated).toBe(true);
    const log = (await broker.coordinatorRuntime!.open({ name: SHARE_STATE_TOPIC, numPartitions: 1, configs: {} }, false))!;
    const records: CoordinatorRecord[] = [];
    await log.replay(0, (r) => records.push(r));
    expect(records.map((r) => decodeShareKey(r.key)?.groupId)).toContain('g-share-cluster');
  }, 60_000);
});
