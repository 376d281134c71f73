// How KIP-848 groups live next to classic groups: one group-id namespace, shared offset APIs
// (with member epochs), ListGroups/DescribeGroups/DeleteGroups/OffsetDelete and ConsumerGroupDescribe.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import type { OffsetCommitParams } from '../../../src/coordinator/group/group-coordinator.js';
import { joinParams } from '../group/helpers.js';
import { hbParams, settle, SimMember, startHarness, type Harness } from './helpers.js';

let h: Harness;
let t: string;

beforeEach(async () => {
  vi.useFakeTimers();
  h = await startHarness();
  t = h.topics.create('t', 2).id;
});
afterEach(async () => {
  await h.cc.shutdown();
  await h.gc.shutdown();
  vi.useRealTimers();
});

function commit(over: Partial<OffsetCommitParams> = {}, offset = 10): OffsetCommitParams {
  return {
    groupId: 'g',
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    apiVersion: 9,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null, commitTimestamp: -1 }] }],
    ...over,
  };
}
const codes = (r: { partitions: { errorCode: number }[] }[]) => r.flatMap((x) => x.partitions.map((p) => p.errorCode));

/** A classic member that has joined and synced (group 'g', generation 1). */
async function classicMember(groupId = 'g'): Promise<string> {
  const j = h.gc.joinGroup(joinParams({ groupId }));
  await vi.advanceTimersByTimeAsync(1);
  const r = await j;
  expect(r.errorCode).toBe(ErrorCode.NONE);
  return r.memberId;
}

describe('group id namespace', () => {
  it('refuses a consumer-protocol member in an active classic group', async () => {
    await classicMember();
    const r = await h.cc.heartbeat(hbParams({ memberId: 'x' }));
    expect(r.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(h.cc.group('g')).toBeUndefined();
  });

  it('refuses classic members in an active consumer group', async () => {
    await new SimMember(h, 'a').beat();
    const j = await h.gc.joinGroup(joinParams());
    expect(j.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(h.gc.heartbeat({ groupId: 'g', generationId: 1, memberId: 'a', groupInstanceId: null })).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect((await h.gc.syncGroup({ groupId: 'g', generationId: 1, memberId: 'a', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(h.gc.leaveGroup('g', [{ memberId: 'a', groupInstanceId: null }]).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(h.gc.group('g')).toBeUndefined();
  });

  it('turns an empty classic group into a consumer group and back, keeping its offsets', async () => {
    expect(codes(await h.gc.commitOffsets(commit({}, 5)))).toEqual([ErrorCode.NONE]);
    expect(h.gc.group('g')).toBeDefined();
    const a = new SimMember(h, 'a');
    expect((await a.beat()).errorCode).toBe(ErrorCode.NONE);
    expect(h.gc.group('g')).toBeUndefined();
    expect(h.gc.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }]).topics[0]!.partitions[0]!.committedOffset).toBe(5);
    await a.beat({ memberEpoch: -1 });
    // Empty again: a classic member may take the id over.
    await classicMember();
    expect(h.cc.group('g')).toBeUndefined();
    expect(h.gc.group('g')!.offset('t', 0)!.offset).toBe(5);
  });
});

describe('offsets of consumer groups', () => {
  it('checks OffsetCommit member epochs', async () => {
    const a = new SimMember(h, 'a');
    await a.beat();
    expect(codes(await h.gc.commitOffsets(commit({ memberId: 'a', generationId: 1 })))).toEqual([ErrorCode.NONE]);
    expect(codes(await h.gc.commitOffsets(commit({ memberId: 'a', generationId: 0 })))).toEqual([ErrorCode.STALE_MEMBER_EPOCH]);
    expect(codes(await h.gc.commitOffsets(commit({ memberId: 'b', generationId: 1 })))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(codes(await h.gc.commitOffsets(commit({ memberId: 'a', generationId: 1, apiVersion: 8 })))).toEqual([ErrorCode.UNSUPPORTED_VERSION]);
    // Admin commits (no member, epoch -1) only while the group is empty.
    expect(codes(await h.gc.commitOffsets(commit()))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    await a.beat({ memberEpoch: -1 });
    expect(codes(await h.gc.commitOffsets(commit({}, 99)))).toEqual([ErrorCode.NONE]);
    expect(h.gc.fetchOffsets('g', null).topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 99, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] }]);
  });

  it('checks OffsetFetch member epochs when given', async () => {
    const a = new SimMember(h, 'a');
    const b = new SimMember(h, 'b');
    await a.beat();
    await b.beat();
    await settle([a, b]);
    const topics = [{ name: 't', partitionIndexes: [0] }];
    expect(h.gc.fetchOffsets('g', topics, { memberId: 'a', memberEpoch: a.epoch }).errorCode).toBe(ErrorCode.NONE);
    expect(h.gc.fetchOffsets('g', topics, { memberId: 'a', memberEpoch: a.epoch - 1 }).errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(h.gc.fetchOffsets('g', topics, { memberId: 'zz', memberEpoch: 1 }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(h.gc.fetchOffsets('g', topics, { memberId: null, memberEpoch: -1 }).errorCode).toBe(ErrorCode.NONE);
  });

  it('refuses OffsetDelete for subscribed topics and DeleteGroups while members remain', async () => {
    h.topics.create('old', 1);
    const a = new SimMember(h, 'a');
    await a.beat();
    await h.gc.commitOffsets(commit({ memberId: 'a', generationId: 1, topics: [{ name: 'old', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null, commitTimestamp: -1 }] }] }));
    const del = await h.gc.deleteOffsets('g', [{ name: 't', partitions: [0] }, { name: 'old', partitions: [0] }]);
    expect(del.topics.map((x) => x.partitions[0]!.errorCode)).toEqual([ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE]);
    expect(await h.gc.deleteGroups(['g'])).toEqual([{ groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP }]);
    await a.beat({ memberEpoch: -1 });
    expect(await h.gc.deleteGroups(['g'])).toEqual([{ groupId: 'g', errorCode: ErrorCode.NONE }]);
    expect(h.cc.group('g')).toBeUndefined();
  });

  it('offers TxnOffsetCommit checks and applies committed transactional offsets', async () => {
    const a = new SimMember(h, 'a');
    await a.beat();
    const hooks = h.gc.modernGroups!;
    expect(hooks.validateTxnOffsetCommit('g', 'a', 1)).toBe(ErrorCode.NONE);
    expect(hooks.validateTxnOffsetCommit('g', 'a', 0)).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(hooks.validateTxnOffsetCommit('g', 'b', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    hooks.applyCommittedOffsets('g', [{ topic: 't', partition: 1, value: { offset: 33, leaderEpoch: -1, metadata: '', commitTimestamp: 1, expireTimestamp: null } }]);
    expect(h.gc.fetchOffsets('g', [{ name: 't', partitionIndexes: [1] }]).topics[0]!.partitions[0]!.committedOffset).toBe(33);
  });

  it('expires offsets of an empty consumer group, then the group itself', async () => {
    const a = new SimMember(h, 'a');
    await a.beat();
    await h.gc.commitOffsets(commit({ memberId: 'a', generationId: 1 }));
    await a.beat({ memberEpoch: -1 });
    vi.setSystemTime(Date.now() + h.gc.config.offsetsRetentionMs + 1);
    expect(h.gc.expireOffsets()).toBe(1);
    expect(h.cc.group('g')).toBeUndefined();
  });
});

describe('group administration', () => {
  it('lists consumer groups with their type and states', async () => {
    await classicMember('classic-g');
    const a = new SimMember(h, 'a');
    await a.beat();
    const ids = (states: string[] = [], types: string[] = []) => h.gc.listGroups(states, types).groups.map((g) => `${g.groupId}:${g.groupType}:${g.groupState}`).sort();
    expect(ids()).toEqual(['classic-g:classic:CompletingRebalance', 'g:consumer:Stable']);
    expect(ids([], ['consumer'])).toEqual(['g:consumer:Stable']);
    expect(ids([], ['classic'])).toEqual(['classic-g:classic:CompletingRebalance']);
    expect(ids(['STABLE'])).toEqual(['g:consumer:Stable']);
    expect(h.gc.listGroups().groups.find((g) => g.groupId === 'g')!.protocolType).toBe('consumer');
  });

  it('describes consumer groups (ConsumerGroupDescribe) and reports them Dead to DescribeGroups', async () => {
    const a = new SimMember(h, 'a', { instanceId: 'i1', rackId: 'r1' });
    await a.beat();
    await classicMember('classic-g');
    const [g, missing, classic] = h.cc.describeGroups(['g', 'nope', 'classic-g']);
    expect(g).toMatchObject({ errorCode: 0, groupState: 'Stable', groupEpoch: 1, assignmentEpoch: 1, assignorName: 'uniform' });
    expect(g!.members[0]).toMatchObject({ memberId: 'a', instanceId: 'i1', rackId: 'r1', memberEpoch: 1, subscribedTopicNames: ['t'] });
    expect(g!.members[0]!.assignment.topicPartitions).toEqual([{ topicId: t, topicName: 't', partitions: [0, 1] }]);
    expect(g!.members[0]!.targetAssignment).toEqual(g!.members[0]!.assignment);
    expect(missing).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group nope not found.' });
    expect(classic).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group classic-g is not a consumer group.' });
    expect(h.gc.describeGroup('g').groupState).toBe('Dead');
  });
});
