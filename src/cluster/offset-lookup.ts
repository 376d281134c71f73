// ListOffsets on a partition this broker leads (Kafka's Partition.fetchOffsetForTimestamp):
// earliest (-2), latest (-1), max timestamp (-3), earliest local (-4), latest tiered (-5),
// earliest pending upload (-6) and lookups by timestamp through the time index. The isolation
// level bounds "latest" and every lookup. Timestamp lookups that may read remote storage are
// bounded by `remoteTimeoutMs` (REQUEST_TIMED_OUT, the read finishing in the background).
import { ErrorCode } from '../../protocol/errors.js';
import { decodeRecordBatch } from '../../protocol/records/record-codec.js';
import type { Partition } from './partition.js';

export const LATEST = -1;
export const EARLIEST = -2;
export const MAX_TIMESTAMP = -3;
export const EARLIEST_LOCAL = -4;
export const LATEST_TIERED = -5;
export const EARLIEST_PENDING_UPLOAD = -6;

export interface OffsetLookupResult {
  errorCode: number;
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

export function offsetLookupError(errorCode: number): OffsetLookupResult {
  return { errorCode, offset: -1, timestamp: -1, leaderEpoch: -1 };
}

/** `upper`: the LSO for read_committed, else the HW. */
export async function lookupOffset(partition: Partition, target: number, upper: number, remoteTimeoutMs: number): Promise<OffsetLookupResult> {
  const log = partition.log;
  let offset = -1;
  let timestamp = -1;
  let leaderEpoch = partition.leaderEpoch;
  if (target === LATEST) {
    offset = upper;
  } else if (target === EARLIEST) {
    // Includes data in remote storage (tiered topics).
    offset = log.logStartOffset;
  } else if (target === EARLIEST_LOCAL) {
    offset = log.localLogStartOffset;
  } else if (target === LATEST_TIERED) {
    // The highest offset copied to remote storage; -1 (and epoch -1) when nothing is, as in Kafka.
    const copiedEnd = log.remoteTier?.copiedEndOffset() ?? -1;
    offset = copiedEnd > 0 ? copiedEnd - 1 : -1;
  } else if (target === EARLIEST_PENDING_UPLOAD) {
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
  } else if (target === MAX_TIMESTAMP) {
    const m = log.maxTimestampAndOffset();
    if (m.offset >= 0 && m.offset < upper) {
      const exact = await recordAtTimestamp(partition, m.offset, m.timestamp, upper, true);
      offset = exact?.offset ?? m.offset;
      timestamp = exact?.timestamp ?? m.timestamp;
    }
  } else if (target >= 0) {
    const lookup = lookupTimestamp(partition, target, upper);
    const exact = log.remoteTier ? await withTimeout(lookup, remoteTimeoutMs) : await lookup;
    if (exact === TIMED_OUT) return offsetLookupError(ErrorCode.REQUEST_TIMED_OUT);
    if (exact) {
      offset = exact.offset;
      timestamp = exact.timestamp;
    }
  } else {
    return offsetLookupError(ErrorCode.INVALID_REQUEST);
  }
  // Kafka answers "no such offset" (a timestamp after every record, max timestamp of an
  // empty log, nothing tiered) with leader epoch -1 too, which clients read as "no epoch".
  if (offset < 0) leaderEpoch = -1;
  return { errorCode: ErrorCode.NONE, offset, timestamp, leaderEpoch };
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
