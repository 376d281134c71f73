// Cluster mode (issue 13): ShareGroupStatePartitionMetadata (KIP-932 record type 15 in
// __consumer_offsets) — which partitions of a share group have share state — survives the loss of
// the group coordinator and drives the admin APIs on the new one. Three brokers, RF 3. Group G had
// a member assigned the 3 partitions of meta-a (it left); group H exists only through
// AlterShareGroupOffsets on meta-b. After the group coordinator is killed, the new coordinator
// lists exactly those partitions in DescribeShareGroupOffsets (no topics named), DeleteGroups G
// removes G's state on every share coordinator and leaves H's alone, and DeleteShareGroupOffsets
// H empties H's record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { ClusterClients } from '../helpers/cluster-clients.js';
import { RawShareMember } from '../share/raw-share-member.js';

const G = 'g-meta';
const H = 'h-meta';

let cluster: TestCluster;
const clients = new ClusterClients(() => cluster);
beforeAll(async () => {
  cluster = await startCluster(3, {
    'offsets.topic.num.partitions': '1',
    'offsets.topic.replication.factor': '3',
    'share.coordinator.state.topic.num.partitions': '3',
    'share.coordinator.state.topic.replication.factor': '3',
    'share.coordinator.state.topic.min.isr': '1',
    'replica.lag.time.max.ms': '3000',
  });
}, 60_000);
afterAll(async () => {
  clients.close();
  await cluster?.close();
});

const alive = () => clients.alive();
const client = (id: number) => clients.client(id);

/** The group coordinator of `group` once a live broker has it loaded. */
async function groupCoordinator(group: string): Promise<number> {
  let gc = -1;
  await cluster.waitFor(`the coordinator of ${group}`, async () => {
    gc = await clients.coordinatorOf(0, group);
    if (gc < 0) return false;
    const d = await (await client(gc)).send(90, 1, { groups: [{ groupId: group, topics: null }] });
    return d.groups[0].errorCode !== ErrorCode.NOT_COORDINATOR && d.groups[0].errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  }, 30_000);
  return gc;
}

/** DescribeShareGroupOffsets with no topics named: topic -> partition -> start offset. */
async function describeAll(via: number, group: string): Promise<{ errorCode: number; offsets: Record<string, Record<number, number>> }> {
  const g = (await (await client(via)).send(90, 1, { groups: [{ groupId: group, topics: null }] })).groups[0];
  const offsets: Record<string, Record<number, number>> = {};
  for (const t of g.topics) for (const p of t.partitions) (offsets[t.topicName] ??= {})[p.partitionIndex] = p.startOffset;
  return { errorCode: g.errorCode, offsets };
}

/** The start offset the share coordinator holds for a share partition (-1: no state). */
async function stateStart(group: string, topic: string, partition: number): Promise<number> {
  const b = cluster.byId(alive()[0]!).broker;
  const s = await b.shareService!.persister!.summary(group, b.topics.get(topic)!.id, partition);
  expect(s.errorCode).toBe(ErrorCode.NONE);
  return s.startOffset;
}

describe('ShareGroupStatePartitionMetadata', () => {
  it('is replayed by the new group coordinator and drives describe and delete', async () => {
    for (const [name, partitions] of [['meta-a', 3], ['meta-b', 2]] as const) {
      await cluster.waitFor(`topic ${name}`, async () => {
        const r = await (await client(1)).send(19, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
        return r.topics[0].errorCode === ErrorCode.NONE || r.topics[0].errorCode === ErrorCode.TOPIC_ALREADY_EXISTS;
      });
    }
    // G: a member was assigned every partition of meta-a, then left. Joined through whichever
    // broker coordinates the group once it has loaded __consumer_offsets (it may still move).
    let gc = -1;
    let via = await client(alive()[0]!);
    const m = new RawShareMember(() => via, G, 'm-meta');
    let joined!: Awaited<ReturnType<RawShareMember['join']>>;
    await cluster.waitFor('the member joined', async () => {
      gc = await groupCoordinator(G);
      via = await client(gc);
      return (joined = await m.join(['meta-a'])).errorCode === ErrorCode.NONE;
    }, 30_000);
    expect(await groupCoordinator(H)).toBe(gc);
    expect(joined.assignment!.topicPartitions[0]!.partitions.sort()).toEqual([0, 1, 2]);
    expect((await m.leave()).errorCode).toBe(ErrorCode.NONE);
    expect((await describeAll(gc, G)).offsets).toEqual({ 'meta-a': { 0: -1, 1: -1, 2: -1 } });
    const alterG = await via.send(91, 0, { groupId: G, topics: [{ topicName: 'meta-a', partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, startOffset: 0 })) }] });
    expect(alterG.responses[0].partitions.map((p: { errorCode: number }) => p.errorCode)).toEqual([0, 0, 0]);
    // H: known only through AlterShareGroupOffsets.
    const alterH = await via.send(91, 0, { groupId: H, topics: [{ topicName: 'meta-b', partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, startOffset: 0 })) }] });
    expect(alterH.responses[0].partitions.map((p: { errorCode: number }) => p.errorCode)).toEqual([0, 0]);

    await cluster.kill(gc);
    clients.drop(gc);
    const next = await groupCoordinator(G);
    expect(next).not.toBe(gc);

    expect(await describeAll(next, G)).toEqual({ errorCode: ErrorCode.NONE, offsets: { 'meta-a': { 0: 0, 1: 0, 2: 0 } } });
    expect(await describeAll(next, H)).toEqual({ errorCode: ErrorCode.NONE, offsets: { 'meta-b': { 0: 0, 1: 0 } } });

    // DeleteGroups G: G's state goes on every share coordinator, H's stays.
    const deleted = await (await client(next)).send(42, 2, { groupsNames: [G] });
    expect(deleted.results[0].errorCode).toBe(ErrorCode.NONE);
    for (const p of [0, 1, 2]) expect(await stateStart(G, 'meta-a', p)).toBe(-1);
    for (const p of [0, 1]) expect(await stateStart(H, 'meta-b', p)).toBe(0);
    expect((await describeAll(next, G)).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    // DeleteShareGroupOffsets H meta-b: the state goes and the record no longer lists the topic.
    const delOffsets = await (await client(next)).send(92, 0, { groupId: H, topics: [{ topicName: 'meta-b' }] });
    expect(delOffsets.responses[0].errorCode).toBe(ErrorCode.NONE);
    for (const p of [0, 1]) expect(await stateStart(H, 'meta-b', p)).toBe(-1);
    expect(await describeAll(next, H)).toEqual({ errorCode: ErrorCode.NONE, offsets: {} });
  }, 90_000);
});
