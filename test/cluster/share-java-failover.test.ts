// Cluster mode (issue 13) with Kafka's own KafkaShareConsumer (kafka-clients 4.4,
// test/compat/java-share/ShareSession.java): three brokers, a 3-partition RF 3 topic (one
// partition led by each broker). A member accepts the first 12 records; 18 more are produced;
// the broker leading the __share_group_state partition — which also leads one data partition —
// is killed; a second member (share.auto.offset.reset=earliest) gets exactly the 18 new records:
// the accepted ones stay accepted through both failovers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { SHARE_STATE_TOPIC } from '../../src/coordinator/share/share-state-store.js';
import { kafkajs } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { runJava, shareClasspath, stepOf } from '../helpers/java-client.js';
import { RawClient } from '../helpers/raw-client.js';

const TOPIC = 'share-java-cluster';
const GROUP = 'g-share-java-cluster';

let cluster: TestCluster;
let cp: string;

beforeAll(async () => {
  cp = shareClasspath();
  cluster = await startCluster(3, {
    'group.share.auto.offset.reset': 'earliest',
    'group.share.heartbeat.interval.ms': '500',
    'offsets.topic.num.partitions': '1',
    'offsets.topic.replication.factor': '3',
    'share.coordinator.state.topic.num.partitions': '1',
    'share.coordinator.state.topic.replication.factor': '3',
    'replica.lag.time.max.ms': '3000',
  });
}, 300_000);
afterAll(async () => {
  await cluster?.close();
});

const alive = () => [1, 2, 3].filter((id) => cluster.brokers[id - 1] !== undefined);

function leaderOf(topic: string, partition: number): number {
  const live = alive();
  const views = live.map((id) => cluster.byId(id).broker.partitionManager.partition(topic, partition)?.leaderId ?? -1);
  return views.every((v) => v === views[0]) && live.includes(views[0]!) ? views[0]! : -1;
}

interface Delivery {
  partition: number;
  offset: number;
  value: string;
  deliveryCount: number;
}

async function member(stopAfter: number): Promise<Delivery[]> {
  const steps = await runJava('ShareSession', [cluster.bootstrap(), GROUP, TOPIC, 'accept', String(stopAfter), '30000'], 90_000, cp);
  const failed = steps.find((s) => s.step === 'failed');
  if (failed) throw new Error(`ShareSession failed: ${JSON.stringify(failed)}`);
  return stepOf(steps, 'deliveries').records as Delivery[];
}

describe('KafkaShareConsumer on a cluster', () => {
  it('resumes from the persisted state after the share coordinator\'s broker is killed', async () => {
    const c = await RawClient.connect(cluster.byId(1).port);
    try {
      await cluster.waitFor('the share state topic', async () => {
        const r = await c.send(10, 6, { keyType: 2, coordinatorKeys: [`${GROUP}:AAAAAAAAAAAAAAAAAAAAAA:0`] });
        return r.coordinators[0].errorCode === ErrorCode.NONE;
      });
    } finally {
      c.close();
    }
    await cluster.waitFor('its leader', () => leaderOf(SHARE_STATE_TOPIC, 0) > 0);
    const stateLeader = leaderOf(SHARE_STATE_TOPIC, 0);
    // Partition 0 led by the share coordinator's broker, the others elsewhere.
    const others = [1, 2, 3].filter((id) => id !== stateLeader);
    const kafka = kafkajs(cluster.bootstrap().split(','), { clientId: 'share-java-cluster', retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: TOPIC, replicaAssignment: [0, 1, 2].map((p) => ({ partition: p, replicas: p === 0 ? [stateLeader, ...others] : [others[p - 1]!, stateLeader, others[2 - p]!] })) }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    await cluster.waitFor('the data leaders', () => leaderOf(TOPIC, 0) === stateLeader && leaderOf(TOPIC, 1) > 0 && leaderOf(TOPIC, 2) > 0);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const all = Array.from({ length: 30 }, (_, i) => `r-${i}`);
    const produce = async (values: string[]) => {
      for (const [i, value] of values.entries()) await producer.send({ topic: TOPIC, acks: -1, messages: [{ value, partition: i % 3 }] });
    };
    await produce(all.slice(0, 12));

    const first = await member(12);
    expect(first.map((d) => d.value).sort()).toEqual(all.slice(0, 12).sort());
    expect(first.every((d) => d.deliveryCount === 1)).toBe(true);
    await produce(all.slice(12));
    await producer.disconnect();

    await cluster.kill(stateLeader);
    await cluster.waitFor('new leaders', () => leaderOf(SHARE_STATE_TOPIC, 0) > 0 && leaderOf(TOPIC, 0) > 0, 20_000);

    // Only the new records: had the accepted ones come back (state lost), they would be among the
    // first deliveries, at the lowest offsets of each partition.
    const second = await member(18);
    expect(second.map((d) => d.value).sort()).toEqual(all.slice(12).sort());
    expect(second.every((d) => d.deliveryCount === 1)).toBe(true);
  }, 240_000);
});
