// Recovery: the coordinator state is rebuilt by replaying __consumer_offsets, and members carry
// on with their epochs after a restart.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { decodeKey, MemberState } from '../../../src/coordinator/consumer/consumer-records.js';
import { settle, SimMember, startHarness, type Harness } from './helpers.js';

let h: Harness;
let t: string;

beforeEach(async () => {
  vi.useFakeTimers();
  h = await startHarness();
  t = h.topics.create('t', 4).id;
});
afterEach(async () => {
  await h.cc.shutdown();
  await h.gc.shutdown();
  vi.useRealTimers();
});

/** Everything that must survive a restart. */
function snapshot(hh: Harness) {
  const g = hh.cc.group('g')!;
  return {
    state: g.state,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    metadata: [...g.subscriptionMetadata.values()],
    targets: [...g.targetAssignment].map(([id, a]) => [id, [...a].map(([tid, s]) => [tid, [...s].sort()])]).sort(),
    members: [...g.members.values()]
      .map((m) => ({ ...m, assignedPartitions: [...m.assignedPartitions].map(([x, s]) => [x, [...s].sort()]), partitionsPendingRevocation: [...m.partitionsPendingRevocation].map(([x, s]) => [x, [...s].sort()]) }))
      .sort((a, b) => a.memberId.localeCompare(b.memberId)),
    offsets: hh.gc.fetchOffsets('g', null),
    owners: [0, 1, 2, 3].map((p) => g.currentPartitionEpoch(t, p)),
  };
}

describe('recovery', () => {
  it('rebuilds groups, members, targets and offsets, and keeps members at their epochs', async () => {
    const a = new SimMember(h, 'a', { instanceId: 'ia', serverAssignor: 'range' });
    const b = new SimMember(h, 'b');
    await a.beat();
    await b.beat();
    await settle([a, b]);
    await h.gc.commitOffsets({ groupId: 'g', generationId: a.epoch, memberId: 'a', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 9, topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 17, committedLeaderEpoch: 3, committedMetadata: 'm', commitTimestamp: -1 }] }] });
    // Leave one member mid-reconciliation: c joins, a must revoke.
    const c = new SimMember(h, 'c');
    await c.beat();
    await a.beat({ topicPartitions: a.owned.length ? [{ topicId: t, partitions: [0, 1, 2, 3] }] : [] });
    const before = snapshot(h);
    expect(before.members.some((m) => m.state !== MemberState.STABLE)).toBe(true);
    // Only consumer group records (types 3-8) and offsets were written.
    expect(h.log.all().every((r) => decodeKey(r.key) !== null || r.key.readInt16BE(0) <= 2)).toBe(true);

    h = await h.restart();
    expect(snapshot(h)).toEqual(before);
    for (const m of [a, b, c]) m.h = h;
    // The members carry on without being fenced and the group converges.
    for (const m of [a, b, c]) expect((await m.beat()).errorCode).toBe(ErrorCode.NONE);
    await settle([a, b, c]);
    expect(h.cc.group('g')!.state).toBe('Stable');
    expect([a, b, c].flatMap((m) => m.partitions(t)).sort()).toEqual([0, 1, 2, 3]);
  });

  it('expires members that do not come back after a restart', async () => {
    const a = new SimMember(h, 'a');
    await a.beat();
    h = await h.restart();
    expect(h.cc.group('g')!.members.has('a')).toBe(true);
    vi.advanceTimersByTime(45_001);
    expect(h.cc.group('g')!.members.size).toBe(0);
    h = await h.restart();
    expect(h.cc.group('g')!.state).toBe('Empty');
    expect(h.cc.group('g')!.groupEpoch).toBe(2);
  });

  it('does not bring back deleted or converted groups', async () => {
    const a = new SimMember(h, 'a');
    await a.beat();
    await a.beat({ memberEpoch: -1 });
    await h.gc.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 9, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 4, committedLeaderEpoch: -1, committedMetadata: null, commitTimestamp: -1 }] }] });
    const other = new SimMember(h, 'x', { groupId: 'gone' });
    await other.beat();
    await other.beat({ memberEpoch: -1 });
    expect(await h.gc.deleteGroups(['gone'])).toEqual([{ groupId: 'gone', errorCode: ErrorCode.NONE }]);
    // 'g' becomes classic (an empty consumer group yields to JoinGroup); its offsets follow.
    expect(h.gc.modernGroups!.yieldToClassic('g')).toBe(true);
    h = await h.restart();
    expect(h.cc.group('gone')).toBeUndefined();
    expect(h.cc.group('g')).toBeUndefined();
    expect(h.gc.group('g')!.offset('t', 0)!.offset).toBe(4);
  });

  it('comes back as a consumer group with the offsets of the classic group it replaced', async () => {
    await h.gc.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 9, topics: [{ name: 't', partitions: [{ partitionIndex: 2, committedOffset: 8, committedLeaderEpoch: -1, committedMetadata: null, commitTimestamp: -1 }] }] });
    await new SimMember(h, 'a').beat();
    h = await h.restart();
    expect(h.gc.group('g')).toBeUndefined();
    expect(h.cc.group('g')!.members.has('a')).toBe(true);
    expect(h.gc.fetchOffsets('g', [{ name: 't', partitionIndexes: [2] }]).topics[0]!.partitions[0]!.committedOffset).toBe(8);
  });
});
