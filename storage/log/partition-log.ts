// The log of one partition (Kafka's UnifiedLog + LocalLog): an ordered list of segments, the last
// one active. Offsets are assigned synchronously in append(); bytes reach the file through the
// per-partition WriteQueue; the high watermark follows the written end (single replica) or is set
// by replication. Reads are bounded by min(maxOffset, written end) so they never see bytes still
// in flight.
//
//   logStartOffset ≤ highWatermark ≤ writtenEndOffset ≤ logEndOffset
//   [seg 0][seg 100][seg 250 (active)]          recoveryPoint: everything below it is fsynced
//
// The segment list is replaced (never mutated in place) so a read iterating a snapshot stays valid.
import { mkdirSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  ATTR_TIMESTAMP_TYPE,
  OFF_ATTRIBUTES,
  OFF_CRC,
  OFF_MAX_TIMESTAMP,
  assignBaseOffset,
  computeBatchCrc,
  writeInt64,
  type BatchInfo,
} from '../../protocol/records/batch-header.js';
import { readPartitionMetadata, writePartitionMetadata } from './checkpoint-file.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { hasDeletePolicy, localRetentionLimit, randomSegmentJitter, type LogConfig } from './log-config.js';
import { LEADER_EPOCH_FILE, PARTITION_METADATA_FILE, deleteDirName, fsyncDir, isDiskFullError, removeDir } from './log-files.js';
import { loadLog } from './log-loader.js';
import { LogSegment } from './log-segment.js';
import { SILENT_LOGGER, type StorageLogger } from './logger.js';
import { LogError, type AppendError, type AppendResult, type PartitionLogOptions, type ReadResult, type SegmentInfo } from './log-types.js';
import { findOffsetForTimestamp, floorSegment, maxTimestampOf, readSegment } from './log-read.js';
import { SegmentCorruptError } from './segment-read.js';
import { countDeletable } from './log-retention.js';
import { WriteQueue } from './write-queue.js';
import { leaseOf } from '../../protocol/wire/buffer-pool.js';
import { PartitionTail, sharedTailCache } from './tail-cache.js';
import { ProducerStateManager } from './producer-state/producer-state-manager.js';

const INT32_MAX = 0x7fffffff;
const EMPTY = Buffer.alloc(0);
const RESOLVED = Promise.resolve();

export type { AppendError, AppendResult, ReadResult, SegmentInfo, PartitionLogOptions } from './log-types.js';
export { LogError } from './log-types.js';

/**
 * Tiered storage's side of a log (set by storage/tier; null for local-only logs). Consulted only off
 * the local hot path: reads below the local log start, timestamp lookups and retention.
 */
export interface RemoteLogTier {
  /** First offset readable from the object store, or -1 when it holds nothing. */
  remoteLogStartOffset(): number;
  /** Exclusive end of the prefix whose copy is recorded in the store (-1: none). Local retention stays below it. */
  copiedEndOffset(): number;
  /** A read with fetchOffset below the local log start. */
  read(fetchOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean): Promise<ReadResult>;
  /** Timestamp lookup in remote segments below `localLogStartOffset`; null sends it to the local log. */
  offsetForTimestamp(timestamp: number, localLogStartOffset: number): Promise<{ offset: number; timestamp: number } | null>;
  maxTimestampAndOffset(): { timestamp: number; offset: number };
  /** DeleteRecords below the local log start moves the remote log start. */
  advanceLogStartOffset(offset: number): void;
}

export class PartitionLog {
  topicId: string;
  config: LogConfig;
  onHighWatermark?: (hw: number) => void;
  /** Called once when a write or flush fails (the LogManager marks the log dir offline). */
  onFailure?: (err: unknown) => void;
  /** Called when a write failed for lack of space (the LogManager makes the whole dir read-only). */
  onDiskFull?: (err: unknown) => void;
  /** Tiered storage (storage/tier attaches it). */
  remoteTier: RemoteLogTier | null = null;
  /** Idempotence and transactions: producer epochs/sequences, open transactions, aborted index. */
  readonly producers: ProducerStateManager;
  readonly autoAdvanceHighWatermark: boolean;

  private segments: LogSegment[];
  private lso: number;
  private leo: number;
  private writtenEnd: number;
  private hw: number;
  private recoveryPt: number;
  private unflushedRecords = 0;
  private lastFlush = Date.now();
  private dirDirty = false;
  private flushChain: Promise<void> = RESOLVED;
  private deletionChain: Promise<unknown> = RESOLVED;
  private readonly queue: WriteQueue;
  private readonly pendingDeletes = new Map<LogSegment, NodeJS.Timeout | null>();
  /** Segment destroys started by the delay timer and not finished yet (close() waits for them). */
  private readonly destroying = new Set<Promise<void>>();
  /** Segments the log cleaner swapped out: a read that raced with the swap retries on the new list. */
  private readonly replaced = new WeakSet<LogSegment>();
  private closed = false;
  private truncating = false;
  private failure: unknown = null;
  /**
   * Read-only while its dir is full: appends answer KAFKA_STORAGE_ERROR at once, reads go on.
   * `rollback` cuts the log back to its last successful write after this log's own write failed.
   */
  private writeBlock: { reason: string; rollback: Promise<void> | null } | null = null;
  /** Segment positions whose damage was already logged (see reportCorruption). */
  private readonly reportedCorruption = new Set<string>();
  private readonly logger: StorageLogger;
  /** Recent appends kept in memory for reads that keep up (tail-cache.ts); null when disabled. */
  private readonly tail: PartitionTail | null;
  /** Background removal of the directory after delete(). */
  removal: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    readonly topic: string,
    readonly partition: number,
    config: LogConfig,
    topicId: string,
    private readonly epochs: LeaderEpochCache,
    loaded: { segments: LogSegment[]; logStartOffset: number; logEndOffset: number; recoveryPoint: number },
    opts: PartitionLogOptions,
  ) {
    this.config = config;
    this.topicId = topicId;
    this.logger = opts.logger ?? SILENT_LOGGER;
    this.producers = new ProducerStateManager(dir, this.logger);
    this.segments = loaded.segments;
    this.lso = loaded.logStartOffset;
    this.leo = this.writtenEnd = loaded.logEndOffset;
    this.recoveryPt = loaded.recoveryPoint;
    this.autoAdvanceHighWatermark = opts.autoAdvanceHighWatermark ?? true;
    const tailBudget = opts.tailCache === undefined ? sharedTailCache() : opts.tailCache;
    this.tail = tailBudget && tailBudget.maxBytes > 0 ? new PartitionTail(tailBudget, { live: (seg) => !seg.deleted && !this.replaced.has(seg) }) : null;
    this.hw = this.autoAdvanceHighWatermark
      ? this.leo
      : Math.min(Math.max(opts.highWatermark ?? this.lso, this.lso), this.leo);
    this.queue = new WriteQueue({
      written: (seg, endPos, endOffset) => {
        seg.writtenSize = endPos;
        seg.lastModified = Date.now();
        this.writtenEnd = endOffset;
      },
      rolled: (seg) => {
        // Kafka flushes the rolled segment asynchronously; the recovery point follows.
        this.flushTo(seg.nextOffset).catch((e) => this.fail(e));
      },
      // Without a flush nothing is awaited: the group resolves in the same microtask (write-queue.ts).
      groupDone: (flush) => {
        if (flush) {
          return this.flushTo(this.writtenEnd).then(() => {
            if (this.autoAdvanceHighWatermark) this.advanceHighWatermark(this.writtenEnd);
          });
        }
        if (this.autoAdvanceHighWatermark) this.advanceHighWatermark(this.writtenEnd);
      },
      failed: (e) => this.fail(e),
    });
  }

  static async open(dir: string, topic: string, partition: number, config: LogConfig, opts: PartitionLogOptions): Promise<PartitionLog> {
    const sync = opts.startupSync === true;
    if (sync) mkdirSync(dir, { recursive: true });
    else await mkdir(dir, { recursive: true });
    const logger = opts.logger ?? SILENT_LOGGER;
    const metaPath = join(dir, PARTITION_METADATA_FILE);
    const meta = await readPartitionMetadata(metaPath, sync);
    let topicId = meta?.topicId ?? '';
    if (opts.topicId) {
      if (meta && meta.topicId !== opts.topicId) {
        throw new LogError('INCONSISTENT_TOPIC_ID', `${dir} belongs to topic id ${meta.topicId}, not ${opts.topicId}`);
      }
      if (!meta) await writePartitionMetadata(metaPath, opts.topicId);
      topicId = opts.topicId;
    }
    const epochs = await LeaderEpochCache.load(join(dir, LEADER_EPOCH_FILE), sync);
    const loaded = await loadLog(dir, config, opts, epochs, logger);
    if (loaded.truncatedBytes > 0) logger.warn('recovered log', { dir, logEndOffset: loaded.logEndOffset, truncatedBytes: loaded.truncatedBytes });
    const log = new PartitionLog(dir, topic, partition, config, topicId, epochs, loaded, opts);
    await log.producers.store.load(log, sync ? { names: loaded.names } : undefined);
    return log;
  }

  // ---- state ---------------------------------------------------------------------------------

  /** Kafka's logStartOffset: includes data in remote storage (== the local start without it). */
  get logStartOffset(): number {
    const r = this.remoteTier ? this.remoteTier.remoteLogStartOffset() : -1;
    return r >= 0 && r < this.lso ? r : this.lso;
  }
  /** Kafka's localLogStartOffset: the first offset in a local segment. */
  get localLogStartOffset(): number {
    return this.lso;
  }
  get logEndOffset(): number {
    return this.leo;
  }
  get highWatermark(): number {
    return this.hw;
  }
  /** read_committed bound: the first offset of the oldest open transaction, capped by the HW. */
  get lastStableOffset(): number {
    const first = this.producers.firstUnstableOffset();
    return first >= 0 && first < this.hw ? Math.max(first, this.lso) : this.hw;
  }
  /** Everything below this offset is fsynced. */
  get recoveryPoint(): number {
    return this.recoveryPt;
  }
  /** Offset below which all bytes are in the OS. */
  get writtenEndOffset(): number {
    return this.writtenEnd;
  }
  get failed(): boolean {
    return this.failure !== null;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
  }

  /** Replication sets the HW (clamped to [logStartOffset, logEndOffset]); never moves it backwards. */
  setHighWatermark(hw: number): void {
    this.advanceHighWatermark(Math.min(Math.max(hw, this.lso), this.leo));
  }

  private advanceHighWatermark(hw: number): void {
    if (hw <= this.hw) return;
    this.hw = hw;
    try {
      this.onHighWatermark?.(hw);
    } catch (e) {
      this.logger.error('onHighWatermark listener threw', { topic: this.topic, partition: this.partition, err: String(e) });
    }
  }

  /** Writes are refused (disk full) until resumeWrites(); reads still work. */
  get writesBlocked(): boolean {
    return this.writeBlock !== null;
  }

  /**
   * A failed write or flush. Out of space only makes the log read-only (see diskFull) unless
   * `readOnlyWillDo` is false: a half-done cleaner swap must take the log offline whatever the cause.
   */
  private fail(e: unknown, readOnlyWillDo = true): void {
    if (this.failure) return;
    if (readOnlyWillDo && isDiskFullError(e) && !this.closed) {
      this.diskFull(e);
      return;
    }
    this.failure = e ?? new Error('storage failure');
    this.logger.error('log I/O failed; partition offline', { dir: this.dir, err: String(e) });
    try {
      this.onFailure?.(e);
    } catch {
      // The listener's problem; the log is already failed.
    }
  }

  // ---- disk full ---------------------------------------------------------------------------
  //
  //   writable ──write fails ENOSPC──▶ blocked + rollback ──resumeWrites() (space is back)──▶ writable
  //   writable ──blockWrites() (a sibling log hit ENOSPC)──▶ blocked ──resumeWrites()──▶ writable
  //
  // Unlike other I/O errors (Kafka takes the dir offline), a full disk keeps every acknowledged
  // batch readable: the log is cut back to the end of its last successful write group (offsets
  // handed out to batches whose producers get an error are taken back, a torn partial write is
  // truncated away, producer state is rebuilt so a refused batch is not taken for a duplicate on
  // retry) and only appends are refused.

  /** Refuses appends (KAFKA_STORAGE_ERROR) until resumeWrites(): the dir is short of space. */
  blockWrites(reason: string): void {
    if (this.writeBlock || this.failure || this.closed) return;
    this.writeBlock = { reason, rollback: null };
  }

  private diskFull(e: unknown): void {
    const first = this.writeBlock === null;
    this.writeBlock ??= { reason: String(e), rollback: null };
    if (this.writeBlock.rollback === null) {
      this.writeBlock.rollback = this.serializeSegmentOp(() => this.rollbackUnwritten()).catch((err) => {
        this.writeBlock = null;
        this.fail(new Error(`could not cut the log back after a full disk: ${String(err)}`));
      });
    }
    if (first) this.logger.warn('log dir full: partition read-only until space is freed', { dir: this.dir, err: String(e) });
    try {
      this.onDiskFull?.(e);
    } catch {
      // The listener's problem.
    }
  }

  /** Everything past the last successful write group is forgotten; see the diagram above. */
  private async rollbackUnwritten(): Promise<void> {
    this.tail?.clear();
    await this.queue.whenIdle(); // groups queued behind the failed one have been rejected
    // Back to the end of the last write group that succeeded (the HW when it follows the written
    // end): a group answered with an error leaves nothing behind, so a retry cannot duplicate it.
    const end = this.autoAdvanceHighWatermark ? Math.min(this.hw, this.writtenEnd) : this.writtenEnd;
    this.writtenEnd = end;
    const keep = this.segments.filter((s, i) => i === 0 || s.baseOffset < end);
    const drop = this.segments.slice(keep.length);
    this.segments = keep;
    for (const s of drop) await s.destroy(); // never written to: frees their (empty) files
    await this.active.discardUnwritten(end);
    this.leo = end;
    if (this.recoveryPt > end) this.recoveryPt = end;
    this.epochs.truncateFromEnd(end);
    await this.producers.store.rebuild(this);
    this.queue.clearFailure();
    this.logger.info('log cut back to its written end after a full disk', { dir: this.dir, logEndOffset: end });
  }

  /** Resolves once the cut-back after this log's failed write (if one is under way) is done. */
  async whenCutBack(): Promise<void> {
    await this.writeBlock?.rollback;
  }

  /** Accepts appends again (space is back). False when the log failed meanwhile. */
  async resumeWrites(): Promise<boolean> {
    const block = this.writeBlock;
    if (!block) return !this.failure;
    if (block.rollback) await block.rollback;
    if (this.failure || this.writeBlock !== block) return !this.failure && this.writeBlock === null;
    this.writeBlock = null;
    this.logger.info('writes resumed', { dir: this.dir });
    return true;
  }

  // ---- append (hot path) ---------------------------------------------------------------------

  /**
   * Assigns offsets to `batches` (validated v2 batches inside `records`), writes baseOffset and
   * partitionLeaderEpoch in place (plus maxTimestamp, attributes and CRC for LogAppendTime) and
   * queues the bytes. Synchronous up to the queueing: no await between assigning and mutating.
   * The caller must not reuse `records` until `written` settles.
   */
  append(records: Buffer, batches: BatchInfo[], leaderEpoch: number, now: number = Date.now()): AppendResult {
    return this.appendBatches(records, batches, leaderEpoch, now, false);
  }

  /**
   * Replication (follower side): appends batches that already carry their offsets and leader
   * epochs (as the leader wrote them); nothing is rewritten. The first batch must start at or
   * after the log end, else the result has error OFFSET_OUT_OF_ORDER.
   */
  appendAsFollower(records: Buffer, batches: BatchInfo[], now: number = Date.now()): AppendResult {
    return this.appendBatches(records, batches, -1, now, true);
  }

  private appendBatches(records: Buffer, batches: BatchInfo[], leaderEpoch: number, now: number, follower: boolean): AppendResult {
    if (this.truncating) throw new Error('append during truncateTo: the caller must serialize them');
    if (this.failure || this.closed || this.writeBlock) return this.appendError('KAFKA_STORAGE_ERROR');
    const cfg = this.config;
    const logAppendTime = !follower && cfg.messageTimestampType === 'LogAppendTime';
    let bytes = 0;
    let offsets = 0;
    let maxTs = -1;
    let recordCount = 0;
    let expectNext = this.leo;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      if (follower) {
        if (b.baseOffset < expectNext) return this.appendError('OFFSET_OUT_OF_ORDER');
        expectNext = b.baseOffset + b.lastOffsetDelta + 1;
      }
      bytes += b.size;
      offsets += b.lastOffsetDelta + 1;
      recordCount += b.recordsCount;
      const ts = logAppendTime ? now : b.maxTimestamp;
      if (ts > maxTs) maxTs = ts;
    }
    if (bytes > cfg.segmentBytes) return this.appendError('RECORD_BATCH_TOO_LARGE');
    if (batches.length === 0) {
      return { baseOffset: this.leo, lastOffset: this.leo - 1, logAppendTime: -1, logStartOffset: this.lso, written: RESOLVED };
    }
    const first = batches[0]!;
    const last = batches[batches.length - 1]!;
    const baseOffset = follower ? first.baseOffset : this.leo;
    const lastOffset = follower ? last.baseOffset + last.lastOffsetDelta : baseOffset + offsets - 1;
    this.maybeRollFor(bytes, maxTs, lastOffset, batches.length, now);

    const seg = this.active;
    if (seg.size === 0) {
      seg.rollingBasedTimestamp = logAppendTime ? now : first.maxTimestamp;
      seg.created = now;
    }
    const interval = cfg.indexIntervalBytes;
    let offset = baseOffset;
    let pos = seg.size;
    const startPos = pos;
    let runStart = first.position;
    let runEnd = runStart;
    let written: Promise<void> = RESOLVED;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      const p = b.position;
      let ts = b.maxTimestamp;
      if (follower) {
        offset = b.baseOffset;
        if (b.partitionLeaderEpoch > this.epochs.latestEpoch()) this.epochs.assign(b.partitionLeaderEpoch, offset);
      } else {
        assignBaseOffset(records, p, offset, leaderEpoch);
        if (logAppendTime) {
          // maxTimestamp and attributes are covered by the CRC: recompute it (Kafka does too).
          writeInt64(records, p + OFF_MAX_TIMESTAMP, now);
          records.writeInt16BE(records.readInt16BE(p + OFF_ATTRIBUTES) | ATTR_TIMESTAMP_TYPE, p + OFF_ATTRIBUTES);
          records.writeUInt32BE(computeBatchCrc(records, p, b.size), p + OFF_CRC);
          ts = now;
        }
      }
      const batchLast = offset + b.lastOffsetDelta;
      seg.indexBatch(offset, batchLast, pos, b.size, ts, interval);
      if (p !== runEnd) {
        // Batches are normally contiguous in `records`; queue each contiguous run.
        written = this.queue.enqueueData(seg, records.subarray(runStart, runEnd), pos - (runEnd - runStart), offset);
        runStart = p;
      }
      runEnd = p + b.size;
      pos += b.size;
      offset = batchLast + 1;
    }
    // The whole request's records (the usual case) are queued as they are: a view is ~200 bytes of heap per request.
    const run = runStart === 0 && runEnd === records.length ? records : records.subarray(runStart, runEnd);
    written = this.queue.enqueueData(seg, run, pos - (runEnd - runStart), offset);
    // A pooled request frame (protocol/wire/buffer-pool.ts) is not reused before its bytes are in
    // the file, whatever the connection does meanwhile (acks=0 answers before the write).
    this.tail?.add(seg, startPos, records, batches, baseOffset, follower);
    const lease = leaseOf(records);
    if (lease !== undefined) {
      lease.retain();
      written.then(
        () => lease.release(),
        () => lease.release(),
      );
    }
    this.leo = offset;
    if (!follower && leaderEpoch >= 0 && leaderEpoch > this.epochs.latestEpoch()) this.epochs.assign(leaderEpoch, baseOffset);
    this.unflushedRecords += recordCount;
    if (this.unflushedRecords >= cfg.flushMessages) {
      this.unflushedRecords = 0;
      this.queue.requestFlush();
    }
    return { baseOffset, lastOffset: offset - 1, logAppendTime: logAppendTime ? now : -1, logStartOffset: this.lso, written };
  }

  private appendError(error: AppendError): AppendResult {
    const written = Promise.resolve();
    return { baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: this.lso, written, error };
  }

  /** Kafka's shouldRoll: size, segment.ms (relative to the first batch's timestamp), index space, offset range. */
  private maybeRollFor(bytes: number, maxTs: number, lastOffset: number, nBatches: number, now: number): void {
    const seg = this.active;
    if (seg.size === 0) return;
    const cfg = this.config;
    const waited = seg.rollingBasedTimestamp >= 0 ? maxTs - seg.rollingBasedTimestamp : now - seg.created;
    const newEntries = Math.min(nBatches, Math.floor(bytes / Math.max(1, cfg.indexIntervalBytes)) + 1);
    if (
      seg.size > cfg.segmentBytes - bytes ||
      waited > cfg.segmentMs - this.rollJitter(seg) ||
      seg.offsetIndex.wouldExceed(newEntries, cfg.segmentIndexBytes) ||
      seg.timeIndex.wouldExceed(newEntries, cfg.segmentIndexBytes) ||
      lastOffset - seg.baseOffset > INT32_MAX
    ) {
      this.roll(now);
    }
  }

  /** segment.ms check without an append (called by a timer); rolls only a non-empty segment. */
  maybeRoll(now: number): void {
    if (this.closed || this.failure || this.truncating || this.writeBlock) return;
    const seg = this.active;
    if (seg.size === 0) return;
    const waited = now - (seg.rollingBasedTimestamp >= 0 ? seg.rollingBasedTimestamp : seg.created);
    if (waited > this.config.segmentMs - this.rollJitter(seg)) this.roll(now);
  }

  /** segment.jitter.ms: drawn once per segment (Kafka draws it when the segment is created). */
  private rollJitter(seg: LogSegment): number {
    seg.rollJitterMs ??= randomSegmentJitter(this.config);
    return seg.rollJitterMs;
  }

  /** Starts a new active segment at the log end. Synchronous; the file is created in the background. */
  roll(now: number = Date.now()): LogSegment {
    const old = this.active;
    if (old.size === 0) return old;
    old.onBecomeInactive();
    const seg = LogSegment.createNew(this.dir, this.leo, now);
    seg.handle().catch(() => {}); // create the file early; the writer awaits the same promise
    this.segments = [...this.segments, seg];
    this.dirDirty = true;
    this.queue.markRolled(old);
    this.producers.store.takeSnapshot(this.leo);
    return seg;
  }

  // ---- reads -----------------------------------------------------------------------------------

  /**
   * Whole batches from the one containing fetchOffset, at most maxBytes (but at least one batch if
   * minOneMessage), none whose last offset >= maxOffset (HW or LSO). Stops at a segment end, as
   * Kafka does. fetchOffset outside [logStartOffset, logEndOffset] → OFFSET_OUT_OF_RANGE.
   */
  async read(fetchOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean): Promise<ReadResult> {
    const lso = this.lso;
    if (this.failure) return { records: EMPTY, highWatermark: this.hw, logStartOffset: lso, error: 'KAFKA_STORAGE_ERROR' };
    if (fetchOffset < lso || fetchOffset > this.leo) {
      if (fetchOffset < lso && this.remoteTier) return this.remoteTier.read(fetchOffset, maxBytes, maxOffset, minOneMessage);
      return { records: EMPTY, highWatermark: this.hw, logStartOffset: lso, error: 'OFFSET_OUT_OF_RANGE' };
    }
    const bound = Math.min(maxOffset, this.writtenEnd);
    // At the bound (a consumer that has read everything) there is nothing to read: no cache lookup,
    // so the cache's hit and miss counts are about reads that return records.
    if (this.tail !== null && fetchOffset < bound) {
      const hit = this.tail.read(fetchOffset, maxBytes, bound, minOneMessage);
      if (hit !== null) return { records: hit, highWatermark: this.hw, logStartOffset: lso };
    }
    let segs = this.segments;
    let i = floorSegment(segs, fetchOffset);
    let retries = 0;
    for (; i < segs.length; i++) {
      const seg = segs[i]!;
      if (fetchOffset >= bound || seg.baseOffset >= bound) break;
      seg.acquire();
      try {
        const r = await readSegment(seg, seg === this.active, fetchOffset, maxBytes, bound, minOneMessage, this.config.indexIntervalBytes, this.logger);
        if (r === 'io-error') {
          this.fail(new Error(`read failed in ${this.dir}`));
          return { records: EMPTY, highWatermark: this.hw, logStartOffset: this.lso, error: 'KAFKA_STORAGE_ERROR' };
        }
        if (r instanceof SegmentCorruptError) {
          this.reportCorruption(seg, r, fetchOffset);
          return { records: EMPTY, highWatermark: this.hw, logStartOffset: this.lso, error: 'CORRUPT_MESSAGE' };
        }
        if (r.found && r.records.length === 0 && this.replaced.has(seg) && retries++ < 3) {
          // The cleaner swapped this segment out (and maybe deleted it) under us: the same
          // offsets live in its replacement, so read again from the current segment list.
          segs = this.segments;
          i = floorSegment(segs, fetchOffset) - 1;
          continue;
        }
        if (r.found) return { records: r.records, highWatermark: this.hw, logStartOffset: this.lso };
      } finally {
        seg.release();
      }
    }
    return { records: EMPTY, highWatermark: this.hw, logStartOffset: this.lso };
  }

  /**
   * Logs damage met by a read once per segment position (every consumer retry meets it again).
   * The log stays online for appends and for reads elsewhere, as Kafka does for a corrupt record;
   * `tributary log check --repair` (storage/log/log-check.ts) cuts the log at the damage.
   */
  private reportCorruption(seg: LogSegment, err: SegmentCorruptError, fetchOffset: number): void {
    const key = `${seg.baseOffset}:${err.position}`;
    if (this.reportedCorruption.has(key)) return;
    if (this.reportedCorruption.size >= 1000) this.reportedCorruption.clear();
    this.reportedCorruption.add(key);
    this.logger.error('corrupt batch in log segment; fetches reaching it get CORRUPT_MESSAGE (stop the broker and run `tributary log check --repair`)', {
      topic: this.topic,
      partition: this.partition,
      segment: seg.logPath,
      position: err.position,
      offset: err.expectedOffset >= 0 ? err.expectedOffset : fetchOffset,
      fetchOffset,
      reason: err.reason,
    });
  }

  /**
   * ListOffsets by timestamp: the first batch whose max timestamp >= ts. We do not decode records,
   * so the offset is the batch's base offset (Kafka returns the first matching record's offset,
   * which is inside that batch) and the timestamp is the batch's max timestamp. The caller bounds
   * the answer by HW/LSO like Kafka does.
   */
  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    const segs = this.segments;
    const lso = this.lso;
    // Remote segments below the local start come first in offset order.
    const remote = this.remoteTier ? await this.remoteTier.offsetForTimestamp(timestamp, lso) : null;
    return remote ?? findOffsetForTimestamp(segs, timestamp, lso);
  }

  /** ListOffsets MAX_TIMESTAMP (-3): the largest timestamp and the base offset of its batch. */
  maxTimestampAndOffset(): { timestamp: number; offset: number } {
    const local = maxTimestampOf(this.segments);
    const remote = this.remoteTier?.maxTimestampAndOffset();
    return remote && remote.timestamp > local.timestamp ? remote : local;
  }

  // ---- leader epochs -----------------------------------------------------------------------------

  latestEpoch(): number {
    return this.epochs.latestEpoch();
  }

  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.epochs.endOffsetFor(epoch, this.leo);
  }

  epochEntries(): { epoch: number; startOffset: number }[] {
    return this.epochs.all();
  }

  // ---- retention & deletion ------------------------------------------------------------------------

  /** DeleteRecords: moves the log start (offset -1 = HW) and deletes segments wholly below it. */
  async deleteRecordsBefore(offset: number): Promise<number> {
    if (this.failure || this.closed) throw new LogError('KAFKA_STORAGE_ERROR', 'log is offline');
    const target = offset === -1 ? this.hw : offset;
    if (target < 0 || target > this.hw) throw new LogError('OFFSET_OUT_OF_RANGE', `offset ${offset} is beyond the high watermark ${this.hw}`);
    if (target > this.lso) {
      this.lso = target;
      this.epochs.truncateFromStart(target);
    }
    this.remoteTier?.advanceLogStartOffset(target);
    await this.deleteSegmentsWhile((_s, next) => next !== undefined && next.baseOffset <= this.lso);
    return this.logStartOffset;
  }

  /**
   * Kafka's deleteOldSegments: retention.ms by each segment's largest timestamp, retention.bytes
   * from the oldest, and segments below the log start. Only segments wholly below the HW go; the
   * active segment goes too when it has data and is entirely expired (a new one is rolled first).
   */
  async enforceRetention(now: number): Promise<{ deletedSegments: number }> {
    if (this.failure || this.closed || this.truncating) return { deletedSegments: 0 };
    const cfg = this.config;
    let deleted = 0;
    // A compact-only log keeps old segments (the cleaner shrinks them); 'compact,delete' does both.
    const byTimeAndSize = hasDeletePolicy(cfg);
    // Tiered (remote.storage.enable): local.retention.* bound the local copy, and a segment goes only
    // once its copy is recorded in the store; total retention is enforced on remote data by storage/tier.
    const tiered = cfg.remoteStorageEnable === true;
    const retentionMs = tiered ? localRetentionLimit(cfg.localRetentionMs, cfg.retentionMs) : cfg.retentionMs;
    const retentionBytes = tiered ? localRetentionLimit(cfg.localRetentionBytes, cfg.retentionBytes) : cfg.retentionBytes;
    // remote.log.copy.disable: nothing more will be copied, so segments expire by retention alone
    // (Kafka's remoteLogEnabledAndRemoteCopyEnabled); local.retention.* then equal retention.*.
    const waitForCopies = tiered && cfg.remoteLogCopyDisable !== true;
    const copiedEnd = waitForCopies ? (this.remoteTier?.copiedEndOffset() ?? -1) : Number.MAX_SAFE_INTEGER;
    const copied = (next: LogSegment | undefined) => !waitForCopies || (next !== undefined && next.baseOffset <= copiedEnd);
    if (byTimeAndSize && retentionMs >= 0) {
      deleted += await this.deleteSegmentsWhile((s, next) => copied(next) && now - s.largestTimestamp > retentionMs, now);
    }
    if (byTimeAndSize && retentionBytes >= 0) {
      let excess = this.size() - retentionBytes;
      if (excess > 0) {
        deleted += await this.deleteSegmentsWhile((s, next) => {
          if (!copied(next) || excess - s.size < 0) return false;
          excess -= s.size;
          return true;
        }, now);
      }
    }
    deleted += await this.deleteSegmentsWhile((_s, next) => next !== undefined && next.baseOffset <= this.lso, now);
    return { deletedSegments: deleted };
  }

  /** Deletions are serialized so that two passes never pick the same segments. */
  private deleteSegmentsWhile(pred: (seg: LogSegment, next: LogSegment | undefined) => boolean, now = Date.now()): Promise<number> {
    return this.serializeSegmentOp(() => this.deleteSegmentsNow(pred, now));
  }

  /** Segment-list surgery (retention deletes, cleaner swaps, truncation) runs one at a time. */
  private serializeSegmentOp<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.deletionChain.then(fn);
    this.deletionChain = run.catch(() => {});
    return run;
  }

  // ---- log cleaner hooks ----------------------------------------------------------------------------

  /** The current segments, oldest first, the last one active. A snapshot: the array is never mutated. */
  segmentList(): readonly LogSegment[] {
    return this.segments;
  }

  /**
   * Kafka's LocalLog.replaceSegments, for the log cleaner: replaces `old` (consecutive rolled
   * segments, still current) by `fresh`, whose files the cleaner wrote under `.cleaned` names.
   * Serialized with retention deletes and truncation; returns false, changing nothing, when `old`
   * is no longer a current run of rolled segments (retention or truncation got there first).
   *   1. files.toSwap():  *.cleaned -> *.swap    from here a crash completes the swap at load
   *   2. old segments -> *.deleted (readers keep their handles)
   *   3. files.toFinal(): *.swap -> final names
   *   4. the in-memory list switches to `fresh`; the old segments are removed after
   *      file.delete.delay.ms; a read that still hits one of them retries (see read()).
   * An I/O error in 1-3 takes the log offline; the next load finishes or discards the swap.
   */
  replaceSegments(old: readonly LogSegment[], fresh: LogSegment, files: { toSwap(): Promise<void>; toFinal(): Promise<void> }): Promise<boolean> {
    return this.serializeSegmentOp(async () => {
      if (this.closed || this.failure || this.truncating || old.length === 0) return false;
      const at = this.segments.indexOf(old[0]!);
      const stillCurrent = at >= 0 && at + old.length < this.segments.length && old.every((s, j) => this.segments[at + j] === s && !s.deleted);
      if (!stillCurrent) return false;
      try {
        await files.toSwap();
        for (const s of old) await s.markDeleted();
        await files.toFinal();
        await fsyncDir(this.dir);
      } catch (e) {
        this.fail(e, false); // the files are half swapped: only the next load sorts them out
        throw e;
      }
      const cur = this.segments;
      const k = cur.indexOf(old[0]!);
      this.segments = [...cur.slice(0, k), fresh, ...cur.slice(k + old.length)];
      for (const s of old) {
        this.replaced.add(s);
        this.scheduleDestroy(s);
      }
      return true;
    });
  }

  private async deleteSegmentsNow(pred: (seg: LogSegment, next: LogSegment | undefined) => boolean, now: number): Promise<number> {
    if (this.closed || this.truncating) return 0;
    const segs = this.segments;
    const n = countDeletable(segs, this.hw, this.leo, pred);
    if (n === 0) return 0;
    const doomed = segs.slice(0, n);
    if (n === segs.length) {
      // Always keep one segment: roll a new active one first and make sure its file exists.
      const fresh = this.roll(now);
      await fresh.handle();
    }
    this.segments = this.segments.filter((s) => !doomed.includes(s));
    const newStart = this.segments[0]!.baseOffset;
    if (newStart > this.lso) {
      this.lso = newStart;
      this.epochs.truncateFromStart(newStart);
    }
    for (const s of doomed) await this.scheduleDelete(s);
    this.logger.info('deleted segments', { dir: this.dir, count: n, logStartOffset: this.lso });
    return n;
  }

  /** Kafka's asyncDeleteSegment: rename to *.deleted now, close and unlink after file.delete.delay.ms. */
  private async scheduleDelete(seg: LogSegment): Promise<void> {
    await seg.markDeleted();
    this.scheduleDestroy(seg);
  }

  private scheduleDestroy(seg: LogSegment): void {
    const timer = setTimeout(() => {
      this.pendingDeletes.delete(seg);
      // Tracked until done: close() waits for it, so nothing touches the dir after the log closed.
      const d = seg.destroy().catch((e) => this.logger.warn('segment delete failed', { path: seg.logPath, err: String(e) }));
      this.destroying.add(d);
      void d.finally(() => this.destroying.delete(d));
    }, this.config.fileDeleteDelayMs);
    timer.unref();
    this.pendingDeletes.set(seg, timer);
  }

  // ---- durability ------------------------------------------------------------------------------------

  /** fsync everything appended so far (waits for queued writes). */
  async flush(): Promise<void> {
    await this.queue.whenIdle();
    await this.flushTo(this.writtenEnd);
  }

  /** flush.ms: called by the LogManager's scheduler. */
  async maybeFlush(now: number): Promise<void> {
    if (this.failure || this.closed) return;
    if (now - this.lastFlush >= this.config.flushMs && this.writtenEnd > this.recoveryPt) await this.flushTo(this.writtenEnd);
  }

  /** fsyncs segments holding offsets in [recoveryPoint, target) and moves the recovery point. Serialized. */
  private flushTo(target: number): Promise<void> {
    const run = this.flushChain.then(async () => {
      const upTo = Math.min(target, this.writtenEnd);
      if (upTo <= this.recoveryPt && !this.dirDirty) return;
      for (const seg of this.segments) {
        if (seg.baseOffset < upTo && seg.nextOffset > this.recoveryPt) await seg.flush();
      }
      if (this.dirDirty) {
        this.dirDirty = false;
        await fsyncDir(this.dir);
      }
      if (upTo > this.recoveryPt) this.recoveryPt = upTo;
      this.lastFlush = Date.now();
    });
    this.flushChain = run.catch(() => {});
    return run;
  }

  // ---- truncation (replication / recovery) ---------------------------------------------------------

  /**
   * Removes every batch at or above `offset` (the whole batch containing it). The caller must not
   * append concurrently (a follower's fetcher serializes the two).
   */
  async truncateTo(offset: number): Promise<void> {
    if (offset < 0) throw new LogError('OFFSET_OUT_OF_RANGE', `cannot truncate to ${offset}`);
    if (offset >= this.leo) return;
    if (this.failure || this.closed) throw new LogError('KAFKA_STORAGE_ERROR', 'log is offline');
    this.truncating = true;
    try {
      await this.serializeSegmentOp(() => this.truncateToNow(offset));
    } finally {
      this.truncating = false;
    }
  }

  private async truncateToNow(offset: number): Promise<void> {
    this.tail?.clear();
    await this.queue.whenIdle();
    await this.queue.runTask(async () => {
      if (offset < this.segments[0]!.baseOffset) {
        await this.truncateFullyNow(offset);
        return;
      }
      const keep = this.segments.filter((s) => s.baseOffset <= offset);
      const drop = this.segments.filter((s) => s.baseOffset > offset);
      this.segments = keep;
      for (const s of drop) await this.scheduleDelete(s);
      const active = this.active;
      await active.truncateTo(offset, this.config.indexIntervalBytes);
      this.leo = this.writtenEnd = active.nextOffset;
    });
    if (this.hw > this.leo) this.hw = this.leo;
    if (this.recoveryPt > this.leo) this.recoveryPt = this.leo;
    this.epochs.truncateFromEnd(this.leo);
    await this.producers.store.rebuild(this);
  }

  /** Drops all data and restarts the log at `offset` (also the new log start). */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.serializeSegmentOp(() => this.truncateFullyNow(offset));
  }

  private async truncateFullyNow(offset: number): Promise<void> {
    this.tail?.clear();
    const fresh = LogSegment.createNew(this.dir, offset, Date.now());
    await fresh.handle();
    const old = this.segments;
    this.segments = [fresh];
    for (const s of old) await this.scheduleDelete(s);
    this.lso = this.leo = this.writtenEnd = this.hw = this.recoveryPt = offset;
    this.epochs.clear();
    this.dirDirty = true;
    await this.producers.store.reset();
  }

  // ---- introspection -------------------------------------------------------------------------------

  /** Bytes of log data (queued included). */
  size(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  segmentInfos(): SegmentInfo[] {
    const segs = this.segments;
    return segs.map((s, i) => ({
      baseOffset: s.baseOffset,
      nextOffset: s.nextOffset,
      size: s.size,
      maxTimestamp: s.maxTimestamp,
      path: s.logPath,
      indexPath: s.indexPath,
      timeIndexPath: s.timeIndexPath,
      active: i === segs.length - 1,
    }));
  }

  // ---- lifecycle -------------------------------------------------------------------------------------

  /** Waits for pending writes, fsyncs, writes indexes (trimmed) and closes every file. */
  async close(): Promise<void> {
    await this.closeInternal(true);
  }

  private async closeInternal(sync: boolean): Promise<void> {
    this.tail?.clear();
    if (this.closed) return;
    this.closed = true;
    await this.deletionChain; // an in-flight retention delete or cleaner swap finishes first
    await this.queue.whenIdle();
    this.active.onBecomeInactive();
    if (sync && !this.failure) await this.flushTo(this.writtenEnd).catch((e) => this.fail(e));
    await this.flushChain;
    for (const s of this.segments) await s.close(sync && !this.failure);
    for (const [seg, timer] of this.pendingDeletes) {
      if (timer) clearTimeout(timer);
      await seg.destroy().catch(() => {});
    }
    this.pendingDeletes.clear();
    await Promise.all([...this.destroying]);
    await this.epochs.flush().catch((e) => this.logger.warn('leader epoch checkpoint write failed', { dir: this.dir, err: String(e) }));
    // Clean close: a producer snapshot at the log end, so the next start replays nothing.
    const producers = sync && !this.failure ? this.producers.store.close(this.leo) : this.producers.txnIndex.close();
    await producers.catch((e) => this.logger.warn('producer state close failed', { dir: this.dir, err: String(e) }));
    if (this.failure) throw this.failure;
  }

  /**
   * Closes the log and renames its directory to `<topic>-<p>.<uuid>-delete` (atomic: after a crash
   * the log is either fully present or marked for deletion), then removes it in the background
   * (`removal`).
   */
  async delete(): Promise<void> {
    await this.closeInternal(false).catch(() => {});
    const parent = dirname(this.dir);
    const target = join(parent, deleteDirName(this.topic, this.partition));
    await rename(this.dir, target);
    await fsyncDir(parent).catch(() => {});
    this.removal = removeDir(target).catch((e) => this.logger.warn('failed to remove deleted log dir', { dir: target, err: String(e) }));
  }
}
