// What the null sink answers. Minimal but valid responses, encoded with the generated codecs:
//
//   ApiVersions   the handful of APIs below (response header v0, as always for ApiVersions)
//   Metadata      this sink as the only broker (node 0), leader of every partition
//   CreateTopics  remembers the partition count, always succeeds
//   Produce       per partition: baseOffset = a counter advanced by the batch's record count;
//                 no CRC check, nothing stored -- except topics whose name contains "e2e",
//                 whose batches are kept in memory (offsets patched in) so end-to-end latency
//                 has a ceiling too
//   Fetch         "e2e" topics: the stored batches. Other topics: a pre-built in-memory log of
//                 batches (same batch size as the broker's fetch topic) returned as views, no
//                 copy, so fetch throughput has a ceiling. Long-polls when there is nothing.
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode } from '../protocol/errors.js';
import { decodeApiVersionsRequest, encodeApiVersionsResponse } from '../protocol/generated/api-versions.js';
import { decodeCreateTopicsRequest, encodeCreateTopicsResponse } from '../protocol/generated/create-topics.js';
import { decodeFetchRequest, encodeFetchResponse, type FetchRequest, type FetchResponse } from '../protocol/generated/fetch.js';
import { decodeMetadataRequest, encodeMetadataResponse, type MetadataResponse } from '../protocol/generated/metadata.js';
import { decodeProduceRequest, encodeProduceResponse, type ProduceResponse } from '../protocol/generated/produce.js';
import { assignBaseOffset } from '../protocol/records/batch-header.js';
import { ZERO_UUID } from '../protocol/wire/defaults.js';
import type { Reader } from '../protocol/wire/reader.js';
import type { Writer } from '../protocol/wire/writer.js';
import { buildBenchBatch } from './lib/payloads.js';

export const SUPPORTED: Record<number, [number, number]> = {
  0: [3, 9], // Produce
  1: [4, 12], // Fetch (topic names; v13+ would need topic ids)
  3: [0, 12], // Metadata
  18: [0, 3], // ApiVersions
  19: [2, 7], // CreateTopics
};

const E2E_KEEP_BYTES = 64 * 1024 * 1024;

interface StoredBatch {
  baseOffset: number;
  bytes: Buffer;
}

interface PartitionState {
  next: number;
  stored: StoredBatch[] | null; // only for "e2e" topics
  storedBytes: number;
  /** writeDir: the file this partition's produced records are appended to. */
  fd: number | null;
}

/** A finished response body, or a Fetch that must wait (long poll). */
export type Answer =
  | { kind: 'body'; encode: (w: Writer) => void }
  | { kind: 'none' }
  | { kind: 'park'; keys: string[]; deadlineMs: number; retry: () => Answer; timeout: () => Answer };

export interface SinkOptions {
  host: string;
  port: number;
  defaultPartitions: number;
  fetchBatchBytes: number;
  fetchLogBytes: number;
  /**
   * When set, every produced partition's records are also appended (one synchronous write per
   * partition per request) to a file per partition in this directory: the ceiling of a broker that
   * keeps what it is sent in the page cache, beside the null sink that keeps nothing.
   */
  writeDir?: string;
}

export class SinkState {
  readonly topics = new Map<string, number>();
  private readonly partitions = new Map<string, PartitionState>();
  private readonly log: Buffer;
  private readonly logBatchStarts: number[] = [];
  private readonly logRecordsPerBatch: number;
  private readonly logRecords: number;

  constructor(readonly opts: SinkOptions) {
    // The pre-built fetch log: uniform batches, consecutive offsets from 0.
    const first = buildBenchBatch(opts.fetchBatchBytes);
    const count = Math.max(1, Math.floor(opts.fetchLogBytes / first.bytes.length));
    const parts: Buffer[] = [];
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const b = i === 0 ? first : buildBenchBatch(opts.fetchBatchBytes);
      assignBaseOffset(b.bytes, 0, i * first.records, 0);
      this.logBatchStarts.push(pos);
      pos += b.bytes.length;
      parts.push(b.bytes);
    }
    this.logBatchStarts.push(pos);
    this.log = Buffer.concat(parts);
    this.logRecordsPerBatch = first.records;
    this.logRecords = count * first.records;
  }

  private partition(topic: string, index: number): PartitionState {
    const key = `${topic}/${index}`;
    let p = this.partitions.get(key);
    if (!p) {
      p = { next: 0, stored: topic.includes('e2e') ? [] : null, storedBytes: 0, fd: this.opts.writeDir ? openSync(path.join(this.opts.writeDir, `${topic}-${index}.log`), 'a') : null };
      this.partitions.set(key, p);
    }
    return p;
  }

  apiVersions(r: Reader, version: number): Answer {
    if (version > 3) {
      // KIP-511: answer v0 with UNSUPPORTED_VERSION so the client retries with what we list.
      return { kind: 'body', encode: (w) => encodeApiVersionsResponse(w, 0, this.apiVersionsBody(ErrorCode.UNSUPPORTED_VERSION)) };
    }
    decodeApiVersionsRequest(r, version);
    return { kind: 'body', encode: (w) => encodeApiVersionsResponse(w, version, this.apiVersionsBody(ErrorCode.NONE)) };
  }

  private apiVersionsBody(errorCode: number) {
    const apiKeys = Object.entries(SUPPORTED).map(([k, [min, max]]) => ({ apiKey: Number(k), minVersion: min, maxVersion: max }));
    return { errorCode, apiKeys, throttleTimeMs: 0 };
  }

  metadata(r: Reader, version: number): Answer {
    const req = decodeMetadataRequest(r, version);
    const names = req.topics === null ? [...this.topics.keys()] : req.topics.map((t) => t.name ?? '');
    const body = {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 0, host: this.opts.host, port: this.opts.port, rack: null }],
      clusterId: 'null-sink',
      controllerId: 0,
      topics: names.map((name) => {
        const count = this.topics.get(name) ?? this.opts.defaultPartitions;
        this.topics.set(name, count);
        return {
          errorCode: 0,
          name,
          topicId: ZERO_UUID,
          isInternal: false,
          partitions: Array.from({ length: count }, (_, i) => ({
            errorCode: 0,
            partitionIndex: i,
            leaderId: 0,
            leaderEpoch: 0,
            replicaNodes: [0],
            isrNodes: [0],
            offlineReplicas: [],
          })),
          topicAuthorizedOperations: -2147483648,
        };
      }),
      clusterAuthorizedOperations: -2147483648,
    } as unknown as MetadataResponse;
    return { kind: 'body', encode: (w) => encodeMetadataResponse(w, version, body) };
  }

  createTopics(r: Reader, version: number): Answer {
    const req = decodeCreateTopicsRequest(r, version);
    const topics = req.topics.map((t) => {
      const n = t.numPartitions > 0 ? t.numPartitions : this.opts.defaultPartitions;
      this.topics.set(t.name, n);
      return { name: t.name, topicId: ZERO_UUID, errorCode: 0, errorMessage: null, numPartitions: n, replicationFactor: 1, configs: [] };
    });
    return { kind: 'body', encode: (w) => encodeCreateTopicsResponse(w, version, { throttleTimeMs: 0, topics }) };
  }

  /** Calls `woken(key)` for every partition that received data (used to wake long polls). */
  produce(r: Reader, version: number, woken: (key: string) => void): Answer {
    const req = decodeProduceRequest(r, version);
    const responses = req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => {
        const state = this.partition(t.name, p.index);
        const baseOffset = state.next;
        const records = p.records ?? Buffer.alloc(0);
        // Walk the batches: batchLength at +8, lastOffsetDelta at +23.
        let pos = 0;
        while (pos + 61 <= records.length) {
          const size = 12 + records.readInt32BE(pos + 8);
          if (size < 61 || pos + size > records.length) break;
          // Stored batches are copied: a view would pin the whole socket chunk it arrived in.
          const batch = state.stored ? Buffer.from(records.subarray(pos, pos + size)) : records;
          const count = records.readInt32BE(pos + 23) + 1;
          if (state.stored) {
            assignBaseOffset(batch, 0, state.next, 0);
            state.stored.push({ baseOffset: state.next, bytes: batch });
            state.storedBytes += size;
            while (state.storedBytes > E2E_KEEP_BYTES) state.storedBytes -= state.stored.shift()!.bytes.length;
          }
          state.next += count;
          pos += size;
        }
        if (state.fd !== null && records.length > 0) writeSync(state.fd, records);
        if (state.stored) woken(`${t.name}/${p.index}`);
        return { index: p.index, errorCode: 0, baseOffset, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null };
      }),
    }));
    if (req.acks === 0) return { kind: 'none' };
    const body = { responses, throttleTimeMs: 0 } as unknown as ProduceResponse;
    return { kind: 'body', encode: (w) => encodeProduceResponse(w, version, body) };
  }

  fetch(r: Reader, version: number): Answer {
    const req = decodeFetchRequest(r, version);
    const attempt = (final: boolean): Answer => {
      let total = 0;
      const responses = req.topics.map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          const { records, hw } = this.read(t.topic, p.partition, p.fetchOffset, p.partitionMaxBytes);
          total += records.length;
          return {
            partitionIndex: p.partition,
            errorCode: 0,
            highWatermark: hw,
            lastStableOffset: hw,
            logStartOffset: 0,
            abortedTransactions: null,
            preferredReadReplica: -1,
            records,
          };
        }),
      }));
      if (!final && total < Math.max(1, req.minBytes) && req.maxWaitMs > 0) return parked;
      const body = { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses } as unknown as FetchResponse;
      return { kind: 'body', encode: (w) => encodeFetchResponse(w, version, body) };
    };
    const parked: Answer = {
      kind: 'park',
      keys: fetchKeys(req),
      deadlineMs: Date.now() + req.maxWaitMs,
      retry: () => attempt(false),
      timeout: () => attempt(true),
    };
    return attempt(false);
  }

  private read(topic: string, partition: number, offset: number, maxBytes: number): { records: Buffer; hw: number } {
    const state = this.partition(topic, partition);
    if (state.stored) {
      const list = state.stored;
      // Batches are appended in offset order; find the first one ending at or after `offset`.
      // Scanning back from the end is cheap: a tailing consumer asks for the last few batches.
      let i = list.length;
      while (i > 0 && lastOffset(list[i - 1]!) >= offset) i--;
      const out: Buffer[] = [];
      let bytes = 0;
      for (; i < list.length && (out.length === 0 || bytes + list[i]!.bytes.length <= maxBytes); i++) {
        out.push(list[i]!.bytes);
        bytes += list[i]!.bytes.length;
      }
      return { records: out.length === 1 ? out[0]! : Buffer.concat(out, bytes), hw: state.next };
    }
    if (offset >= this.logRecords || offset < 0) return { records: Buffer.alloc(0), hw: this.logRecords };
    const first = Math.floor(offset / this.logRecordsPerBatch);
    let last = first + 1; // exclusive; always at least one batch
    while (last < this.logBatchStarts.length - 1 && this.logBatchStarts[last + 1]! - this.logBatchStarts[first]! <= maxBytes) last++;
    return { records: this.log.subarray(this.logBatchStarts[first]!, this.logBatchStarts[last]!), hw: this.logRecords };
  }
}

function lastOffset(b: StoredBatch): number {
  return b.baseOffset + b.bytes.readInt32BE(23);
}

function fetchKeys(req: FetchRequest): string[] {
  return req.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p.partition}`));
}
