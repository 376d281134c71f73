// One cleaning of one log (Kafka's Cleaner.doClean):
//   1. offset map: key -> latest offset over the dirty section [firstDirty, firstUncleanable),
//      stopping early at a segment boundary if the map fills up (endOffset = where it stopped);
//   2. every segment below endOffset — the clean prefix included, so tombstones there expire and
//      keys updated in the dirty section lose their old values — is grouped by size and each
//      group is rewritten into one `.cleaned` segment keeping only surviving records (batch-filter);
//   3. each group is swapped in with PartitionLog.replaceSegments (segment-swap.ts protocol).
// The active segment is never touched; offsets, the log start offset and the leader epoch cache
// are unchanged. Aborts (the log is closing, being deleted, or the broker stops) are checked
// between batches; an aborted group leaves the log exactly as it was.
import { utimes } from 'node:fs/promises';
import { OFF_MAX_TIMESTAMP, isControlBatch, readInt64, type BatchInfo } from '../../../protocol/records/batch-header.js';
import { decodeRecordBatch } from '../../../protocol/records/record-codec.js';
import { LogSegment } from '../log-segment.js';
import type { PartitionLog } from '../partition-log.js';
import { writevFully } from '../write-queue.js';
import { filterBatch, rebuildBatch, type FilterContext, type TransactionFilter } from './batch-filter.js';
import { canJoinGroup, segmentsBetween, type GroupLimits } from './cleanable.js';
import { OffsetMap } from './offset-map.js';
import { segmentBatches } from './segment-batches.js';
import { CLEANED_SUFFIX, deleteCleanedFiles, pointSegmentAt, renameCleanedToSwap, renameSwapToFinal } from './segment-swap.js';

/** The last batch a producer wrote (Kafka keeps it, possibly emptied, while the producer is active). */
export interface ProducerLastBatch {
  lastOffset: number;
  /** Max timestamp of that batch: the producer expires producer.id.expiration.ms after it. */
  lastTimestamp: number;
}

export interface CleanerConfig {
  now: () => number;
  /** Offset map capacity in keys (Kafka sizes it from log.cleaner.dedupe.buffer.size). */
  offsetMapEntries: number;
  /** Read/write chunk (log.cleaner.io.buffer.size). */
  ioChunkBytes: number;
  /** producer.id.expiration.ms: emptied batches of producers idle longer than this are dropped. */
  producerIdExpirationMs: number;
  /** Hook for transactions (see batch-filter.ts). */
  transactions: (log: PartitionLog) => TransactionFilter;
  /**
   * Hook for a producer state manager: last batch per producer id. Default: a header scan of the
   * whole log, done only when a batch with a producer id loses all its records.
   */
  activeProducers?: (log: PartitionLog) => Promise<Map<number, ProducerLastBatch>>;
}

export interface CleanStats {
  /** Offset up to which the log is now clean (the new checkpoint). */
  endOffset: number;
  groups: number;
  segmentsBefore: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
  /** Earliest delete horizon of a tombstone still in the cleaned part, null if none. */
  earliestDeleteHorizon: number | null;
}

/** The log changed or is going away: the pass stops, nothing half-done stays behind. */
export class CleanerAbortedError extends Error {
  constructor(reason: string) {
    super(`log cleaning aborted: ${reason}`);
    this.name = 'CleanerAbortedError';
  }
}

export class Cleaner {
  constructor(private readonly cfg: CleanerConfig) {}

  async clean(log: PartitionLog, firstDirty: number, firstUncleanable: number, shouldAbort: () => boolean): Promise<CleanStats> {
    const now = this.cfg.now();
    const segs = log.segmentList();
    const nextBase = nextBaseOf(segs, log);
    const transactions = this.cfg.transactions(log);
    const map = new OffsetMap(this.cfg.offsetMapEntries);
    const endOffset = await this.buildOffsetMap(segs, firstDirty, firstUncleanable, map, transactions, shouldAbort);
    map.latestOffset = endOffset - 1;

    const toClean = segs.slice(0, -1).filter((s) => nextBase(s) <= endOffset);
    const stats: CleanStats = {
      endOffset,
      groups: 0,
      segmentsBefore: toClean.length,
      bytesRead: 0,
      bytesWritten: 0,
      recordsRead: 0,
      recordsKept: 0,
      earliestDeleteHorizon: null,
    };
    if (toClean.length === 0) return stats;
    const cfg = log.config;
    const ctx: FilterContext = { map, now, deleteRetentionMs: cfg.deleteRetentionMs, transactions };
    let producers: Promise<Map<number, ProducerLastBatch>> | null = null;
    const keepEmpty = async (b: BatchInfo): Promise<boolean> => {
      if (b.producerId < 0) return false;
      producers ??= (this.cfg.activeProducers ?? ((l) => scanProducers(l, this.cfg.ioChunkBytes)))(log);
      const p = (await producers).get(b.producerId);
      return p !== undefined && p.lastOffset === b.baseOffset + b.lastOffsetDelta && p.lastTimestamp > now - this.cfg.producerIdExpirationMs;
    };
    const limits: GroupLimits = { maxSize: cfg.segmentBytes, maxIndexSize: cfg.segmentIndexBytes, indexIntervalBytes: cfg.indexIntervalBytes };
    for (let i = 0; i < toClean.length; ) {
      const used = await this.cleanGroup(log, toClean, i, nextBase, limits, ctx, keepEmpty, stats, shouldAbort);
      if (used === 0) throw new CleanerAbortedError('the segments changed while they were cleaned');
      stats.groups++;
      i += used;
    }
    return stats;
  }

  /** Fills `map` from the dirty section; returns the offset it covers up to (a segment boundary). */
  private async buildOffsetMap(
    segs: readonly LogSegment[],
    firstDirty: number,
    firstUncleanable: number,
    map: OffsetMap,
    transactions: TransactionFilter,
    shouldAbort: () => boolean,
  ): Promise<number> {
    const nextBase = (i: number) => segs[i + 1]!.baseOffset;
    const dirty = segmentsBetween(segs.slice(0, -1), firstDirty, firstUncleanable);
    let end = firstDirty;
    for (let i = 0; i < dirty.length; i++) {
      const seg = dirty[i]!;
      const force = i === 0; // the first dirty segment is always taken whole, whatever the map size
      let full = false;
      seg.acquire();
      try {
        for await (const { buf, info } of segmentBatches(seg, this.cfg.ioChunkBytes)) {
          if (shouldAbort()) throw new CleanerAbortedError('log closing');
          if (info.baseOffset + info.lastOffsetDelta < firstDirty) continue;
          // Markers are not keyed data; aborted transactional data must not shadow committed values.
          if (isControlBatch(info.attributes) || transactions.isAborted(info)) continue;
          for (const r of decodeRecordBatch(buf, info.position).records) {
            if (r.key === null || r.offset < firstDirty) continue;
            if (!map.put(r.key, r.offset, force)) {
              full = true;
              break;
            }
          }
          if (full) break;
        }
      } finally {
        seg.release();
      }
      // Entries of a partly read segment may stay: they point past endOffset and only ever mark
      // older records as superseded, which they are.
      if (full) break;
      end = nextBase(segs.indexOf(seg));
    }
    return Math.max(end, firstDirty);
  }

  /**
   * Writes the survivors of segs[start] — and of the following segments while they fit (see
   * canJoinGroup) — to one `.cleaned` segment and swaps it in. Returns how many segments it
   * replaced, 0 if the log changed meanwhile (nothing is swapped then).
   */
  private async cleanGroup(
    log: PartitionLog,
    segs: readonly LogSegment[],
    start: number,
    nextBase: (seg: LogSegment) => number,
    limits: GroupLimits,
    ctx: FilterContext,
    keepEmpty: (b: BatchInfo) => Promise<boolean>,
    stats: CleanStats,
    shouldAbort: () => boolean,
  ): Promise<number> {
    const base = segs[start]!.baseOffset;
    const group: LogSegment[] = [];
    const interval = log.config.indexIntervalBytes;
    const chunk = this.cfg.ioChunkBytes;
    await deleteCleanedFiles(log.dir, base);
    const fresh = LogSegment.createNew(log.dir, base, ctx.now);
    pointSegmentAt(fresh, CLEANED_SUFFIX);
    let swapped = false;
    try {
      const fh = await fresh.handle();
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let pos = 0;
      const writePending = async () => {
        if (pendingBytes === 0) return;
        await writevFully(fh, pending, pos - pendingBytes);
        pending = [];
        pendingBytes = 0;
      };
      for (let j = start; j < segs.length; j++) {
        const seg = segs[j]!;
        if (j > start && !canJoinGroup(base, pos, Math.max(fresh.timeIndex.entries, fresh.offsetIndex.entries), seg, nextBase(seg), limits)) break;
        group.push(seg);
        seg.acquire();
        try {
          for await (const { buf, info } of segmentBatches(seg, chunk)) {
            if (shouldAbort()) throw new CleanerAbortedError('log closing');
            stats.bytesRead += info.size;
            const out = filterBatch(buf, info, ctx);
            stats.recordsRead += out.recordsIn;
            stats.recordsKept += out.recordsOut;
            let bytes: Buffer | null = null;
            const d = out.decision;
            if (d.kind === 'keep') bytes = buf.subarray(info.position, info.position + info.size);
            else if (d.kind === 'rewrite') bytes = d.bytes;
            // Kafka's RETAIN_EMPTY: the producer's last batch keeps its header (offsets, epoch,
            // sequence) so that idempotence still works after its records are gone.
            else if (d.kind === 'emptied' && (await keepEmpty(info))) bytes = rebuildBatch(d.batch, [], null);
            if (bytes === null) continue;
            if (out.horizon !== null && (stats.earliestDeleteHorizon === null || out.horizon < stats.earliestDeleteHorizon)) {
              stats.earliestDeleteHorizon = out.horizon;
            }
            fresh.indexBatch(info.baseOffset, info.baseOffset + info.lastOffsetDelta, pos, bytes.length, readInt64(bytes, OFF_MAX_TIMESTAMP), interval);
            pending.push(bytes);
            pendingBytes += bytes.length;
            pos += bytes.length;
            if (pendingBytes >= chunk) await writePending();
          }
        } finally {
          seg.release();
        }
      }
      await writePending();
      stats.bytesWritten += pos;
      fresh.writtenSize = fresh.size;
      fresh.nextOffset = nextBase(group[group.length - 1]!); // as the loader sets it: the next segment's base
      fresh.onBecomeInactive();
      await fresh.flush();
      // Like Kafka, the cleaned segment carries the replaced segments' last modification time.
      const modified = Math.max(...group.map((s) => s.lastModified));
      fresh.lastModified = modified;
      await utimes(fresh.logPath, modified / 1000, modified / 1000);
      if (shouldAbort()) throw new CleanerAbortedError('log closing');
      swapped = await log.replaceSegments(group, fresh, {
        toSwap: () => renameCleanedToSwap(fresh),
        toFinal: () => renameSwapToFinal(fresh),
      });
      return swapped ? group.length : 0;
    } finally {
      if (!swapped) {
        await fresh.close(false).catch(() => {});
        await deleteCleanedFiles(log.dir, base).catch(() => {});
      }
    }
  }
}

/** Base offset of the segment after `seg` (the log end for the last one). */
function nextBaseOf(segs: readonly LogSegment[], log: PartitionLog): (seg: LogSegment) => number {
  const idx = new Map(segs.map((s, i) => [s, i]));
  return (seg) => {
    const i = idx.get(seg)!;
    return i + 1 < segs.length ? segs[i + 1]!.baseOffset : log.logEndOffset;
  };
}

/** Default producer bookkeeping: the last batch of every producer id in the log (headers only). */
export async function scanProducers(log: PartitionLog, chunk: number): Promise<Map<number, ProducerLastBatch>> {
  const out = new Map<number, ProducerLastBatch>();
  for (const seg of log.segmentList()) {
    seg.acquire();
    try {
      for await (const { info } of segmentBatches(seg, chunk)) {
        if (info.producerId >= 0) out.set(info.producerId, { lastOffset: info.baseOffset + info.lastOffsetDelta, lastTimestamp: info.maxTimestamp });
      }
    } catch (e) {
      if (!seg.deleted) throw e; // swapped out or expired meanwhile: its replacement is in the list
    } finally {
      seg.release();
    }
  }
  return out;
}
