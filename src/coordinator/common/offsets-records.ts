// Keys and values of __consumer_offsets records, byte-compatible with Kafka's classic formats
// (group-coordinator/src/main/resources/common/message/*.json). Strings are int16-length UTF-8,
// bytes int32-length, nullable strings use length -1. All integers big-endian.
//
//   key (OffsetCommitKey)               key (GroupMetadataKey)
//   ┌───────────────────────────┐       ┌───────────────────────────┐
//   │ int16  version = 1 (or 0) │       │ int16  version = 2        │
//   │ string group              │       │ string group              │
//   │ string topic              │       └───────────────────────────┘
//   │ int32  partition          │
//   └───────────────────────────┘
//
//   value (OffsetCommitValue)            v0  v1  v2  v3
//     int16  version                     ✓   ✓   ✓   ✓
//     int64  offset                      ✓   ✓   ✓   ✓
//     int32  leaderEpoch                             ✓
//     string metadata                    ✓   ✓   ✓   ✓
//     int64  commitTimestamp             ✓   ✓   ✓   ✓
//     int64  expireTimestamp                 ✓
//   We write v3, or v1 when the commit carries an explicit expire timestamp (as Kafka does).
//
//   value (GroupMetadataValue)           v0  v1  v2  v3
//     int16  version                     ✓   ✓   ✓   ✓
//     string protocolType                ✓   ✓   ✓   ✓
//     int32  generation                  ✓   ✓   ✓   ✓
//     string? protocol                   ✓   ✓   ✓   ✓
//     string? leader                     ✓   ✓   ✓   ✓
//     int64  currentStateTimestamp               ✓   ✓
//     int32  member count, then per member:
//       string  memberId                 ✓   ✓   ✓   ✓
//       string? groupInstanceId                      ✓
//       string  clientId                 ✓   ✓   ✓   ✓
//       string  clientHost               ✓   ✓   ✓   ✓
//       int32   rebalanceTimeout             ✓   ✓   ✓
//       int32   sessionTimeout           ✓   ✓   ✓   ✓
//       bytes   subscription             ✓   ✓   ✓   ✓
//       bytes   assignment               ✓   ✓   ✓   ✓
//   We write v3. A null value is a tombstone (offset deleted / group deleted).
import { Reader } from '../../../protocol/wire/reader.js';
import { Writer } from '../../../protocol/wire/writer.js';

export type OffsetsRecordKey =
  | { type: 'offset'; group: string; topic: string; partition: number }
  | { type: 'group'; group: string };

export interface OffsetCommitValue {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  expireTimestamp: number | null;
}

export interface GroupMetadataMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: GroupMetadataMember[];
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(64);
  w.writeInt16(1);
  w.writeString(group);
  w.writeString(topic);
  w.writeInt32(partition);
  return w.toBuffer();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  const w = new Writer(32);
  w.writeInt16(2);
  w.writeString(group);
  return w.toBuffer();
}

/** Null for key versions this coordinator does not own (e.g. KIP-848 consumer group records). */
export function decodeOffsetsRecordKey(key: Buffer): OffsetsRecordKey | null {
  const r = new Reader(key);
  const version = r.readInt16();
  if (version === 0 || version === 1) {
    const group = r.readString();
    const topic = r.readString();
    return { type: 'offset', group, topic, partition: r.readInt32() };
  }
  if (version === 2) return { type: 'group', group: r.readString() };
  return null;
}

export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  const w = new Writer(64 + v.metadata.length * 3);
  if (v.expireTimestamp !== null) {
    w.writeInt16(1);
    w.writeInt64(v.offset);
    w.writeString(v.metadata);
    w.writeInt64(v.commitTimestamp);
    w.writeInt64(v.expireTimestamp);
  } else {
    w.writeInt16(3);
    w.writeInt64(v.offset);
    w.writeInt32(v.leaderEpoch);
    w.writeString(v.metadata);
    w.writeInt64(v.commitTimestamp);
  }
  return w.toBuffer();
}

export function decodeOffsetCommitValue(value: Buffer): OffsetCommitValue {
  const r = new Reader(value);
  const version = r.readInt16();
  if (version < 0 || version > 3) throw new Error(`OffsetCommitValue v${version} is not supported`);
  const offset = r.readInt64();
  const leaderEpoch = version >= 3 ? r.readInt32() : -1;
  const metadata = r.readString();
  const commitTimestamp = r.readInt64();
  const expireTimestamp = version === 1 ? r.readInt64() : -1;
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp: expireTimestamp === -1 ? null : expireTimestamp };
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  const w = new Writer(256);
  w.writeInt16(3);
  w.writeString(v.protocolType);
  w.writeInt32(v.generation);
  w.writeNullableString(v.protocol);
  w.writeNullableString(v.leader);
  w.writeInt64(v.currentStateTimestamp);
  w.writeInt32(v.members.length);
  for (const m of v.members) {
    w.writeString(m.memberId);
    w.writeNullableString(m.groupInstanceId);
    w.writeString(m.clientId);
    w.writeString(m.clientHost);
    w.writeInt32(m.rebalanceTimeoutMs);
    w.writeInt32(m.sessionTimeoutMs);
    w.writeBytes(m.subscription);
    w.writeBytes(m.assignment);
  }
  return w.toBuffer();
}

export function decodeGroupMetadataValue(value: Buffer): GroupMetadataValue {
  const r = new Reader(value);
  const version = r.readInt16();
  if (version < 0 || version > 3) throw new Error(`GroupMetadataValue v${version} is not supported`);
  const protocolType = r.readString();
  const generation = r.readInt32();
  const protocol = r.readNullableString();
  const leader = r.readNullableString();
  const currentStateTimestamp = version >= 2 ? r.readInt64() : -1;
  const n = r.readArrayLength(4);
  const members: GroupMetadataMember[] = [];
  for (let i = 0; i < n; i++) {
    const memberId = r.readString();
    const groupInstanceId = version >= 3 ? r.readNullableString() : null;
    const clientId = r.readString();
    const clientHost = r.readString();
    const rebalanceTimeoutMs = version >= 1 ? r.readInt32() : -1;
    const sessionTimeoutMs = r.readInt32();
    // Copies: the record buffer is a view into a log read that must not be pinned.
    const subscription = Buffer.from(r.readBytes());
    const assignment = Buffer.from(r.readBytes());
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutMs === -1 ? sessionTimeoutMs : rebalanceTimeoutMs,
      sessionTimeoutMs,
      subscription,
      assignment,
    });
  }
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}
