// Pre-encoding of everything the load generator sends: v2 record batches of 1 KiB records and
// the request bodies (without the request header, which BenchConnection adds per send) for
// Produce v9, Fetch v12, CreateTopics v7 and ApiVersions v3.
import { randomBytes } from 'node:crypto';
import { encodeApiVersionsRequest } from '../../protocol/generated/api-versions.js';
import { encodeCreateTopicsRequest } from '../../protocol/generated/create-topics.js';
import { encodeFetchRequest, type FetchRequest } from '../../protocol/generated/fetch.js';
import { encodeListOffsetsRequest } from '../../protocol/generated/list-offsets.js';
import { encodeMetadataRequest } from '../../protocol/generated/metadata.js';
import { encodeProduceRequest, type ProduceRequest } from '../../protocol/generated/produce.js';
import { buildRecordBatch, type RecordInput } from '../../protocol/records/batch-builder.js';
import { ZERO_UUID } from '../../protocol/wire/defaults.js';
import { Writer } from '../../protocol/wire/writer.js';

export const PRODUCE_VERSION = 9;
export const FETCH_VERSION = 12;
export const CREATE_TOPICS_VERSION = 7;
export const API_VERSIONS_VERSION = 3;
export const METADATA_VERSION = 12;
export const LIST_OFFSETS_VERSION = 7;

export const RECORD_BYTES = 1024;

/** Random bytes that record values are sliced from, so batches differ without costing much. */
const POOL = randomBytes(4 * 1024 * 1024);
let poolPos = 0;

function randomValue(len: number): Buffer {
  if (poolPos + len > POOL.length) poolPos = (poolPos * 7 + 13) % 4096;
  const v = POOL.subarray(poolPos, poolPos + len);
  poolPos += 97 + (len >> 1);
  return v;
}

export interface BenchBatch {
  bytes: Buffer;
  records: number;
}

/**
 * One uncompressed v2 batch holding as many `recordBytes`-byte values (null keys) as fit in
 * `maxBatchBytes` (at least one). Kafka's default max.message.bytes is 1 MiB + 12, so a
 * "1 MiB" batch here is at most 1048576 bytes.
 */
export function buildBenchBatch(maxBatchBytes: number, recordBytes = RECORD_BYTES): BenchBatch {
  const perRecord = recordBytes + 10; // value + record framing (length, attrs, deltas, lengths)
  let n = Math.max(1, Math.floor((maxBatchBytes - 61) / perRecord));
  for (;;) {
    const records: RecordInput[] = [];
    for (let i = 0; i < n; i++) records.push({ key: null, value: randomValue(recordBytes) });
    const bytes = buildRecordBatch({ records });
    if (bytes.length <= maxBatchBytes || n === 1) return { bytes, records: n };
    n--;
  }
}

/** A one-record batch whose value starts with `seq` (uint32), for end-to-end latency. */
export function buildSeqBatch(seq: number, recordBytes = RECORD_BYTES): Buffer {
  const value = Buffer.alloc(recordBytes);
  randomValue(recordBytes).copy(value);
  value.writeUInt32BE(seq >>> 0, 0);
  return buildRecordBatch({ records: [{ key: null, value }] });
}

function finish(w: Writer): Buffer {
  return Buffer.from(w.toBuffer()); // own copy: a single contiguous, immutable request body
}

export function encodeProduceBody(
  topic: string,
  partitions: { index: number; records: Buffer }[],
  acks: number,
  timeoutMs = 30_000,
): Buffer {
  const w = new Writer(1024);
  const req: ProduceRequest = {
    transactionalId: null,
    acks,
    timeoutMs,
    topicData: [{ name: topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionData: partitions.map((p) => ({ index: p.index, records: p.records })) }],
  };
  encodeProduceRequest(w, PRODUCE_VERSION, req);
  return finish(w);
}

export interface FetchTarget {
  topic: string;
  partition: number;
  offset: number;
  partitionMaxBytes: number;
}

/** A sessionless (full) Fetch v12, read_uncommitted. */
export function encodeFetchBody(targets: FetchTarget[], maxWaitMs: number, minBytes: number, maxBytes: number): Buffer {
  const byTopic = new Map<string, FetchTarget[]>();
  for (const t of targets) {
    const list = byTopic.get(t.topic) ?? [];
    list.push(t);
    byTopic.set(t.topic, list);
  }
  const req = {
    clusterId: null,
    replicaId: -1,
    maxWaitMs,
    minBytes,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [...byTopic].map(([topic, list]) => ({
      topic,
      topicId: ZERO_UUID,
      partitions: list.map((t) => ({
        partition: t.partition,
        currentLeaderEpoch: -1,
        fetchOffset: t.offset,
        lastFetchedEpoch: -1,
        logStartOffset: -1,
        partitionMaxBytes: t.partitionMaxBytes,
      })),
    })),
    forgottenTopicsData: [],
    rackId: '',
  } as unknown as FetchRequest;
  const w = new Writer(256);
  encodeFetchRequest(w, FETCH_VERSION, req);
  return finish(w);
}

export function encodeCreateTopicsBody(topics: { name: string; partitions: number; replicationFactor?: number; configs?: Record<string, string> }[]): Buffer {
  const w = new Writer(256);
  encodeCreateTopicsRequest(w, CREATE_TOPICS_VERSION, {
    topics: topics.map((t) => ({
      name: t.name,
      numPartitions: t.partitions,
      replicationFactor: t.replicationFactor ?? 1,
      assignments: [],
      configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs: 30_000,
    validateOnly: false,
  });
  return finish(w);
}

export function encodeApiVersionsBody(): Buffer {
  const w = new Writer(64);
  encodeApiVersionsRequest(w, API_VERSIONS_VERSION, { clientSoftwareName: 'tributary-bench', clientSoftwareVersion: '0.1.0', clusterId: null, nodeId: -1 });
  return finish(w);
}

export function encodeMetadataBody(topics: string[]): Buffer {
  const w = new Writer(256);
  encodeMetadataRequest(w, METADATA_VERSION, {
    topics: topics.map((name) => ({ topicId: ZERO_UUID, name })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  return finish(w);
}

/** ListOffsets (latest) for every partition: answered without error only by a ready leader. */
export function encodeListOffsetsBody(topics: { name: string; partitions: number }[]): Buffer {
  const w = new Writer(256);
  encodeListOffsetsRequest(w, LIST_OFFSETS_VERSION, {
    replicaId: -1,
    isolationLevel: 0,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: Array.from({ length: t.partitions }, (_, i) => ({ partitionIndex: i, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 })),
    })),
    timeoutMs: 30_000,
  });
  return finish(w);
}
