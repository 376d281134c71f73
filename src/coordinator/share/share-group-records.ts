// Share-group membership records in __consumer_offsets, in Kafka 4.4's formats
// (group-coordinator/src/main/resources/common/message/ShareGroup*.json). As for the KIP-848
// records (../consumer/consumer-records.ts) the key's int16 "version" is the record type and key
// fields are classic int16-length strings; a value is an int16 version (0) and a flexible struct
// (compact strings and arrays, 16-byte UUIDs, tagged fields: none written, all skipped on read).
//
//   type key                 value (v0)
//   10   groupId, memberId   ShareGroupMemberMetadataValue: rackId?, clientId, clientHost, [subscribedTopicNames]
//   11   groupId             ShareGroupMetadataValue: int32 epoch, int64 metadataHash
//   12   groupId             ShareGroupTargetAssignmentMetadataValue: int32 assignmentEpoch
//   13   groupId, memberId   ShareGroupTargetAssignmentMemberValue: [topicId uuid, [int32 partitions]]
//   14   groupId, memberId   ShareGroupCurrentMemberAssignmentValue: int32 memberEpoch,
//                              int32 previousMemberEpoch, int8 state, [topicId uuid, [int32 partitions]]
//
//   15   groupId             ShareGroupStatePartitionMetadataValue: [initializing: topicId uuid, topicName,
//                              [int32 partitions]], [initialized: same], [deleting: topicId uuid, topicName]
//
// A null value is a tombstone.
import { Reader } from '../../../protocol/wire/reader.js';
import { Writer } from '../../../protocol/wire/writer.js';
import type { CoordinatorRecord } from '../runtime/record-log.js';

export const SHARE_RECORD = { member: 10, metadata: 11, targetMetadata: 12, targetMember: 13, currentAssignment: 14, statePartitionMetadata: 15 } as const;

const HAS_MEMBER = new Set<number>([SHARE_RECORD.member, SHARE_RECORD.targetMember, SHARE_RECORD.currentAssignment]);

export interface ShareRecordKey {
  type: number;
  groupId: string;
  memberId: string | null;
}

export interface MemberMetadataValue {
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
}

/** topic id -> partitions. */
export type Partitions = Map<string, number[]>;

export interface CurrentAssignmentValue {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: number;
  assigned: Partitions;
}

/** Type 15: the partitions whose share state is initializing / initialized, the topics whose state is being deleted. */
export interface StatePartitionMetadata {
  initializing: TopicPartitionsInfo[];
  initialized: TopicPartitionsInfo[];
  deleting: { topicId: string; topicName: string }[];
}

export interface TopicPartitionsInfo {
  topicId: string;
  topicName: string;
  partitions: number[];
}

export type ShareGroupRecord =
  | { type: 10; key: ShareRecordKey; value: MemberMetadataValue | null }
  | { type: 11; key: ShareRecordKey; value: { epoch: number; metadataHash: number } | null }
  | { type: 12; key: ShareRecordKey; value: { assignmentEpoch: number } | null }
  | { type: 13; key: ShareRecordKey; value: Partitions | null }
  | { type: 14; key: ShareRecordKey; value: CurrentAssignmentValue | null }
  | { type: 15; key: ShareRecordKey; value: StatePartitionMetadata | null };

/** Whether a __consumer_offsets key is a share-group record (types 10-15), from its first two bytes. */
export function isShareGroupKey(key: Buffer): boolean {
  if (key.length < 2) return false;
  const type = key.readInt16BE(0);
  return type >= SHARE_RECORD.member && type <= SHARE_RECORD.statePartitionMetadata;
}

export function encodeKey(type: number, groupId: string, memberId: string | null = null): Buffer {
  const w = new Writer(64);
  w.writeInt16(type);
  w.writeString(groupId);
  if (HAS_MEMBER.has(type)) w.writeString(memberId ?? '');
  return w.toBuffer();
}

function writePartitions(w: Writer, p: Partitions): void {
  const topics = [...p].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  w.writeCompactArrayLength(topics.length);
  for (const [topicId, partitions] of topics) {
    w.writeUuid(topicId);
    w.writeCompactArrayLength(partitions.length);
    for (const x of [...partitions].sort((a, b) => a - b)) w.writeInt32(x);
    w.writeUnsignedVarint(0);
  }
}

function readPartitions(r: Reader): Partitions {
  const out: Partitions = new Map();
  const n = r.readCompactArrayLength(18);
  for (let i = 0; i < n; i++) {
    const topicId = r.readUuid();
    const m = r.readCompactArrayLength(4);
    const parts: number[] = [];
    for (let j = 0; j < m; j++) parts.push(r.readInt32());
    r.skipTaggedFields();
    out.set(topicId, parts);
  }
  return out;
}

function valueWriter(): Writer {
  const w = new Writer(64);
  w.writeInt16(0);
  return w;
}

function done(w: Writer): Buffer {
  w.writeUnsignedVarint(0);
  return w.toBuffer();
}

export function memberRecord(groupId: string, memberId: string, v: MemberMetadataValue): CoordinatorRecord {
  const w = valueWriter();
  w.writeCompactNullableString(v.rackId);
  w.writeCompactString(v.clientId);
  w.writeCompactString(v.clientHost);
  w.writeCompactArrayLength(v.subscribedTopicNames.length);
  for (const t of v.subscribedTopicNames) w.writeCompactString(t);
  return { key: encodeKey(SHARE_RECORD.member, groupId, memberId), value: done(w) };
}

export function metadataRecord(groupId: string, epoch: number, metadataHash: number): CoordinatorRecord {
  const w = valueWriter();
  w.writeInt32(epoch);
  w.writeInt64(metadataHash);
  return { key: encodeKey(SHARE_RECORD.metadata, groupId), value: done(w) };
}

export function targetMetadataRecord(groupId: string, assignmentEpoch: number): CoordinatorRecord {
  const w = valueWriter();
  w.writeInt32(assignmentEpoch);
  return { key: encodeKey(SHARE_RECORD.targetMetadata, groupId), value: done(w) };
}

export function targetMemberRecord(groupId: string, memberId: string, p: Partitions): CoordinatorRecord {
  const w = valueWriter();
  writePartitions(w, p);
  return { key: encodeKey(SHARE_RECORD.targetMember, groupId, memberId), value: done(w) };
}

export function currentAssignmentRecord(groupId: string, memberId: string, v: CurrentAssignmentValue): CoordinatorRecord {
  const w = valueWriter();
  w.writeInt32(v.memberEpoch);
  w.writeInt32(v.previousMemberEpoch);
  w.writeInt8(v.state);
  writePartitions(w, v.assigned);
  return { key: encodeKey(SHARE_RECORD.currentAssignment, groupId, memberId), value: done(w) };
}

function byTopicId<T extends { topicId: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => (a.topicId < b.topicId ? -1 : a.topicId > b.topicId ? 1 : 0));
}

function writeTopicPartitionsInfo(w: Writer, list: TopicPartitionsInfo[]): void {
  w.writeCompactArrayLength(list.length);
  for (const t of byTopicId(list)) {
    w.writeUuid(t.topicId);
    w.writeCompactString(t.topicName);
    w.writeCompactArrayLength(t.partitions.length);
    for (const p of [...t.partitions].sort((a, b) => a - b)) w.writeInt32(p);
    w.writeUnsignedVarint(0);
  }
}

function readTopicPartitionsInfo(r: Reader): TopicPartitionsInfo[] {
  const out: TopicPartitionsInfo[] = [];
  const n = r.readCompactArrayLength(18);
  for (let i = 0; i < n; i++) {
    const topicId = r.readUuid();
    const topicName = r.readCompactString();
    const m = r.readCompactArrayLength(4);
    const partitions: number[] = [];
    for (let j = 0; j < m; j++) partitions.push(r.readInt32());
    r.skipTaggedFields();
    out.push({ topicId, topicName, partitions });
  }
  return out;
}

export function statePartitionMetadataRecord(groupId: string, v: StatePartitionMetadata): CoordinatorRecord {
  const w = valueWriter();
  writeTopicPartitionsInfo(w, v.initializing);
  writeTopicPartitionsInfo(w, v.initialized);
  w.writeCompactArrayLength(v.deleting.length);
  for (const t of byTopicId(v.deleting)) {
    w.writeUuid(t.topicId);
    w.writeCompactString(t.topicName);
    w.writeUnsignedVarint(0);
  }
  return { key: encodeKey(SHARE_RECORD.statePartitionMetadata, groupId), value: done(w) };
}

/** The record. Throws on damaged bytes. */
export function decodeShareGroupRecord(rec: CoordinatorRecord): ShareGroupRecord | null {
  const k = new Reader(rec.key);
  const type = k.readInt16();
  const groupId = k.readString();
  const memberId = HAS_MEMBER.has(type) ? k.readString() : null;
  const key = { type, groupId, memberId };
  if (rec.value === null) {
    if (type >= SHARE_RECORD.member && type <= SHARE_RECORD.statePartitionMetadata) return { type, key, value: null } as ShareGroupRecord;
    return null;
  }
  const r = new Reader(rec.value);
  r.readInt16(); // version 0
  switch (type) {
    case SHARE_RECORD.member: {
      const rackId = r.readCompactNullableString();
      const clientId = r.readCompactString();
      const clientHost = r.readCompactString();
      const n = r.readCompactArrayLength(1);
      const subscribedTopicNames: string[] = [];
      for (let i = 0; i < n; i++) subscribedTopicNames.push(r.readCompactString());
      r.skipTaggedFields();
      return { type, key, value: { rackId, clientId, clientHost, subscribedTopicNames } };
    }
    case SHARE_RECORD.metadata: {
      const epoch = r.readInt32();
      const metadataHash = r.readInt64();
      r.skipTaggedFields();
      return { type, key, value: { epoch, metadataHash } };
    }
    case SHARE_RECORD.targetMetadata: {
      const assignmentEpoch = r.readInt32();
      r.skipTaggedFields();
      return { type, key, value: { assignmentEpoch } };
    }
    case SHARE_RECORD.targetMember: {
      const p = readPartitions(r);
      r.skipTaggedFields();
      return { type, key, value: p };
    }
    case SHARE_RECORD.currentAssignment: {
      const memberEpoch = r.readInt32();
      const previousMemberEpoch = r.readInt32();
      const state = r.readInt8();
      const assigned = readPartitions(r);
      r.skipTaggedFields();
      return { type, key, value: { memberEpoch, previousMemberEpoch, state, assigned } };
    }
    case SHARE_RECORD.statePartitionMetadata: {
      const initializing = readTopicPartitionsInfo(r);
      const initialized = readTopicPartitionsInfo(r);
      const n = r.readCompactArrayLength(17);
      const deleting: { topicId: string; topicName: string }[] = [];
      for (let i = 0; i < n; i++) {
        const topicId = r.readUuid();
        const topicName = r.readCompactString();
        r.skipTaggedFields();
        deleting.push({ topicId, topicName });
      }
      r.skipTaggedFields();
      return { type, key, value: { initializing, initialized, deleting } };
    }
    default:
      return null;
  }
}
