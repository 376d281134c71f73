// ListOffsets: earliest (-2), latest (-1), max timestamp (-3), earliest local (-4), latest tiered
// (-5), earliest pending upload (-6) and lookups by timestamp through the time index; isolation
// level bounds "latest". Timestamp lookups that may read remote storage are bounded by the
// request's TimeoutMs (v10+, KIP-1075) or remote.list.offsets.request.timeout.ms.
import { ErrorCode } from '../../protocol/errors.js';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/generated/list-offsets.js';
import { decodeRecordBatch } from '../../protocol/records/record-codec.js';
import type { Broker } from '../broker.js';
import { AclOperation, ResourceType } from '../auth/acl/acl-model.js';
import { authorized } from '../auth/acl/request-authz.js';
import type { Partition } from '../cluster/partition.js';
import type { ApiHandler } from '../network/request-context.js';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const LATEST_TIERED = -5;
const EARLIEST_PENDING_UPLOAD = -6;
const READ_COMMITTED = 1;

interface PartitionResult {
  partitionIndex: number;
  errorCode: number;
  oldStyleOffsets: number[];
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

export function listOffsetsHandler(broker: Broker): ApiHandler<ListOffsetsRequest> {
  return {
    apiKey: 2,
    minVersion: 0,
    maxVersion: 11,
    errorResponse(req, errorCode): ListOffsetsResponse {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 })),
        })),
      } as unknown as ListOffsetsResponse;
    },
    async handle(ctx, req): Promise<ListOffsetsResponse> {
      const v = ctx.header.apiVersion;
      const isolation = v >= 2 ? req.isolationLevel : 0;
      // Kafka (v1+): every entry of a partition named more than once, even under two entries of the
      // same topic, gets INVALID_REQUEST; the other partitions are answered normally.
      const duplicated = v >= 1 ? duplicatePartitions(req) : EMPTY_SET;
      const remoteTimeoutMs = v >= 10 ? req.timeoutMs : (broker.config.get('remote.list.offsets.request.timeout.ms') as number);
      const topics = [];
      for (const t of req.topics) {
        const partitions: PartitionResult[] = [];
        // KafkaApis: DESCRIBE on the topic, refused per partition.
        const refused = !authorized(broker, ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name);
        for (const p of t.partitions) {
          const fail = (errorCode: number): PartitionResult => ({ partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 });
          if (refused) {
            partitions.push(fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            continue;
          }
          if (duplicated.size > 0 && duplicated.has(partitionKey(t.name, p.partitionIndex))) {
            partitions.push(fail(ErrorCode.INVALID_REQUEST));
            continue;
          }
          const partition = broker.partition(t.name, p.partitionIndex);
          if (!partition) {
            partitions.push(fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
            continue;
          }
          const cur = v >= 4 ? p.currentLeaderEpoch : -1;
          if (cur !== -1 && cur !== partition.leaderEpoch) {
            partitions.push(fail(cur > partition.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH));
            continue;
          }
          const log = partition.log;
          const upper = isolation === READ_COMMITTED ? log.lastStableOffset : log.highWatermark;
          let offset = -1;
          let timestamp = -1;
          let leaderEpoch = partition.leaderEpoch;
          if (p.timestamp === LATEST) {
            offset = upper;
          } else if (p.timestamp === EARLIEST) {
            // Includes data in remote storage (tiered topics).
            offset = log.logStartOffset;
          } else if (p.timestamp === EARLIEST_LOCAL) {
            offset = log.localLogStartOffset;
          } else if (p.timestamp === LATEST_TIERED) {
            // The highest offset copied to remote storage; -1 (and epoch -1) when nothing is, as in Kafka.
            const copiedEnd = log.remoteTier?.copiedEndOffset() ?? -1;
            offset = copiedEnd > 0 ? copiedEnd - 1 : -1;
            if (offset < 0) leaderEpoch = -1;
          } else if (p.timestamp === EARLIEST_PENDING_UPLOAD) {
            // KIP-1023: the first offset not yet copied to remote storage (Kafka's
            // UnifiedLog.fetchEarliestPendingUploadOffset): -1 for topics that are not tiered, and
            // while nothing is copied, the log start offset unless local retention already moved
            // the local start past it.
            const copiedEnd = log.remoteTier?.copiedEndOffset() ?? -1;
            // Tiered by config, not by attachment: a new topic's tier is attached by the next
            // tiering pass, and until then nothing is copied.
            if (log.config.remoteStorageEnable !== true) offset = -1;
            else if (copiedEnd > 0) offset = Math.max(copiedEnd, log.logStartOffset);
            else offset = log.localLogStartOffset === log.logStartOffset ? log.logStartOffset : -1;
            if (offset < 0) leaderEpoch = -1;
          } else if (p.timestamp === MAX_TIMESTAMP) {
            const m = log.maxTimestampAndOffset();
            if (m.offset >= 0 && m.offset < upper) {
              const exact = await recordAtTimestamp(partition, m.offset, m.timestamp, upper, true);
              offset = exact?.offset ?? m.offset;
              timestamp = exact?.timestamp ?? m.timestamp;
            }
          } else if (p.timestamp >= 0) {
            const lookup = lookupTimestamp(partition, p.timestamp, upper);
            const exact = log.remoteTier ? await withTimeout(lookup, remoteTimeoutMs) : await lookup;
            if (exact === TIMED_OUT) {
              partitions.push(fail(ErrorCode.REQUEST_TIMED_OUT));
              continue;
            }
            if (exact) {
              offset = exact.offset;
              timestamp = exact.timestamp;
            }
          } else {
            partitions.push(fail(ErrorCode.INVALID_REQUEST));
            continue;
          }
          // Kafka answers "no such offset" (a timestamp after every record, max timestamp of an
          // empty log) with leader epoch -1 too, which clients read as "no epoch".
          if (offset < 0) leaderEpoch = -1;
          partitions.push({
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.NONE,
            // v0 answers a list ("up to maxNumOffsets offsets"); for latest/earliest that is one offset.
            oldStyleOffsets: v === 0 ? (offset >= 0 && p.maxNumOffsets > 0 ? [offset] : []) : [],
            timestamp,
            offset,
            leaderEpoch,
          });
        }
        topics.push({ name: t.name, partitions });
      }
      return { throttleTimeMs: 0, topics } as unknown as ListOffsetsResponse;
    },
  };
}

const EMPTY_SET: ReadonlySet<string> = new Set();

function partitionKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

/** Kafka's ListOffsetsRequest.duplicatePartitions: topic-partitions named more than once. */
function duplicatePartitions(req: ListOffsetsRequest): ReadonlySet<string> {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const t of req.topics) {
    for (const p of t.partitions) {
      const key = partitionKey(t.name, p.partitionIndex);
      if (seen.has(key)) dups.add(key);
      else seen.add(key);
    }
  }
  return dups;
}

async function lookupTimestamp(partition: Partition, target: number, upper: number): Promise<{ offset: number; timestamp: number } | null> {
  const found = await partition.log.offsetForTimestamp(target);
  if (!found || found.offset >= upper) return null;
  return recordAtTimestamp(partition, found.offset, target, upper, false);
}

const TIMED_OUT = Symbol('timed out');

/** Kafka answers REQUEST_TIMED_OUT when a remote lookup outlives the timeout; the read itself finishes in the background. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), Math.max(ms, 0))));
  p.catch(() => {}); // a late failure after the timeout must not surface as an unhandled rejection
  return Promise.race([p, expiry]).finally(() => clearTimeout(timer));
}

/**
 * The index finds the batch; Kafka answers with the record inside it: the first record whose
 * timestamp is >= `target` (or, for MAX_TIMESTAMP, equal to it). Only this one batch is decoded.
 */
async function recordAtTimestamp(
  partition: Partition,
  batchOffset: number,
  target: number,
  upper: number,
  exactMatch: boolean,
): Promise<{ offset: number; timestamp: number } | null> {
  let offset = batchOffset;
  // The index may point at a batch that ends before any qualifying record; walk forward a little.
  for (let hops = 0; hops < 64 && offset < upper; hops++) {
    const read = await partition.log.read(offset, 1, upper, true);
    if (read.error || read.records.length === 0) return null;
    // Lenient: an uncompressed batch is only header-checked on produce; use the records that decode.
    const batch = decodeRecordBatch(read.records, 0, { lenient: true });
    for (const r of batch.records) {
      if (r.offset >= upper) return null;
      if (r.offset >= offset && (exactMatch ? r.timestamp === target : r.timestamp >= target)) {
        return { offset: r.offset, timestamp: r.timestamp };
      }
    }
    offset = batch.baseOffset + batch.lastOffsetDelta + 1;
  }
  return null;
}
