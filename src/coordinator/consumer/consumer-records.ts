// The KIP-848 consumer group records in __consumer_offsets, in Kafka 4.x's formats
// (group-coordinator/src/main/resources/common/message/ConsumerGroup*.json). The classic codecs
// (../common/offsets-records.ts) own key versions 0-2; these are versions 3-8. The key's int16
// "version" is the record type; key fields are classic (int16-length strings). Values are an
// int16 version (0) followed by a flexible struct: compact strings and arrays (length + 1 as an
// unsigned varint), UUIDs as 16 bytes, and a tagged-field count (we write 0, readers skip any).
//
//   type key fields                 value (v0)
//   3    groupId                    ConsumerGroupMetadataValue: int32 epoch
//   4    groupId                    ConsumerGroupPartitionMetadataValue: int32 epoch,
//                                     [topicId uuid, topicName, int32 numPartitions,
//                                      [int32 partition, [rack]] (written empty)]
//   5    groupId, memberId          ConsumerGroupMemberMetadataValue: instanceId?, rackId?,
//                                     clientId, clientHost, [subscribedTopicNames],
//                                     subscribedTopicRegex?, int32 rebalanceTimeoutMs,
//                                     serverAssignor?
//   6    groupId                    ConsumerGroupTargetAssignmentMetadataValue: int32 assignmentEpoch
//   7    groupId, memberId          ConsumerGroupTargetAssignmentMemberValue: [topicId, [int32]]
//   8    groupId, memberId          ConsumerGroupCurrentMemberAssignmentValue: int32 memberEpoch,
//                                     int32 previousMemberEpoch, int8 state,
//                                     [topicId, [int32]] assigned, [topicId, [int32]] pendingRevocation
//
// A null value is a tombstone. Tagged fields Kafka added later (metadata hash, assignment epochs
// per partition, classic member metadata) are skipped when read and not written.
import { Reader } from '../../../protocol/wire/reader.js';
import { Writer } from '../../../protocol/wire/writer.js';
import { fromList, toList, type Assignment } from './assignment.js';

export const RECORD_TYPE = {
  metadata: 3,
  partitionMetadata: 4,
  member: 5,
  targetMetadata: 6,
  targetMember: 7,
  currentAssignment: 8,
} as const;

export type RecordType = keyof typeof RECORD_TYPE;

export interface SubscribedTopic {
  topicId: string;
  topicName: string;
  numPartitions: number;
}

export interface MemberSubscriptionValue {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
}

/** Kafka's MemberState values. */
export const MemberState = { STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2, UNKNOWN: 127 } as const;
export type MemberStateValue = (typeof MemberState)[keyof typeof MemberState];

export interface CurrentAssignmentValue {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberStateValue;
  assignedPartitions: Assignment;
  partitionsPendingRevocation: Assignment;
}

export type ConsumerGroupRecord =
  | { type: 'metadata'; groupId: string; value: { epoch: number } | null }
  | { type: 'partitionMetadata'; groupId: string; value: { epoch: number; topics: SubscribedTopic[] } | null }
  | { type: 'member'; groupId: string; memberId: string; value: MemberSubscriptionValue | null }
  | { type: 'targetMetadata'; groupId: string; value: { assignmentEpoch: number } | null }
  | { type: 'targetMember'; groupId: string; memberId: string; value: Assignment | null }
  | { type: 'currentAssignment'; groupId: string; memberId: string; value: CurrentAssignmentValue | null };

const TYPE_BY_VERSION = new Map<number, RecordType>(Object.entries(RECORD_TYPE).map(([k, v]) => [v, k as RecordType]));
const hasMemberKey = (t: RecordType) => t === 'member' || t === 'targetMember' || t === 'currentAssignment';

// ---- keys ------------------------------------------------------------------------------------

export function encodeKey(r: ConsumerGroupRecord): Buffer {
  const w = new Writer(64);
  w.writeInt16(RECORD_TYPE[r.type]);
  w.writeString(r.groupId);
  if ('memberId' in r) w.writeString(r.memberId);
  return w.toBuffer();
}

export type DecodedKey = { type: RecordType; groupId: string; memberId: string };

/** Null for keys that are not consumer group records (classic offsets/groups, share/streams groups). */
export function decodeKey(key: Buffer): DecodedKey | null {
  if (key.length < 2) return null;
  const r = new Reader(key);
  const type = TYPE_BY_VERSION.get(r.readInt16());
  if (!type) return null;
  const groupId = r.readString();
  const memberId = hasMemberKey(type) ? r.readString() : '';
  return { type, groupId, memberId };
}

// ---- values ----------------------------------------------------------------------------------

function writeCompactArray<T>(w: Writer, items: readonly T[], each: (item: T) => void): void {
  w.writeCompactArrayLength(items.length);
  for (const it of items) each(it);
}

function writeTopicPartitions(w: Writer, a: Assignment): void {
  writeCompactArray(w, toList(a), (tp) => {
    w.writeUuid(tp.topicId);
    writeCompactArray(w, tp.partitions, (p) => w.writeInt32(p));
    w.writeUnsignedVarint(0);
  });
}

function readTopicPartitions(r: Reader): Assignment {
  const n = r.readCompactArrayLength(18);
  const list = [];
  for (let i = 0; i < n; i++) {
    const topicId = r.readUuid();
    const m = r.readCompactArrayLength(4);
    const partitions: number[] = [];
    for (let j = 0; j < m; j++) partitions.push(r.readInt32());
    r.skipTaggedFields();
    list.push({ topicId, partitions });
  }
  return fromList(list);
}

function readStringArray(r: Reader): string[] {
  const n = r.readCompactArrayLength(1);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.readCompactString());
  return out;
}

export function encodeValue(rec: ConsumerGroupRecord): Buffer | null {
  if (rec.value === null) return null;
  const w = new Writer(128);
  w.writeInt16(0);
  switch (rec.type) {
    case 'metadata':
      w.writeInt32(rec.value.epoch);
      break;
    case 'partitionMetadata':
      w.writeInt32(rec.value.epoch);
      writeCompactArray(w, rec.value.topics, (t) => {
        w.writeUuid(t.topicId);
        w.writeCompactString(t.topicName);
        w.writeInt32(t.numPartitions);
        w.writeCompactArrayLength(0); // PartitionRacks: this broker has no racks per partition
        w.writeUnsignedVarint(0);
      });
      break;
    case 'member': {
      const v = rec.value;
      w.writeCompactNullableString(v.instanceId);
      w.writeCompactNullableString(v.rackId);
      w.writeCompactString(v.clientId);
      w.writeCompactString(v.clientHost);
      writeCompactArray(w, v.subscribedTopicNames, (s) => w.writeCompactString(s));
      w.writeCompactNullableString(v.subscribedTopicRegex);
      w.writeInt32(v.rebalanceTimeoutMs);
      w.writeCompactNullableString(v.serverAssignor);
      break;
    }
    case 'targetMetadata':
      w.writeInt32(rec.value.assignmentEpoch);
      break;
    case 'targetMember':
      writeTopicPartitions(w, rec.value);
      break;
    case 'currentAssignment':
      w.writeInt32(rec.value.memberEpoch);
      w.writeInt32(rec.value.previousMemberEpoch);
      w.writeInt8(rec.value.state);
      writeTopicPartitions(w, rec.value.assignedPartitions);
      writeTopicPartitions(w, rec.value.partitionsPendingRevocation);
      break;
  }
  w.writeUnsignedVarint(0); // no tagged fields
  return w.toBuffer();
}

/** Decodes a record whose key decodeKey accepted. Throws on malformed bytes. */
export function decodeRecord(key: DecodedKey, value: Buffer | null): ConsumerGroupRecord {
  const { type, groupId, memberId } = key;
  if (value === null) {
    return (hasMemberKey(type) ? { type, groupId, memberId, value: null } : { type, groupId, value: null }) as ConsumerGroupRecord;
  }
  const r = new Reader(value);
  const version = r.readInt16();
  if (version !== 0) throw new Error(`consumer group record type ${RECORD_TYPE[type]} value v${version} is not supported`);
  let rec: ConsumerGroupRecord;
  switch (type) {
    case 'metadata':
      rec = { type, groupId, value: { epoch: r.readInt32() } };
      break;
    case 'partitionMetadata': {
      const epoch = r.readInt32();
      const n = r.readCompactArrayLength(22);
      const topics: SubscribedTopic[] = [];
      for (let i = 0; i < n; i++) {
        const topicId = r.readUuid();
        const topicName = r.readCompactString();
        const numPartitions = r.readInt32();
        const racks = r.readCompactArrayLength(6);
        for (let j = 0; j < racks; j++) {
          r.readInt32();
          readStringArray(r);
          r.skipTaggedFields();
        }
        r.skipTaggedFields();
        topics.push({ topicId, topicName, numPartitions });
      }
      rec = { type, groupId, value: { epoch, topics } };
      break;
    }
    case 'member':
      rec = {
        type,
        groupId,
        memberId,
        value: {
          instanceId: r.readCompactNullableString(),
          rackId: r.readCompactNullableString(),
          clientId: r.readCompactString(),
          clientHost: r.readCompactString(),
          subscribedTopicNames: readStringArray(r),
          subscribedTopicRegex: r.readCompactNullableString(),
          rebalanceTimeoutMs: r.readInt32(),
          serverAssignor: r.readCompactNullableString(),
        },
      };
      break;
    case 'targetMetadata':
      rec = { type, groupId, value: { assignmentEpoch: r.readInt32() } };
      break;
    case 'targetMember':
      rec = { type, groupId, memberId, value: readTopicPartitions(r) };
      break;
    case 'currentAssignment': {
      const memberEpoch = r.readInt32();
      const previousMemberEpoch = r.readInt32();
      const raw = r.readInt8();
      const state = (raw >= 0 && raw <= 2 ? raw : MemberState.UNKNOWN) as MemberStateValue;
      const assignedPartitions = readTopicPartitions(r);
      const partitionsPendingRevocation = readTopicPartitions(r);
      rec = { type, groupId, memberId, value: { memberEpoch, previousMemberEpoch, state, assignedPartitions, partitionsPendingRevocation } };
      break;
    }
  }
  r.skipTaggedFields();
  return rec;
}

/** The record as __consumer_offsets key/value bytes. */
export function toLogRecord(rec: ConsumerGroupRecord): { key: Buffer; value: Buffer | null } {
  return { key: encodeKey(rec), value: encodeValue(rec) };
}
