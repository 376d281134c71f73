// OffsetCommit, OffsetFetch, OffsetDelete and offset expiry. Commits are appended to the group's
// __consumer_offsets partition and applied to memory once written, so an OffsetCommit response
// (sent after the write) is always followed by OffsetFetch answers that include it.
import { ErrorCode } from '../../../protocol/errors.js';
import { tpKey } from '../../cluster/topic-partition.js';
import { ClassicGroup, CONSUMER_PROTOCOL_TYPE, type CommittedOffset } from './classic-group.js';
import type { CoordinatorCore, CoordinatorLogger } from './coordinator-core.js';
import { offsetCommitWriteError } from '../runtime/write-errors.js';
import { encodeGroupMetadataKey, encodeOffsetCommitKey, encodeOffsetCommitValue } from '../common/offsets-records.js';
import type { CoordinatorRecord } from '../runtime/record-log.js';

export interface OffsetCommitParams {
  groupId: string;
  /** -1 for commits from outside group management (admin clients, assign()-based consumers). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-4 retention_time_ms; -1 for the broker default. */
  retentionTimeMs: number;
  /** Request version: v9+ answers GROUP_ID_NOT_FOUND where older versions get ILLEGAL_GENERATION. */
  apiVersion: number;
  topics: {
    name: string;
    partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null; commitTimestamp: number }[];
  }[];
}

export interface PartitionError {
  partitionIndex: number;
  errorCode: number;
}

export interface TopicErrors {
  name: string;
  partitions: PartitionError[];
}

export interface FetchedPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface FetchedOffsets {
  errorCode: number;
  topics: { name: string; partitions: FetchedPartition[] }[];
}


/** Kafka's offset-commit flavour of appendGroupMetadataErrorToResponseError. */
/** Storage outcomes of offset writes as OffsetCommit errors (the runtime's one mapping). */
export const offsetWriteError = offsetCommitWriteError;

function allFailed(p: OffsetCommitParams, errorCode: number): TopicErrors[] {
  return p.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode })) }));
}

/** Kafka's ClassicGroup.validateOffsetCommit; ErrorCode.NONE when the commit may proceed. */
function validateCommit(group: ClassicGroup, p: OffsetCommitParams): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (p.generationId < 0 && group.is('Empty')) return ErrorCode.NONE; // offsets-only use of the group
  if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
    const memberError = group.memberError(p.memberId, p.groupInstanceId);
    if (memberError !== null) return ErrorCode[memberError];
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  } else if (!group.is('Empty')) {
    // No member id and no generation (v0 or an admin client): only allowed while nobody consumes.
    return ErrorCode.UNKNOWN_MEMBER_ID;
  }
  // Member and generation are valid, so the member got the JoinGroup response but its
  // assignment is not out yet: let it retry after SyncGroup.
  if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
  return ErrorCode.NONE;
}

export async function commitOffsets(core: CoordinatorCore, p: OffsetCommitParams): Promise<TopicErrors[]> {
  const unavailable = core.groupError(p.groupId);
  if (unavailable !== ErrorCode.NONE) return allFailed(p, unavailable);
  let group = core.groups.get(p.groupId);
  if (!group) {
    if (p.generationId >= 0) return allFailed(p, p.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
    group = new ClassicGroup(p.groupId, core.now());
    core.groups.set(p.groupId, group);
  }
  const g = group;
  const err = validateCommit(g, p);
  if (err !== ErrorCode.NONE) return allFailed(p, err);
  const member = g.members.get(p.memberId);
  if (member) core.rescheduleHeartbeat(g, member);

  return writeOffsetCommits(p, {
    groupId: p.groupId,
    now: core.now(),
    maxMetadataBytes: core.config.offsetMetadataMaxBytes,
    pending: g.pendingOffsetCommits,
    append: (records) => core.append(p.groupId, records),
    apply: (topic, partition, value) => {
      if (!g.is('Dead')) g.putOffset(topic, partition, value);
    },
  });
}

/** What writeOffsetCommits needs from a group of either protocol. */
export interface OffsetCommitTarget {
  groupId: string;
  now: number;
  maxMetadataBytes: number;
  /** Commits in flight per topic-partition (OffsetFetch requireStable and deletes consult it). */
  pending: Map<string, number>;
  append(records: CoordinatorRecord[]): ReturnType<CoordinatorCore['append']>;
  /** Called for each partition once its record is written. */
  apply(topic: string, partition: number, value: CommittedOffset): void;
}

/**
 * Shared by classic and KIP-848 groups: validate metadata size, write one OffsetCommit record per
 * partition to __consumer_offsets, and apply the offsets only once the write has landed, so a
 * failed write never exposes an offset that a restart would not replay.
 */
export async function writeOffsetCommits(p: OffsetCommitParams, t: OffsetCommitTarget): Promise<TopicErrors[]> {
  const results: TopicErrors[] = [];
  const records: CoordinatorRecord[] = [];
  const toApply: { topic: string; partition: number; value: CommittedOffset; result: PartitionError }[] = [];
  for (const topic of p.topics) {
    const out: PartitionError[] = [];
    results.push({ name: topic.name, partitions: out });
    for (const x of topic.partitions) {
      const result: PartitionError = { partitionIndex: x.partitionIndex, errorCode: ErrorCode.NONE };
      out.push(result);
      const metadata = x.committedMetadata ?? '';
      if (metadata.length > t.maxMetadataBytes) {
        result.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        continue;
      }
      const commitTimestamp = x.commitTimestamp >= 0 ? x.commitTimestamp : t.now;
      const value: CommittedOffset = {
        offset: x.committedOffset,
        leaderEpoch: x.committedLeaderEpoch ?? -1,
        metadata,
        commitTimestamp,
        expireTimestamp: p.retentionTimeMs >= 0 ? commitTimestamp + p.retentionTimeMs : null,
      };
      records.push({ key: encodeOffsetCommitKey(t.groupId, topic.name, x.partitionIndex), value: encodeOffsetCommitValue(value) });
      toApply.push({ topic: topic.name, partition: x.partitionIndex, value, result });
    }
  }
  if (records.length === 0) return results;

  for (const a of toApply) t.pending.set(tpKey(a.topic, a.partition), (t.pending.get(tpKey(a.topic, a.partition)) ?? 0) + 1);
  const writeErr = offsetWriteError(await t.append(records));
  for (const a of toApply) {
    const k = tpKey(a.topic, a.partition);
    const n = (t.pending.get(k) ?? 1) - 1;
    if (n <= 0) t.pending.delete(k);
    else t.pending.set(k, n);
    if (writeErr !== ErrorCode.NONE) a.result.errorCode = writeErr;
    else t.apply(a.topic, a.partition, a.value);
  }
  return results;
}

/** `topics` null: every committed offset of the group. A missing group has no offsets (not an error). */
export function fetchOffsets(core: CoordinatorCore, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): FetchedOffsets {
  const unavailable = core.groupError(groupId);
  if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, topics: [] };
  const group = core.groups.get(groupId);
  const entry = (partitionIndex: number, o: CommittedOffset | undefined): FetchedPartition =>
    o
      ? { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
      : { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
  if (topics === null) {
    if (!group) return { errorCode: ErrorCode.NONE, topics: [] };
    return {
      errorCode: ErrorCode.NONE,
      topics: [...group.offsets].map(([name, parts]) => ({
        name,
        partitions: [...parts].sort((a, b) => a[0] - b[0]).map(([p, o]) => entry(p, o)),
      })),
    };
  }
  return {
    errorCode: ErrorCode.NONE,
    topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => entry(p, group?.offset(t.name, p))) })),
  };
}

export interface OffsetDeleteOutcome {
  errorCode: number;
  topics: TopicErrors[];
}

/** OffsetDelete: tombstones for the given partitions unless the active group still consumes them. */
export async function deleteOffsets(core: CoordinatorCore, groupId: string, topics: { name: string; partitions: number[] }[]): Promise<OffsetDeleteOutcome> {
  const unavailable = core.groupError(groupId);
  if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, topics: [] };
  if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
  const group = core.groups.get(groupId);
  if (!group || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
  if (!group.is('Empty') && group.protocolType !== CONSUMER_PROTOCOL_TYPE) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
  const subscribed = group.is('Empty') ? null : group.subscribedTopics;
  const records: CoordinatorRecord[] = [];
  const removals: { topic: string; partition: number }[] = [];
  const out: TopicErrors[] = topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((partitionIndex) => {
      if (subscribed?.has(t.name)) return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
      if (group.offset(t.name, partitionIndex)) {
        records.push({ key: encodeOffsetCommitKey(groupId, t.name, partitionIndex), value: null });
        removals.push({ topic: t.name, partition: partitionIndex });
      }
      return { partitionIndex, errorCode: ErrorCode.NONE };
    }),
  }));
  if (records.length === 0) return { errorCode: ErrorCode.NONE, topics: out };
  // Removed from memory first, like Kafka: a concurrent fetch must not see an offset being deleted.
  for (const r of removals) group.removeOffset(r.topic, r.partition);
  const err = offsetWriteError(await core.append(groupId, records));
  return err === ErrorCode.NONE ? { errorCode: ErrorCode.NONE, topics: out } : { errorCode: err, topics: [] };
}

/**
 * A topic was deleted: every group forgets its offsets for it (Kafka's onPartitionsDeleted), so
 * a topic created again under the same name starts without stale commits. Returns how many
 * offsets were removed; tombstones are written in the background.
 */
export function deleteTopicOffsets(core: CoordinatorCore, topics: string[]): number {
  return tombstoneTopicOffsets(core.groups.values(), topics, (groupId, records) => core.append(groupId, records), core.logger);
}

/** What tombstoneTopicOffsets needs of a group of either protocol. */
interface GroupWithOffsets {
  groupId: string;
  offsets: Map<string, Map<number, unknown>>;
  removeOffset(topic: string, partition: number): boolean;
}

/**
 * Shared by classic and KIP-848 groups: drop every group's offsets of `topics` in memory and write
 * their tombstones in the background. Returns how many offsets were removed.
 */
export function tombstoneTopicOffsets(
  groups: Iterable<GroupWithOffsets>,
  topics: string[],
  append: (groupId: string, records: CoordinatorRecord[]) => Promise<number>,
  logger: Pick<CoordinatorLogger, 'warn'>,
): number {
  let removed = 0;
  for (const group of groups) {
    const records: CoordinatorRecord[] = [];
    for (const topic of topics) {
      const parts = group.offsets.get(topic);
      if (!parts) continue;
      for (const partition of [...parts.keys()]) {
        group.removeOffset(topic, partition);
        records.push({ key: encodeOffsetCommitKey(group.groupId, topic, partition), value: null });
      }
    }
    if (records.length === 0) continue;
    removed += records.length;
    void append(group.groupId, records).then((err) => {
      if (err !== ErrorCode.NONE) logger.warn('failed to write offset tombstones for deleted topics', { group: group.groupId, error: err });
    });
  }
  return removed;
}

/**
 * Offsets retention (Kafka's removeExpiredOffsets): an Empty group's offsets expire
 * offsets.retention.minutes after the group became Empty; a Stable consumer group's offsets of
 * topics it no longer subscribes to, and a simple (offsets-only) group's offsets, that long
 * after their commit; explicit v2-4 expire timestamps win. An Empty group left without
 * offsets is deleted. Returns how many offsets expired.
 */
export function expireOffsets(core: CoordinatorCore): number {
  const now = core.now();
  const retention = core.config.offsetsRetentionMs;
  let expiredTotal = 0;
  for (const group of [...core.groups.values()]) {
    if (group.is('Dead')) continue;
    let base: ((o: CommittedOffset) => number) | null = null;
    let keepTopics: Set<string> = new Set();
    if (group.protocolType !== null && group.is('Empty')) {
      const since = group.currentStateTimestamp;
      base = (o) => since ?? o.commitTimestamp;
    } else if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.subscribedTopics !== null && group.is('Stable')) {
      base = (o) => o.commitTimestamp;
      keepTopics = group.subscribedTopics;
    } else if (group.protocolType === null) {
      base = (o) => o.commitTimestamp;
    }
    const records: CoordinatorRecord[] = [];
    if (base) {
      for (const [topic, parts] of [...group.offsets]) {
        if (keepTopics.has(topic)) continue;
        for (const [partition, o] of [...parts]) {
          if (group.pendingOffsetCommits.has(tpKey(topic, partition))) continue;
          const expired = o.expireTimestamp !== null ? now >= o.expireTimestamp : now - base(o) >= retention;
          if (!expired) continue;
          group.removeOffset(topic, partition);
          records.push({ key: encodeOffsetCommitKey(group.groupId, topic, partition), value: null });
        }
      }
    }
    expiredTotal += records.length;
    if (group.is('Empty') && !group.hasOffsets && group.pendingJoinMembers.size === 0) {
      group.transitionTo('Dead', now);
      core.groups.delete(group.groupId);
      core.unloadGroup(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      records.push({ key: encodeGroupMetadataKey(group.groupId), value: null });
    }
    if (records.length > 0) {
      void core.append(group.groupId, records).then((err) => {
        if (err !== ErrorCode.NONE) core.logger.warn('failed to write expired offset tombstones', { group: group.groupId, error: err });
      });
    }
  }
  if (expiredTotal > 0) core.logger.info('removed expired offsets', { count: expiredTotal });
  return expiredTotal;
}
