// Committed offsets and group administration: commit validation, fetch, OffsetDelete,
// DeleteGroups, retention, ListGroups/DescribeGroups, and recovery by replaying the log.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import type { GroupCoordinator, OffsetCommitParams } from '../../../src/coordinator/group/group-coordinator.js';
import { decodeOffsetsRecordKey } from '../../../src/coordinator/common/offsets-records.js';
import { joinParams, MemoryLog, startCoordinator } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function commit(over: Partial<OffsetCommitParams> & { offsets?: [string, number, number][] } = {}): OffsetCommitParams {
  const offsets = over.offsets ?? [['t', 0, 10]];
  const topics = new Map<string, OffsetCommitParams['topics'][number]>();
  for (const [name, partitionIndex, committedOffset] of offsets) {
    if (!topics.has(name)) topics.set(name, { name, partitions: [] });
    topics.get(name)!.partitions.push({ partitionIndex, committedOffset, committedLeaderEpoch: 3, committedMetadata: 'm', commitTimestamp: -1 });
  }
  return { groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, topics: [...topics.values()], ...over };
}

const errors = (r: { partitions: { errorCode: number }[] }[]) => r.flatMap((t) => t.partitions.map((p) => p.errorCode));

/** One consumer member subscribed to topic t, Stable. */
async function activeGroup(gc: GroupCoordinator) {
  const j = gc.joinGroup(joinParams());
  await vi.advanceTimersByTimeAsync(100);
  const r = await j;
  await gc.syncGroup({ groupId: 'g', generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: r.memberId, assignment: Buffer.from('x') }] });
  return r;
}

describe('offset commit and fetch', () => {
  it('stores offsets of a simple (offsets-only) group and fetches them', async () => {
    const { gc } = await startCoordinator();
    expect(errors(await gc.commitOffsets(commit({ offsets: [['t', 0, 10], ['t', 1, 20], ['u', 0, 5]] })))).toEqual([0, 0, 0]);
    const some = gc.fetchOffsets('g', [{ name: 't', partitionIndexes: [1, 2] }]);
    expect(some.topics[0]!.partitions).toEqual([
      { partitionIndex: 1, committedOffset: 20, committedLeaderEpoch: 3, metadata: 'm', errorCode: 0 },
      { partitionIndex: 2, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);
    const all = gc.fetchOffsets('g', null);
    expect(all.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)])).toEqual([
      ['t', [10, 20]],
      ['u', [5]],
    ]);
    expect(gc.fetchOffsets('missing', null)).toEqual({ errorCode: 0, topics: [] });
    expect(gc.group('g')!.state).toBe('Empty');
    expect(gc.group('g')!.protocolType).toBeNull();
  });

  it('validates generation and membership of commits', async () => {
    const { gc } = await startCoordinator();
    expect(errors(await gc.commitOffsets(commit({ groupId: 'nope', generationId: 1, memberId: 'm' })))).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(errors(await gc.commitOffsets(commit({ groupId: 'nope', generationId: 1, memberId: 'm', apiVersion: 9 })))).toEqual([ErrorCode.GROUP_ID_NOT_FOUND]);
    const r = await activeGroup(gc);
    // An admin client cannot move offsets of a group that is consuming.
    expect(errors(await gc.commitOffsets(commit()))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(errors(await gc.commitOffsets(commit({ generationId: 7, memberId: r.memberId })))).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(errors(await gc.commitOffsets(commit({ generationId: 1, memberId: 'other' })))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(errors(await gc.commitOffsets(commit({ generationId: 1, memberId: r.memberId })))).toEqual([ErrorCode.NONE]);
  });

  it('rejects metadata longer than offset.metadata.max.bytes per partition', async () => {
    const { gc } = await startCoordinator({ offsetMetadataMaxBytes: 4 });
    const p = commit({ offsets: [['t', 0, 1], ['t', 1, 2]] });
    p.topics[0]!.partitions[1]!.committedMetadata = 'too long';
    expect(errors(await gc.commitOffsets(p))).toEqual([ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
    expect(gc.fetchOffsets('g', [{ name: 't', partitionIndexes: [1] }]).topics[0]!.partitions[0]!.committedOffset).toBe(-1);
  });

  it('reports a failed write and does not apply the offsets', async () => {
    const log = new MemoryLog();
    const { gc } = await startCoordinator({}, log);
    log.failWith = ErrorCode.KAFKA_STORAGE_ERROR;
    expect(errors(await gc.commitOffsets(commit()))).toEqual([ErrorCode.NOT_COORDINATOR]);
    log.failWith = ErrorCode.RECORD_LIST_TOO_LARGE;
    expect(errors(await gc.commitOffsets(commit()))).toEqual([ErrorCode.INVALID_COMMIT_OFFSET_SIZE]);
    expect(gc.fetchOffsets('g', null).topics).toEqual([]);
  });

  it('writes offsets to the group partition of the log', async () => {
    const { gc, log } = await startCoordinator();
    await gc.commitOffsets(commit());
    const p = gc.partitionFor('g');
    expect(log.partitions[p]!.map((r) => decodeOffsetsRecordKey(r.key))).toEqual([{ type: 'offset', group: 'g', topic: 't', partition: 0 }]);
  });
});

describe('recovery', () => {
  it('restores offsets and a stable group whose members continue without rejoining', async () => {
    const log = new MemoryLog();
    const first = await startCoordinator({}, log);
    const r = await activeGroup(first.gc);
    await first.gc.commitOffsets(commit({ generationId: 1, memberId: r.memberId, offsets: [['t', 0, 42]] }));
    await first.gc.commitOffsets(commit({ groupId: 'simple', offsets: [['t', 3, 7]] }));
    await first.gc.shutdown();

    const { gc } = await startCoordinator({}, log);
    const g = gc.group('g')!;
    expect(g.state).toBe('Stable');
    expect(g.generationId).toBe(1);
    expect(g.leaderId).toBe(r.memberId);
    expect(g.members.get(r.memberId)!.assignment).toEqual(Buffer.from('x'));
    expect(g.subscribedTopics).toEqual(new Set(['t']));
    expect(gc.heartbeat({ groupId: 'g', memberId: r.memberId, generationId: 1, groupInstanceId: null })).toBe(ErrorCode.NONE);
    const s = await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
    expect(s.assignment).toEqual(Buffer.from('x'));
    expect(gc.fetchOffsets('g', null).topics[0]!.partitions[0]!.committedOffset).toBe(42);
    expect(gc.fetchOffsets('simple', null).topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 3, committedOffset: 7 });
    // A member that never comes back expires after its session timeout.
    await vi.advanceTimersByTimeAsync(5000);
    expect(gc.group('g')!.state).toBe('Empty');
  });
});

describe('OffsetDelete and DeleteGroups', () => {
  it('deletes offsets of topics the group does not consume, refusing subscribed ones', async () => {
    const log = new MemoryLog();
    const { gc } = await startCoordinator({}, log);
    const r = await activeGroup(gc);
    await gc.commitOffsets(commit({ generationId: 1, memberId: r.memberId, offsets: [['t', 0, 1], ['u', 0, 2], ['u', 1, 3]] }));
    const out = await gc.deleteOffsets('g', [
      { name: 't', partitions: [0] },
      { name: 'u', partitions: [0, 9] },
    ]);
    expect(out.errorCode).toBe(ErrorCode.NONE);
    expect(out.topics.map((t) => t.partitions.map((p) => p.errorCode))).toEqual([[ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC], [ErrorCode.NONE, ErrorCode.NONE]]);
    expect(gc.fetchOffsets('g', null).topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual([
      ['t', [0]],
      ['u', [1]],
    ]);
    expect((await gc.deleteOffsets('nope', [{ name: 't', partitions: [0] }])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    await gc.shutdown();
    const again = await startCoordinator({}, log);
    expect(again.gc.fetchOffsets('g', [{ name: 'u', partitionIndexes: [0, 1] }]).topics[0]!.partitions.map((p) => p.committedOffset)).toEqual([-1, 3]);
  });

  it('deletes only empty groups, with tombstones that survive a restart', async () => {
    const log = new MemoryLog();
    const { gc } = await startCoordinator({}, log);
    const r = await activeGroup(gc);
    await gc.commitOffsets(commit({ generationId: 1, memberId: r.memberId }));
    expect(await gc.deleteGroups(['g', 'nope', 'g'])).toEqual([
      { groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'nope', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    gc.leaveGroup('g', [{ memberId: r.memberId, groupInstanceId: null }]);
    expect(gc.group('g')!.state).toBe('Empty');
    expect(await gc.deleteGroups(['g'])).toEqual([{ groupId: 'g', errorCode: ErrorCode.NONE }]);
    expect(gc.group('g')).toBeUndefined();
    expect(gc.listGroups().groups).toEqual([]);
    const tail = log.partitions[gc.partitionFor('g')]!.slice(-2);
    expect(tail.map((x) => [decodeOffsetsRecordKey(x.key)?.type, x.value])).toEqual([
      ['offset', null],
      ['group', null],
    ]);
    await gc.shutdown();
    const again = await startCoordinator({}, log);
    expect(again.gc.group('g')).toBeUndefined();
    expect(again.gc.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }]).topics[0]!.partitions[0]!.committedOffset).toBe(-1);
  });
});

describe('deleted topics', () => {
  it('drops every group offset of a deleted topic, durably', async () => {
    const log = new MemoryLog();
    const { gc } = await startCoordinator({}, log);
    await gc.commitOffsets(commit({ offsets: [['t', 0, 1], ['u', 0, 2]] }));
    await gc.commitOffsets(commit({ groupId: 'h', offsets: [['t', 1, 3]] }));
    expect(gc.onTopicsDeleted(['t', 'never-committed'])).toBe(2);
    expect(gc.fetchOffsets('g', null).topics.map((t) => t.name)).toEqual(['u']);
    expect(gc.fetchOffsets('h', null).topics).toEqual([]);
    await gc.shutdown();
    const again = await startCoordinator({}, log);
    expect(again.gc.fetchOffsets('g', null).topics.map((t) => t.name)).toEqual(['u']);
    expect(again.gc.fetchOffsets('h', null).topics).toEqual([]);
  });
});

describe('offset retention', () => {
  const HOUR = 3_600_000;

  it('expires offsets of an empty consumer group after the retention, then removes the group', async () => {
    const log = new MemoryLog();
    const { gc } = await startCoordinator({ offsetsRetentionMs: HOUR }, log);
    const r = await activeGroup(gc);
    await gc.commitOffsets(commit({ generationId: 1, memberId: r.memberId }));
    // While the group is active, subscribed topics' offsets never expire.
    await vi.advanceTimersByTimeAsync(1000);
    gc.heartbeat({ groupId: 'g', memberId: r.memberId, generationId: 1, groupInstanceId: null });
    vi.setSystemTime(Date.now() + 2 * HOUR);
    expect(gc.expireOffsets()).toBe(0);
    gc.leaveGroup('g', [{ memberId: r.memberId, groupInstanceId: null }]);
    // The clock restarts when the group becomes Empty.
    vi.setSystemTime(Date.now() + HOUR - 1);
    expect(gc.expireOffsets()).toBe(0);
    vi.setSystemTime(Date.now() + 1);
    expect(gc.expireOffsets()).toBe(1);
    expect(gc.group('g')).toBeUndefined();
    await gc.shutdown();
    expect((await startCoordinator({}, log)).gc.group('g')).toBeUndefined();
  });

  it('expires a stable consumer group offsets only for topics it no longer subscribes to', async () => {
    const { gc } = await startCoordinator({ offsetsRetentionMs: HOUR });
    const r = await activeGroup(gc);
    await gc.commitOffsets(commit({ generationId: 1, memberId: r.memberId, offsets: [['t', 0, 1], ['old', 0, 2]] }));
    vi.setSystemTime(Date.now() + HOUR);
    expect(gc.expireOffsets()).toBe(1);
    expect(gc.fetchOffsets('g', null).topics.map((t) => t.name)).toEqual(['t']);
  });

  it('expires simple-group offsets from their commit time, and explicit retention wins', async () => {
    const { gc } = await startCoordinator({ offsetsRetentionMs: HOUR, offsetsRetentionCheckIntervalMs: 60_000 });
    await gc.commitOffsets(commit({ offsets: [['t', 0, 1]] }));
    await gc.commitOffsets(commit({ groupId: 'short', retentionTimeMs: 60_000, offsets: [['t', 0, 1]] }));
    await vi.advanceTimersByTimeAsync(120_000); // the periodic check runs
    expect(gc.group('short')).toBeUndefined();
    expect(gc.fetchOffsets('g', null).topics).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(gc.group('g')).toBeUndefined();
  });
});

describe('ListGroups and DescribeGroups', () => {
  it('lists groups with state and type filters', async () => {
    const { gc } = await startCoordinator();
    await activeGroup(gc);
    await gc.commitOffsets(commit({ groupId: 'simple' }));
    const all = gc.listGroups();
    expect(all.groups.sort((a, b) => a.groupId.localeCompare(b.groupId))).toEqual([
      { groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' },
      { groupId: 'simple', protocolType: '', groupState: 'Empty', groupType: 'classic' },
    ]);
    expect(gc.listGroups(['stable']).groups.map((g) => g.groupId)).toEqual(['g']);
    expect(gc.listGroups(['Empty', 'Dead']).groups.map((g) => g.groupId)).toEqual(['simple']);
    expect(gc.listGroups(['PREPARING_REBALANCE', 'STABLE']).groups.map((g) => g.groupId)).toEqual(['g']);
    expect(gc.listGroups([], ['Classic']).groups).toHaveLength(2);
    expect(gc.listGroups([], ['consumer']).groups).toHaveLength(0);
  });

  it('describes members with metadata and assignment only once the group is stable', async () => {
    const { gc } = await startCoordinator();
    const r = await activeGroup(gc);
    const d = gc.describeGroup('g');
    expect(d).toMatchObject({ errorCode: 0, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(d.members).toHaveLength(1);
    expect(d.members[0]).toMatchObject({ memberId: r.memberId, clientId: 'client', clientHost: '/127.0.0.1', memberAssignment: Buffer.from('x') });
    expect(d.members[0]!.memberMetadata.length).toBeGreaterThan(0);
    void gc.joinGroup(joinParams({ clientId: 'second' }));
    const preparing = gc.describeGroup('g');
    expect(preparing.groupState).toBe('PreparingRebalance');
    expect(preparing.protocolData).toBe('');
    expect(preparing.members.every((m) => m.memberAssignment.length === 0)).toBe(true);
    expect(gc.describeGroup('unknown')).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] });
  });
});
