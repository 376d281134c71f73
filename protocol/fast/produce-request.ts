// Hand-written decoding of the common Produce request: one topic, one partition (every request a
// producer sending one partition at a time makes). Issue 14 (acks=all latency at 40,000 one-record
// requests/s): the generated decoder builds each array with `[]` and `push`, which gives a
// one-element array a 16-slot backing store (two per request, ~270 bytes of the ~5.7 KB a small
// Produce allocated); here the arrays are built at their size, in one pass.
//
// The result is exactly what decodeProduceRequest returns (same objects, same field order, so the
// handler sees the same shapes); any other shape (several topics or partitions, no topic, an
// error) goes to the generated decoder from the start, so its errors and limits stay the only
// ones. test/protocol/produce-fast-decode.test.ts compares both over versions 0-13, tagged fields,
// null records and truncated or malformed input.
import type { Reader } from '../wire/reader.js';
import { ZERO_UUID } from '../wire/defaults.js';
import { decodeProduceRequest, type ProduceRequest, type ProduceRequestPartitionProduceData, type ProduceRequestTopicProduceData } from '../generated/produce.js';

/** The one-topic one-partition request, or null (reader position undefined) for anything else. */
function decodeSingle(r: Reader, version: number): ProduceRequest | null {
  if (version < 0 || version > 13) return null;
  const flexible = version >= 9;
  const transactionalId = version >= 9 ? r.readCompactNullableString() : version >= 3 ? r.readNullableString() : null;
  const acks = r.readInt16();
  const timeoutMs = r.readInt32();
  if ((flexible ? r.readUnsignedVarint() - 1 : r.readInt32()) !== 1) return null;
  let name = '';
  let topicId = ZERO_UUID;
  if (version >= 13) topicId = r.readUuid();
  else name = flexible ? r.readCompactString() : r.readString();
  if ((flexible ? r.readUnsignedVarint() - 1 : r.readInt32()) !== 1) return null;
  const index = r.readInt32();
  const records = flexible ? r.readCompactNullableBytes() : r.readNullableBytes();
  if (flexible) {
    r.skipTaggedFields(); // partition
    r.skipTaggedFields(); // topic
    r.skipTaggedFields(); // request
  }
  const partition: ProduceRequestPartitionProduceData = { index, records };
  const topic: ProduceRequestTopicProduceData = { name, topicId, partitionData: [partition] };
  return { transactionalId, acks, timeoutMs, topicData: [topic] };
}

/**
 * decodeProduceRequest, with the one-topic one-partition case decoded directly. Same result and
 * same reader position after it; on any other input the generated decoder decides (and throws).
 */
export function decodeProduceRequestFast(r: Reader, version: number): ProduceRequest {
  const start = r.offset;
  let req: ProduceRequest | null = null;
  try {
    req = decodeSingle(r, version);
  } catch {
    req = null; // malformed: the generated decoder reports it
  }
  if (req !== null) return req;
  r.offset = start;
  return decodeProduceRequest(r, version);
}
