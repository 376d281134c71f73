// Cluster mode (issue 13): who serves what for share groups, with Kafka's error codes.
//   - FindCoordinator key type 2 ("group:topicId:partition", v6+) names the __share_group_state
//     partition leader; a malformed key is INVALID_REQUEST, an older version UNSUPPORTED_VERSION.
//   - The share coordinator's RPCs answer NOT_COORDINATOR on other brokers; a write from an
//     older leader epoch than the last read is FENCED_LEADER_EPOCH.
//   - ShareFetch on a broker that does not lead the data partition: NOT_LEADER_OR_FOLLOWER, with
//     the leader in CurrentLeader and NodeEndpoints.
//   - Share-group membership follows its __consumer_offsets partition: after the group
//     coordinator's broker is killed, the new coordinator knows the member and its epoch.
//   - Describe / Alter / DeleteShareGroupOffsets on the group coordinator read and write the
//     state through the share coordinators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { OFFSETS_TOPIC } from '../../src/coordinator/common/internal-topics.js';
import { SHARE_STATE_TOPIC } from '../../src/coordinator/share/share-state-store.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { ClusterClients } from '../helpers/cluster-clients.js';
import { kafkajs } from '../helpers/clients.js';
import { ACCEPT, acquired, RawShareMember } from '../share/raw-share-member.js';

const OVERRIDES = {
  'group.share.auto.offset.reset': 'earliest',
  'offsets.topic.num.partitions': '1',
  'offsets.topic.replication.factor': '3',
  'share.coordinator.state.topic.num.partitions': '1',
  'share.coordinator.state.topic.replication.factor': '3',
  'replica.lag.time.max.ms': '3000',
};
const TOPIC = 'share-coord';
const GROUP = 'g-share-coord';

let cluster: TestCluster;
const clients = new ClusterClients(() => cluster);

beforeAll(async () => {
  cluster = await startCluster(3, OVERRIDES);
}, 60_000);
afterAll(async () => {
  clients.close();
  await cluster?.close();
});

const alive = () => clients.alive();
const client = (id: number) => clients.client(id);
const findCoordinator = (keyType: number, key: string, version = 6) => clients.findCoordinator(keyType, key, version);
const leaderOf = (topic: string) => clients.leaderOf(topic);

describe('share coordinators in a cluster', () => {
  let topicId = '';

  it('names the share coordinator and answers the share RPCs with Kafka\'s errors', async () => {
    await cluster.waitFor('the data topic', async () => {
      const r = await (await client(1)).send(19, 7, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
      return r.topics[0].errorCode === ErrorCode.NONE || r.topics[0].errorCode === ErrorCode.TOPIC_ALREADY_EXISTS;
    });
    await cluster.waitFor('a data leader', () => leaderOf(TOPIC) > 0);
    topicId = cluster.byId(1).broker.topics.get(TOPIC)!.id;
    const key = `${GROUP}:${topicId}:0`;

    await cluster.waitFor('a share coordinator', async () => (await findCoordinator(2, key)).errorCode === ErrorCode.NONE && leaderOf(SHARE_STATE_TOPIC) > 0);
    expect((await findCoordinator(2, key)).nodeId).toBe(leaderOf(SHARE_STATE_TOPIC));
    expect((await findCoordinator(2, `${GROUP}:not-a-topic-id:0`)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await findCoordinator(2, key, 5)).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);

    const coordinator = leaderOf(SHARE_STATE_TOPIC);
    const other = alive().find((id) => id !== coordinator)!;
    const read = (id: number, leaderEpoch: number) => client(id).then((c) => c.send(84, 0, { groupId: GROUP, topics: [{ topicId, partitions: [{ partition: 0, leaderEpoch }] }] }));
    const write = (id: number, leaderEpoch: number) =>
      client(id).then((c) => c.send(85, 1, { groupId: GROUP, topics: [{ topicId, partitions: [{ partition: 0, stateEpoch: 0, leaderEpoch, startOffset: 3, deliveryCompleteCount: 0, stateBatches: [{ firstOffset: 3, lastOffset: 4, deliveryState: 0, deliveryCount: 1 }] }] }] }));
    expect((await read(other, 0)).results[0].partitions[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    // The coordinator may still be loading the partition it leads: COORDINATOR_LOAD_IN_PROGRESS until then.
    await cluster.waitFor('the share coordinator loaded', async () => (await write(coordinator, 5)).results[0].partitions[0].errorCode === ErrorCode.NONE);
    const r = (await read(coordinator, 7)).results[0].partitions[0];
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE, startOffset: 3, stateBatches: [{ firstOffset: 3, lastOffset: 4, deliveryState: 0, deliveryCount: 1 }] });
    // Leader epoch 7 read the state: a write from epoch 5 comes from a deposed leader.
    expect((await write(coordinator, 5)).results[0].partitions[0].errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await write(coordinator, 7)).results[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    const bad = await (await client(coordinator)).send(85, 1, { groupId: GROUP, topics: [{ topicId, partitions: [{ partition: 0, stateEpoch: 0, leaderEpoch: 7, startOffset: 3, deliveryCompleteCount: 0, stateBatches: [{ firstOffset: 3, lastOffset: 4, deliveryState: 9, deliveryCount: 1 }] }] }] });
    expect(bad.results[0].partitions[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
    // Back to no state, so the member below starts at the log start.
    expect((await (await client(coordinator)).send(86, 0, { groupId: GROUP, topics: [{ topicId, partitions: [{ partition: 0 }] }] })).results[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    expect((await read(coordinator, 7)).results[0].partitions[0].startOffset).toBe(-1);

    // ShareFetch only on the data leader.
    const follower = alive().find((id) => id !== leaderOf(TOPIC))!;
    let via = await client(follower);
    const m = new RawShareMember(() => via, GROUP, 'm-follower');
    let gc = -1;
    // The coordinator may still be taking over __consumer_offsets (NOT_COORDINATOR / LOAD_IN_PROGRESS for a moment).
    await cluster.waitFor('the member joined', async () => {
      gc = (await findCoordinator(0, GROUP)).nodeId;
      if (!alive().includes(gc)) return false;
      via = await client(gc);
      return (await m.join([TOPIC])).errorCode === ErrorCode.NONE;
    });
    via = await client(follower);
    const f = await m.fetch(topicId);
    expect(f.errorCode).toBe(ErrorCode.NONE);
    expect(f.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // Where the leader is, as Kafka says it (CurrentLeader and its NodeEndpoint).
    const leader = leaderOf(TOPIC);
    expect(f.responses[0]!.partitions[0]!.currentLeader.leaderId).toBe(leader);
    expect(f.responses[0]!.partitions[0]!.currentLeader.leaderEpoch).toBe(cluster.byId(leader).broker.partitionManager.partition(TOPIC, 0)!.leaderEpoch);
    expect(f.nodeEndpoints.map((e) => [e.nodeId, e.port])).toEqual([[leader, cluster.byId(leader).port]]);
    // A broker that is not the group's coordinator: NOT_COORDINATOR for the heartbeat.
    via = await client(alive().find((id) => id !== gc)!);
    expect((await m.heartbeat()).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  }, 60_000);

  it('keeps share-group membership across the loss of the group coordinator', async () => {
    const gc = (await findCoordinator(0, GROUP)).nodeId;
    expect(gc).toBe(leaderOf(OFFSETS_TOPIC));
    let via = await client(gc);
    const m = new RawShareMember(() => via, GROUP, 'm-survivor');
    const joined = await m.join([TOPIC]);
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    const epoch = m.epoch;
    expect(epoch).toBeGreaterThan(0);

    await cluster.kill(gc);
    clients.drop(gc);
    let hb: Awaited<ReturnType<RawShareMember['heartbeat']>> | undefined;
    await cluster.waitFor('the new group coordinator answering the member', async () => {
      const next = await findCoordinator(0, GROUP);
      if (next.errorCode !== ErrorCode.NONE || !alive().includes(next.nodeId)) return false;
      via = await client(next.nodeId);
      hb = await m.heartbeat();
      return hb.errorCode !== ErrorCode.NOT_COORDINATOR && hb.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    }, 30_000);
    // Known with the epoch it had (a coordinator without the membership would say UNKNOWN_MEMBER_ID).
    expect(hb!.errorCode).toBe(ErrorCode.NONE);
    expect(hb!.memberEpoch).toBe(epoch);
    const described = await via.send(77, 1, { groupIds: [GROUP], includeAuthorizedOperations: false });
    expect(described.groups[0].members.map((x: { memberId: string }) => x.memberId)).toContain('m-survivor');
  }, 60_000);

  it('describes, alters and deletes share-group offsets through the share coordinators', async () => {
    const group = 'g-share-admin';
    const producer = kafkajs(alive().map((id) => cluster.byId(id).bootstrap), { clientId: 'share-admin', retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } }).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const base = 0; // nothing was produced to the topic before
    for (let i = 0; i < 6; i++) await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: `a${i}` }] });
    await producer.disconnect();

    let gc = -1;
    await cluster.waitFor('the group coordinator', async () => {
      const r = await findCoordinator(0, group);
      gc = r.errorCode === ErrorCode.NONE && alive().includes(r.nodeId) ? r.nodeId : -1;
      return gc > 0;
    }, 20_000);
    let via = await client(gc);
    const m = new RawShareMember(() => via, group, 'm-admin');
    await cluster.waitFor('the member joined', async () => (await m.join([TOPIC])).errorCode === ErrorCode.NONE);
    await cluster.waitFor('a data leader', () => leaderOf(TOPIC) > 0, 20_000);
    via = await client(leaderOf(TOPIC));
    let got: ReturnType<typeof acquired> = [];
    await cluster.waitFor('records acquired', async () => (got = acquired(await m.fetch(topicId))).length > 0, 20_000);
    expect(got[0]!.firstOffset).toBe(0);
    const acked = await m.ack(topicId, 0, base + 2, ACCEPT);
    expect(acked.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    via = await client(gc);
    expect((await m.leave()).errorCode).toBe(ErrorCode.NONE);

    const describe = async () => (await via.send(90, 1, { groups: [{ groupId: group, topics: [{ topicName: TOPIC, partitions: [0] }] }] })).groups[0].topics[0].partitions[0];
    // The lag comes from this broker's replica of the data partition: its high watermark may trail the leader's for a moment.
    await cluster.waitFor('the lag of 3', async () => (await describe()).lag === 3);
    const d = await describe();
    expect(d, JSON.stringify(d)).toMatchObject({ errorCode: ErrorCode.NONE, startOffset: base + 3, lag: 3 });

    const alter = await via.send(91, 0, { groupId: group, topics: [{ topicName: TOPIC, partitions: [{ partitionIndex: 0, startOffset: base + 1 }] }] });
    expect(alter.errorCode).toBe(ErrorCode.NONE);
    expect(alter.responses[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    expect(await describe()).toMatchObject({ errorCode: ErrorCode.NONE, startOffset: base + 1, lag: 5 });

    const del = await via.send(92, 0, { groupId: group, topics: [{ topicName: TOPIC }] });
    expect(del.errorCode).toBe(ErrorCode.NONE);
    expect(del.responses[0].errorCode).toBe(ErrorCode.NONE);
    expect(await describe()).toMatchObject({ errorCode: ErrorCode.NONE, startOffset: -1 });
  }, 60_000);
});
