// Generator-side helpers around the raw connection: topic creation, reading Produce/Fetch
// responses cheaply (error codes, batch headers only -- records are never decoded on the
// throughput paths, so the generator spends its CPU on as little as possible).
import { errorName } from '../../protocol/errors.js';
import { decodeCreateTopicsResponse } from '../../protocol/generated/create-topics.js';
import { decodeFetchResponse, type FetchResponse } from '../../protocol/generated/fetch.js';
import { decodeListOffsetsResponse } from '../../protocol/generated/list-offsets.js';
import { decodeMetadataResponse } from '../../protocol/generated/metadata.js';
import { decodeProduceResponse } from '../../protocol/generated/produce.js';
import type { Reader } from '../../protocol/wire/reader.js';
import type { BenchConnection } from '../load-generator.js';
import { CREATE_TOPICS_VERSION, encodeCreateTopicsBody, encodeListOffsetsBody, encodeMetadataBody, LIST_OFFSETS_VERSION, METADATA_VERSION, PRODUCE_VERSION, FETCH_VERSION } from './payloads.js';

export async function createTopics(conn: BenchConnection, topics: { name: string; partitions: number; replicationFactor?: number; configs?: Record<string, string> }[]): Promise<void> {
  const res = await conn.request(19, CREATE_TOPICS_VERSION, encodeCreateTopicsBody(topics), decodeCreateTopicsResponse);
  for (const t of res.topics) {
    // 36 TOPIC_ALREADY_EXISTS is fine: a re-run against the same data dir.
    if (t.errorCode !== 0 && t.errorCode !== 36) {
      throw new Error(`CreateTopics ${t.name}: ${errorName(t.errorCode)} ${t.errorMessage ?? ''}`);
    }
  }
}

/**
 * Waits until Metadata shows a leader for every partition of `topics` and that leader answers
 * ListOffsets without error. Apache Kafka answers CreateTopics before its broker has taken
 * leadership (the metadata log is applied a moment later, the metadata cache before the replica
 * manager), so the first produce requests would otherwise get NOT_LEADER_OR_FOLLOWER.
 */
export async function waitForLeaders(conn: BenchConnection, topics: { name: string; partitions: number }[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await conn.request(3, METADATA_VERSION, encodeMetadataBody(topics.map((t) => t.name)), decodeMetadataResponse);
    const ready = topics.every((want) => {
      const t = res.topics.find((x) => x.name === want.name);
      return t !== undefined && t.errorCode === 0 && t.partitions.length === want.partitions && t.partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0);
    });
    if (ready) {
      const lo = await conn.request(2, LIST_OFFSETS_VERSION, encodeListOffsetsBody(topics), decodeListOffsetsResponse);
      if (lo.topics.every((t) => t.partitions.every((p) => p.errorCode === 0))) return;
    }
    if (Date.now() > deadline) throw new Error(`no leaders for ${topics.map((t) => t.name).join(', ')} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Error names of every partition in a Produce response that did not succeed (empty = all ok). */
export function produceResponseErrors(r: Reader): string[] {
  const res = decodeProduceResponse(r, PRODUCE_VERSION);
  const out: string[] = [];
  for (const t of res.responses) {
    for (const p of t.partitionResponses) if (p.errorCode !== 0) out.push(errorName(p.errorCode));
  }
  return out;
}

export function decodeFetch(r: Reader): FetchResponse {
  return decodeFetchResponse(r, FETCH_VERSION);
}

export interface RecordsWalk {
  /** Bytes of complete batches (a trailing partial batch is ignored, as clients do). */
  bytes: number;
  records: number;
  /** Offset after the last complete batch, or -1 if there was none. */
  nextOffset: number;
  /** Start position of each complete batch (only collected when asked). */
  positions: number[] | null;
}

/** Walks v2 batch headers: baseOffset int64 @0, batchLength int32 @8, lastOffsetDelta int32 @23. */
export function walkBatches(buf: Buffer | null, collectPositions = false): RecordsWalk {
  const out: RecordsWalk = { bytes: 0, records: 0, nextOffset: -1, positions: collectPositions ? [] : null };
  if (buf === null) return out;
  let pos = 0;
  while (pos + 61 <= buf.length) {
    const size = 12 + buf.readInt32BE(pos + 8);
    if (size < 61 || pos + size > buf.length) break;
    const base = buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
    const delta = buf.readInt32BE(pos + 23);
    out.positions?.push(pos);
    out.records += delta + 1;
    out.bytes += size;
    out.nextOffset = base + delta + 1;
    pos += size;
  }
  return out;
}
