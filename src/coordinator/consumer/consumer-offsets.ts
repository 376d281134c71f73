// Committed offsets of KIP-848 consumer groups: same records and retention as classic groups
// (OffsetCommitKey/Value in __consumer_offsets), but commits and fetches are checked against
// member epochs instead of generations (Kafka's ConsumerGroup.validateOffsetCommit/Fetch):
//
//   memberEpoch < 0 (admin client, assign()-based consumer)  allowed only while the group is Empty
//   unknown member id                                         UNKNOWN_MEMBER_ID
//   OffsetCommit < v9 from a member                           UNSUPPORTED_VERSION (no epoch field)
//   epoch ≠ the member's current epoch                        STALE_MEMBER_EPOCH
//
// Also here: DeleteGroups, OffsetDelete, offsets expiry and topic deletion for consumer groups.
import { ErrorCode } from '../../../protocol/errors.js';
import { tpKey } from '../../cluster/topic-partition.js';
import type { CommittedOffset } from '../group/classic-group.js';
import { offsetWriteError, tombstoneTopicOffsets, writeOffsetCommits, type FetchedOffsets, type FetchedPartition, type OffsetCommitParams, type OffsetDeleteOutcome, type TopicErrors } from '../group/offset-ops.js';
import type { CoordinatorRecord } from '../runtime/record-log.js';
import { encodeOffsetCommitKey } from '../common/offsets-records.js';
import type { ConsumerCore } from './consumer-core.js';
import type { ConsumerGroup } from './consumer-group.js';
import { toLogRecord, type ConsumerGroupRecord } from './consumer-records.js';


function allFailed(p: OffsetCommitParams, errorCode: number): TopicErrors[] {
  return p.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode })) }));
}

/** ErrorCode.NONE when a commit with this member id / epoch may proceed. */
export function validateCommit(group: ConsumerGroup, memberId: string, memberEpoch: number, apiVersion: number): number {
  if (memberEpoch < 0 && group.members.size === 0) return ErrorCode.NONE;
  const member = group.members.get(memberId);
  if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
  return memberEpoch === member.memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
}

/** ErrorCode.NONE when a fetch with this member id / epoch may proceed (null id and negative epoch: not a member). */
export function validateFetch(group: ConsumerGroup, memberId: string | null, memberEpoch: number): number {
  if (memberId === null && memberEpoch < 0) return ErrorCode.NONE;
  const member = group.members.get(memberId ?? '');
  if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
  return memberEpoch === member.memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
}

export async function commitOffsets(core: ConsumerCore, group: ConsumerGroup, p: OffsetCommitParams): Promise<TopicErrors[]> {
  if (!core.active) return allFailed(p, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const err = validateCommit(group, p.memberId, p.generationId, p.apiVersion);
  if (err !== ErrorCode.NONE) return allFailed(p, err);
  return writeOffsetCommits(p, {
    groupId: group.groupId,
    now: core.now(),
    maxMetadataBytes: core.classic.config.offsetMetadataMaxBytes,
    pending: group.pendingOffsetCommits,
    append: (records) => core.classic.core.append(group.groupId, records),
    apply: (topic, partition, value) => {
      // A group deleted while the write was in flight must not get its offsets back.
      if (core.groups.get(group.groupId) === group) group.putOffset(topic, partition, value);
    },
  });
}

export function fetchOffsets(
  core: ConsumerCore,
  group: ConsumerGroup,
  topics: { name: string; partitionIndexes: number[] }[] | null,
  member?: { memberId: string | null; memberEpoch: number },
): FetchedOffsets {
  if (!core.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
  if (member) {
    const err = validateFetch(group, member.memberId, member.memberEpoch);
    if (err !== ErrorCode.NONE) return { errorCode: err, topics: [] };
  }
  const entry = (partitionIndex: number, o: CommittedOffset | undefined): FetchedPartition =>
    o
      ? { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
      : { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
  if (topics === null) {
    return {
      errorCode: ErrorCode.NONE,
      topics: [...group.offsets].map(([name, parts]) => ({ name, partitions: [...parts].sort((a, b) => a[0] - b[0]).map(([x, o]) => entry(x, o)) })),
    };
  }
  return { errorCode: ErrorCode.NONE, topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((x) => entry(x, group.offsets.get(t.name)?.get(x))) })) };
}

/** OffsetDelete: any state, but not for topics the group subscribes to (GROUP_SUBSCRIBED_TO_TOPIC). */
export async function deleteOffsets(core: ConsumerCore, group: ConsumerGroup, topics: { name: string; partitions: number[] }[]): Promise<OffsetDeleteOutcome> {
  if (!core.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
  const records: CoordinatorRecord[] = [];
  const out: TopicErrors[] = topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((partitionIndex) => {
      if (group.isSubscribedToTopic(t.name)) return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
      if (group.removeOffset(t.name, partitionIndex)) records.push({ key: encodeOffsetCommitKey(group.groupId, t.name, partitionIndex), value: null });
      return { partitionIndex, errorCode: ErrorCode.NONE };
    }),
  }));
  if (records.length === 0) return { errorCode: ErrorCode.NONE, topics: out };
  const err = offsetWriteError(await core.classic.core.append(group.groupId, records));
  return err === ErrorCode.NONE ? { errorCode: ErrorCode.NONE, topics: out } : { errorCode: err, topics: [] };
}

/** Tombstones for every record of the group (Kafka's createGroupTombstoneRecords), offsets excluded. */
export function groupTombstones(group: ConsumerGroup): ConsumerGroupRecord[] {
  const groupId = group.groupId;
  const out: ConsumerGroupRecord[] = [];
  for (const memberId of new Set([...group.members.keys(), ...group.targetAssignment.keys()])) {
    out.push({ type: 'currentAssignment', groupId, memberId, value: null });
    out.push({ type: 'targetMember', groupId, memberId, value: null });
    out.push({ type: 'member', groupId, memberId, value: null });
  }
  out.push({ type: 'targetMetadata', groupId, value: null });
  out.push({ type: 'partitionMetadata', groupId, value: null });
  out.push({ type: 'metadata', groupId, value: null });
  return out;
}

function offsetTombstones(group: ConsumerGroup): CoordinatorRecord[] {
  const out: CoordinatorRecord[] = [];
  for (const [topic, parts] of group.offsets) for (const p of parts.keys()) out.push({ key: encodeOffsetCommitKey(group.groupId, topic, p), value: null });
  return out;
}

/** Removes the group from memory at once and writes its tombstones (and its offsets' when `withOffsets`). */
export function removeGroup(core: ConsumerCore, group: ConsumerGroup, withOffsets: boolean): Promise<number> {
  const records = [...(withOffsets ? offsetTombstones(group) : []), ...groupTombstones(group).map(toLogRecord)];
  core.dropGroup(group);
  return core.classic.core.append(group.groupId, records);
}

/** DeleteGroups for a consumer group: only when Empty (NON_EMPTY_GROUP otherwise). */
export async function deleteGroup(core: ConsumerCore, group: ConsumerGroup): Promise<number> {
  if (!core.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
  const err = await removeGroup(core, group, true);
  return err === ErrorCode.NONE ? ErrorCode.NONE : offsetWriteError(err);
}

/** Topics were deleted: every consumer group forgets its offsets for them (the next heartbeat sees the metadata change). */
export function deleteTopicOffsets(core: ConsumerCore, topics: string[]): number {
  return tombstoneTopicOffsets(core.groups.values(), topics, (groupId, records) => core.classic.core.append(groupId, records), core.logger);
}

/**
 * Offsets retention for consumer groups (Kafka: commit timestamp based, never for topics the
 * group subscribes to); an Empty group left without offsets is deleted.
 */
export function expireOffsets(core: ConsumerCore): number {
  const now = core.now();
  const retention = core.classic.config.offsetsRetentionMs;
  let expired = 0;
  for (const group of [...core.groups.values()]) {
    const records: CoordinatorRecord[] = [];
    for (const [topic, parts] of [...group.offsets]) {
      if (group.members.size > 0 && group.isSubscribedToTopic(topic)) continue;
      for (const [partition, o] of [...parts]) {
        if (group.pendingOffsetCommits.has(tpKey(topic, partition))) continue;
        const isExpired = o.expireTimestamp !== null ? now >= o.expireTimestamp : now - o.commitTimestamp >= retention;
        if (!isExpired) continue;
        group.removeOffset(topic, partition);
        records.push({ key: encodeOffsetCommitKey(group.groupId, topic, partition), value: null });
      }
    }
    expired += records.length;
    if (records.length > 0) {
      void core.classic.core.append(group.groupId, records).then((err) => {
        if (err !== ErrorCode.NONE) core.logger.warn('failed to write expired offset tombstones', { group: group.groupId, error: err });
      });
    }
    if (group.members.size === 0 && !group.hasOffsets && group.lastWrite === null) {
      core.logger.info('deleting empty consumer group without offsets', { group: group.groupId });
      void removeGroup(core, group, false);
    }
  }
  return expired;
}
