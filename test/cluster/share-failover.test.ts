// Cluster mode (issue 13): share groups follow leadership. Three brokers; __share_group_state,
// __consumer_offsets and the data topic with RF 3, the data partition led by a broker other than
// the share coordinator (so its state goes over WriteShareGroupState between brokers). A share
// member consumes and acknowledges; then
//   1. the broker leading the __share_group_state partition is killed: the new leader loads the
//      partition, the data leader's writes go there, consumption goes on;
//   2. the data partition's leader is killed: the new leader rebuilds the share partition from
//      the persisted state — what was acquired and not acknowledged is delivered again (delivery
//      count kept and incremented), nothing acknowledged is delivered again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import type { ShareFetchResponse } from '../../protocol/generated/share-fetch.js';
import { SHARE_STATE_TOPIC } from '../../src/coordinator/share/share-state-store.js';
import { kafkajs } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { ClusterClients } from '../helpers/cluster-clients.js';
import type { RawClient } from '../helpers/raw-client.js';
import { ACCEPT, RawShareMember, RELEASE } from '../share/raw-share-member.js';

const OVERRIDES = {
  'group.share.auto.offset.reset': 'earliest',
  'offsets.topic.num.partitions': '1',
  'offsets.topic.replication.factor': '3',
  'share.coordinator.state.topic.num.partitions': '1',
  'share.coordinator.state.topic.replication.factor': '3',
  // Two of the three brokers are killed in turn: the last one must still take state writes.
  'share.coordinator.state.topic.min.isr': '1',
  'replica.lag.time.max.ms': '3000',
};
const TOPIC = 'share-failover';
const GROUP = 'g-share-failover';

let cluster: TestCluster;
const clients = new ClusterClients(() => cluster);

beforeAll(async () => {
  cluster = await startCluster(3, OVERRIDES);
}, 60_000);
afterAll(async () => {
  clients.close();
  await cluster?.close();
});

const step = (what: string, fields: object = {}) => {
  if (process.env.SHARE_DEBUG) console.log(`[share-failover] ${new Date().toISOString().slice(11, 23)} ${what}`, JSON.stringify(fields));
};

const alive = () => clients.alive();
const client = (id: number) => clients.client(id);
const coordinatorOf = (keyType: number, key: string) => clients.coordinatorOf(keyType, key);
const leaderOf = (topic: string) => clients.leaderOf(topic);

/** Offsets of the acquired records, with their delivery counts. */
function deliveries(r: ShareFetchResponse): { offset: number; count: number }[] {
  const out: { offset: number; count: number }[] = [];
  for (const t of r.responses) for (const p of t.partitions) for (const a of p.acquiredRecords) for (let o = Number(a.firstOffset); o <= Number(a.lastOffset); o++) out.push({ offset: o, count: a.deliveryCount });
  return out;
}

describe('share groups across broker failures', () => {
  it('keep acknowledged records acknowledged and redeliver the rest after the state and data leaders are killed', async () => {
    // The internal topics first, so the data partition can be placed away from the share coordinator.
    await cluster.waitFor('__share_group_state', async () => (await coordinatorOf(2, `${GROUP}:AAAAAAAAAAAAAAAAAAAAAA:0`)) > 0);
    await cluster.waitFor('__consumer_offsets', async () => (await coordinatorOf(0, GROUP)) > 0);
    await cluster.waitFor('a share coordinator', () => leaderOf(SHARE_STATE_TOPIC) > 0);
    const stateLeader = leaderOf(SHARE_STATE_TOPIC);
    const groupCoordinator = await coordinatorOf(0, GROUP);
    step('internal topics', { stateLeader, groupCoordinator });
    const dataLeader = [1, 2, 3].find((id) => id !== stateLeader && id !== groupCoordinator) ?? [1, 2, 3].find((id) => id !== stateLeader)!;
    const created = await (await client(dataLeader)).send(19, 7, {
      topics: [{ name: TOPIC, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [dataLeader, ...[1, 2, 3].filter((id) => id !== dataLeader)] }], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
    await cluster.waitFor('the data leader', () => leaderOf(TOPIC) === dataLeader);
    const topicId = cluster.byId(dataLeader).broker.topics.get(TOPIC)!.id;

    const kafka = kafkajs(cluster.bootstrap().split(','), { clientId: 'share-failover', retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const produce = async (from: number, n: number) => {
      for (let i = from; i < from + n; i++) await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: `v${i}` }] });
    };
    await produce(0, 10);
    step('produced', { dataLeader, topicId });

    // The share coordinator of this share partition is the __share_group_state leader, not the data leader.
    const shareKey = `${GROUP}:${topicId}:0`;
    expect(await coordinatorOf(2, shareKey)).toBe(stateLeader);
    expect(stateLeader).not.toBe(dataLeader);

    let via: RawClient = await client(dataLeader);
    const m = new RawShareMember(() => via, GROUP, 'member-a');
    const heartbeat = async () => {
      let r;
      await cluster.waitFor('a heartbeat answered by the group coordinator', async () => {
        const coordinator = await coordinatorOf(0, GROUP);
        if (coordinator < 0) return false;
        via = await client(coordinator);
        r = m.epoch === 0 ? await m.join([TOPIC]) : await m.heartbeat();
        return r.errorCode === ErrorCode.NONE;
      }, 30_000);
      return r!;
    };
    await heartbeat();
    step('joined', { epoch: m.epoch });
    expect(m.epoch).toBeGreaterThan(0);

    /** Fetches from the data partition's current leader until records come (a new leader: a new share session). */
    let fetchedFrom = -1;
    const fetchSome = async (): Promise<{ offset: number; count: number }[]> => {
      let got: { offset: number; count: number }[] = [];
      await cluster.waitFor('records acquired from the data leader', async () => {
        const leader = leaderOf(TOPIC);
        if (leader < 0) return false;
        if (leader !== fetchedFrom) {
          fetchedFrom = leader;
          m.session = 0;
        }
        via = await client(leader);
        const r = await m.fetch(topicId, { maxWaitMs: 200 });
        step('fetch', { leader, errorCode: r.errorCode, parts: r.responses.flatMap((t) => t.partitions.map((p) => [p.errorCode, p.acquiredRecords.length])) });
        if (r.errorCode === ErrorCode.INVALID_SHARE_SESSION_EPOCH || r.errorCode === ErrorCode.SHARE_SESSION_NOT_FOUND) m.session = 0;
        got = deliveries(r);
        return got.length > 0;
      }, 30_000);
      return got;
    };
    const ack = async (first: number, last: number, type: number) => {
      via = await client(fetchedFrom);
      const r = await m.ack(topicId, first, last, type);
      step('ack', { first, last, type, errorCode: r.errorCode, parts: r.responses.map((t) => t.partitions.map((p) => p.errorCode)) });
      expect(r.errorCode).toBe(ErrorCode.NONE);
      expect(r.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    };

    const accepted = new Set<number>();
    const delivered: { offset: number; count: number; phase: string }[] = [];

    // Before any failure: 0-9 acquired; 0-4 accepted, 5-9 left acquired.
    let got = await fetchSome();
    delivered.push(...got.map((d) => ({ ...d, phase: 'start' })));
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => ({ offset: i, count: 1 })));
    await ack(0, 4, ACCEPT);
    for (let o = 0; o <= 4; o++) accepted.add(o);

    // 1. The share coordinator's broker dies. The data leader keeps its share partition; its
    //    writes go to the new __share_group_state leader once that has loaded the partition.
    await cluster.kill(stateLeader);
    clients.drop(stateLeader);
    await cluster.waitFor('a new share coordinator', () => leaderOf(SHARE_STATE_TOPIC) > 0 && leaderOf(SHARE_STATE_TOPIC) !== stateLeader, 20_000);
    const stateLeader2 = leaderOf(SHARE_STATE_TOPIC);
    step('state leader moved', { stateLeader2 });
    await cluster.waitFor('FindCoordinator naming it', async () => (await coordinatorOf(2, shareKey)) === stateLeader2, 20_000);
    if (groupCoordinator === stateLeader) await heartbeat();
    await ack(5, 6, ACCEPT);
    accepted.add(5);
    accepted.add(6);
    await ack(7, 9, RELEASE);
    await produce(10, 5);
    got = await fetchSome();
    delivered.push(...got.map((d) => ({ ...d, phase: 'after state leader kill' })));
    // The released records again (second delivery) and the new ones.
    expect(got).toEqual([7, 8, 9].map((o) => ({ offset: o, count: 2 })).concat([10, 11, 12, 13, 14].map((o) => ({ offset: o, count: 1 }))));
    await ack(7, 11, ACCEPT);
    for (let o = 7; o <= 11; o++) accepted.add(o);
    // 12-14 stay acquired, unacknowledged, when the data leader dies.

    // The state the new share coordinator holds came over WriteShareGroupState from the data leader.
    const store2 = cluster.byId(stateLeader2).broker.shareService!.store!;
    await cluster.waitFor('the acknowledgements persisted on the new share coordinator', () => {
      const s = store2.get(GROUP, topicId, 0);
      step('state on the new coordinator', { startOffset: s?.startOffset, batches: s?.stateBatches });
      return s !== undefined && s.startOffset === 12;
    });

    // 2. The data partition's leader dies: the new leader reads the persisted state.
    const dataLeader2 = leaderOf(TOPIC);
    expect(dataLeader2).toBe(dataLeader);
    await cluster.kill(dataLeader);
    clients.drop(dataLeader);
    step('data leader killed', { dataLeader });
    if (groupCoordinator === dataLeader || stateLeader2 === dataLeader) await heartbeat();
    got = await fetchSome();
    delivered.push(...got.map((d) => ({ ...d, phase: 'after data leader kill' })));
    expect(fetchedFrom).not.toBe(dataLeader);
    // Acquired but never acknowledged on the old leader: delivered again, the delivery count kept.
    expect(got).toEqual([12, 13, 14].map((o) => ({ offset: o, count: 2 })));
    await ack(12, 14, ACCEPT);
    for (let o = 12; o <= 14; o++) accepted.add(o);

    // And consumption goes on past them.
    await produce(15, 3);
    got = await fetchSome();
    delivered.push(...got.map((d) => ({ ...d, phase: 'end' })));
    expect(got).toEqual([15, 16, 17].map((o) => ({ offset: o, count: 1 })));

    // No record was delivered after it was accepted: each accepted offset appears only up to its acceptance.
    const perOffset = new Map<number, number[]>();
    for (const d of delivered) perOffset.set(d.offset, [...(perOffset.get(d.offset) ?? []), d.count]);
    for (const o of accepted) expect(perOffset.get(o), `offset ${o}`).toEqual(o >= 7 && o <= 9 ? [1, 2] : o >= 12 && o <= 14 ? [1, 2] : [1]);
    await producer.disconnect();
  }, 120_000);
});
