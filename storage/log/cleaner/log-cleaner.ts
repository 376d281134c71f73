// The background log cleaner (Kafka's LogCleaner + LogCleanerManager), one async loop:
//
//   ┌─> pick the filthiest compacted log ──none──> sleep log.cleaner.backoff.ms ──┐
//   │        │ found                                                             │
//   │        v                                                                   │
//   │   Cleaner.clean(log) ─> checkpoint := endOffset (cleaner-offset-checkpoint)  │
//   └────────┴───────────────────────────────────────────────────────────────────┘
//
// A log (cleanup.policy contains 'compact') is eligible when, over its cleanable range
// (cleanable.ts), dirty ratio > min.cleanable.dirty.ratio (strictly, as Kafka), or it has dirty
// bytes and its oldest dirty record is older than max.compaction.lag.ms, or a tombstone's delete
// horizon written by an earlier pass has passed (tracked in memory; after a restart such
// tombstones go with the next dirty pass). The filthiest (highest ratio) eligible log wins.
//
// <logDir>/cleaner-offset-checkpoint (Kafka's format: version 0, count, "topic partition offset")
// records per log the offset below which it is clean. Entries of logs that no longer exist are
// dropped when the file is rewritten.
import { dirname, join } from 'node:path';
import { OFF_MAX_TIMESTAMP, BATCH_HEADER_SIZE, readInt64 } from '../../../protocol/records/batch-header.js';
import { RecordsError } from '../../../protocol/records/records-error.js';
import { readOffsetCheckpoint, writeOffsetCheckpoint, type TopicPartitionOffset } from '../checkpoint-file.js';
import { isCompacted } from '../log-config.js';
import type { LogSegment } from '../log-segment.js';
import { SILENT_LOGGER, type StorageLogger } from '../logger.js';
import type { PartitionLog } from '../partition-log.js';
import { readAt } from '../segment-scan.js';
import type { TransactionFilter } from './batch-filter.js';
import { cleanerTransactionFilter } from '../producer-state/txn-cleaner-filter.js';
import { cleanableOffsets, dirtyStats, maxCompactionDelay, type CleanableRange, type DirtyStats } from './cleanable.js';
import { Cleaner, CleanerAbortedError, type CleanStats, type ProducerLastBatch } from './cleaner.js';
import { CleanerCorruptSegmentError } from './segment-batches.js';

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

export interface LogCleanerOptions {
  /** The log dirs whose checkpoints this cleaner owns. */
  logDirs: string[];
  /** Current logs (the LogManager's). */
  logs: () => Iterable<PartitionLog>;
  /** log.cleaner.backoff.ms: sleep when nothing is eligible (default 15000). */
  backoffMs?: number;
  /** Clock (tests inject one); default Date.now. */
  time?: () => number;
  /** Offset map capacity in keys (default 1,000,000). */
  offsetMapEntries?: number;
  /** log.cleaner.io.buffer.size (default 1 MiB). */
  ioChunkBytes?: number;
  /** producer.id.expiration.ms (default 86400000). */
  producerIdExpirationMs?: number;
  /** Transaction hook; default: the partition's aborted-transactions index (cleanerTransactionFilter). */
  transactions?: (log: PartitionLog) => TransactionFilter;
  /** Producer state hook; default: header scan (see cleaner.ts). */
  activeProducers?: (log: PartitionLog) => Promise<Map<number, ProducerLastBatch>>;
  logger?: StorageLogger;
}

export interface CleanPass extends CleanStats {
  topic: string;
  partition: number;
  firstDirtyOffset: number;
}

export interface LogToClean {
  log: PartitionLog;
  range: CleanableRange;
  dirty: DirtyStats;
  /** ms the oldest dirty record is past max.compaction.lag.ms (0 = not overdue). */
  compactionDelayMs: number;
}

const tpKey = (log: PartitionLog) => `${log.partition}:${log.topic}`;

export class LogCleaner {
  private readonly cleaner: Cleaner;
  private readonly time: () => number;
  private readonly logger: StorageLogger;
  private readonly checkpoints = new Map<string, Map<string, TopicPartitionOffset>>();
  /** Earliest tombstone delete horizon left by the last pass of each log. */
  private readonly horizons = new WeakMap<PartitionLog, number>();
  /** Logs whose data could not be parsed: skipped until restart (Kafka's uncleanable partitions). */
  private readonly uncleanable = new WeakSet<PartitionLog>();
  private readonly firstBatchTs = new WeakMap<LogSegment, number>();
  private readonly aborting = new Set<PartitionLog>();
  private chain: Promise<unknown> = Promise.resolve();
  private checkpointChain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly opts: LogCleanerOptions) {
    this.time = opts.time ?? Date.now;
    this.logger = opts.logger ?? SILENT_LOGGER;
    this.cleaner = new Cleaner({
      now: this.time,
      offsetMapEntries: opts.offsetMapEntries ?? 1_000_000,
      ioChunkBytes: opts.ioChunkBytes ?? 1024 * 1024,
      producerIdExpirationMs: opts.producerIdExpirationMs ?? 86_400_000,
      // Aborted transactional data is removed and markers expire (producer-state/txn-cleaner-filter.ts).
      transactions: opts.transactions ?? cleanerTransactionFilter,
      activeProducers: opts.activeProducers,
    });
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Reads every dir's cleaner-offset-checkpoint (a missing or malformed file counts as empty). */
  async loadCheckpoints(): Promise<void> {
    for (const dir of this.opts.logDirs) {
      const entries = await readOffsetCheckpoint(join(dir, CLEANER_CHECKPOINT_FILE)).catch(() => null);
      this.checkpoints.set(dir, new Map((entries ?? []).map((e) => [`${e.partition}:${e.topic}`, e])));
    }
  }

  /** Starts the background loop (first pass after one backoff). */
  start(): void {
    if (this.timer || this.stopped) return;
    this.schedule(this.opts.backoffMs ?? 15_000);
  }

  /** Stops the loop, aborting a pass in progress (it leaves the log as it was). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.chain;
    await this.checkpointChain;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (this.stopped) return;
    let cleaned = false;
    try {
      cleaned = (await this.cleanOnce()) !== null;
    } catch (e) {
      this.logger.error('log cleaner pass failed', { err: String(e) });
    }
    if (!this.stopped) this.schedule(cleaned ? 0 : (this.opts.backoffMs ?? 15_000));
  }

  // ---- passes ----------------------------------------------------------------------------------

  /** One pass: cleans the filthiest eligible log, if any. Serialized with other passes. */
  cleanOnce(): Promise<CleanPass | null> {
    return this.serialize(async () => {
      const pick = await this.filthiestLog(this.time());
      return pick ? this.run(pick.log, pick.range) : null;
    });
  }

  /**
   * Cleans `log` now whatever its dirty ratio (still only its cleanable range: never the active
   * segment, nothing newer than min.compaction.lag.ms). For tests and admin tools.
   */
  cleanLog(log: PartitionLog): Promise<CleanPass | null> {
    return this.serialize(async () => {
      if (!this.candidate(log)) return null;
      const range = this.rangeOf(log, this.time());
      return this.run(log, range);
    });
  }

  /** Stops cleaning `log` (the LogManager is about to delete or close it) and waits for that. */
  async abort(log: PartitionLog): Promise<void> {
    this.aborting.add(log);
    try {
      await this.chain;
    } finally {
      this.aborting.delete(log);
    }
  }

  /** The log was deleted: abort, then drop its checkpoint entry. */
  async forget(log: PartitionLog): Promise<void> {
    await this.abort(log);
    const dir = dirname(log.dir);
    if (this.checkpoints.get(dir)?.delete(tpKey(log))) await this.writeCheckpoint(dir);
  }

  /** The offset below which `log` is clean, if known. */
  checkpointOf(log: PartitionLog): number | undefined {
    return this.checkpoints.get(dirname(log.dir))?.get(tpKey(log))?.offset;
  }

  /** Kafka's grabFilthiestCompactedLog. */
  async filthiestLog(now: number): Promise<LogToClean | null> {
    let best: LogToClean | null = null;
    for (const log of this.opts.logs()) {
      if (!this.candidate(log)) continue;
      const range = this.rangeOf(log, now);
      if (range.resetCheckpoint) await this.setCheckpoint(log, range.firstDirtyOffset);
      const segs = log.segmentList();
      const dirty = dirtyStats(segs, range);
      const cfg = log.config;
      const delay = await maxCompactionDelay(segs, range.firstDirtyOffset, now, cfg.maxCompactionLagMs, (s) => this.firstBatchTimestamp(s));
      const horizon = this.horizons.get(log);
      const eligible =
        (delay > 0 && dirty.cleanableBytes > 0) || dirty.ratio > cfg.minCleanableDirtyRatio || (horizon !== undefined && now >= horizon);
      if (!eligible) continue;
      if (!best || dirty.ratio > best.dirty.ratio) best = { log, range, dirty, compactionDelayMs: delay };
    }
    return best;
  }

  private candidate(log: PartitionLog): boolean {
    // Kafka refuses compaction on tiered topics: uploaded segments must not change under the copy.
    if (log.config.remoteStorageEnable === true) return false;
    return isCompacted(log.config) && !log.failed && !log.isClosed && !this.uncleanable.has(log) && !this.aborting.has(log);
  }

  private rangeOf(log: PartitionLog, now: number): CleanableRange {
    return cleanableOffsets(
      {
        segments: log.segmentList(),
        logStartOffset: log.localLogStartOffset,
        logEndOffset: log.logEndOffset,
        lastStableOffset: log.lastStableOffset,
        minCompactionLagMs: log.config.minCompactionLagMs,
      },
      this.checkpointOf(log),
      now,
    );
  }

  private async run(log: PartitionLog, range: CleanableRange): Promise<CleanPass | null> {
    const shouldAbort = () => this.stopped || this.aborting.has(log) || log.isClosed || log.failed;
    const started = this.time();
    let stats: CleanStats;
    try {
      stats = await this.cleaner.clean(log, range.firstDirtyOffset, range.firstUncleanableOffset, shouldAbort);
    } catch (e) {
      if (e instanceof CleanerAbortedError) {
        this.logger.info('log cleaning aborted', { topic: log.topic, partition: log.partition, reason: e.message });
        return null;
      }
      if (e instanceof CleanerCorruptSegmentError || e instanceof RecordsError) {
        this.uncleanable.add(log);
        this.logger.error('log is uncleanable; skipping it until restart', { topic: log.topic, partition: log.partition, err: String(e) });
        return null;
      }
      throw e;
    }
    if (stats.earliestDeleteHorizon === null) this.horizons.delete(log);
    else this.horizons.set(log, stats.earliestDeleteHorizon);
    if (stats.endOffset > range.firstDirtyOffset || this.checkpointOf(log) === undefined) await this.setCheckpoint(log, stats.endOffset);
    this.logger.info('cleaned log', {
      topic: log.topic,
      partition: log.partition,
      from: range.firstDirtyOffset,
      to: stats.endOffset,
      segments: `${stats.segmentsBefore} -> ${stats.groups}`,
      bytes: `${stats.bytesRead} -> ${stats.bytesWritten}`,
      records: `${stats.recordsRead} -> ${stats.recordsKept}`,
      ms: this.time() - started,
    });
    return { topic: log.topic, partition: log.partition, firstDirtyOffset: range.firstDirtyOffset, ...stats };
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => {});
    return run;
  }

  // ---- checkpoints -----------------------------------------------------------------------------

  private async setCheckpoint(log: PartitionLog, offset: number): Promise<void> {
    const dir = dirname(log.dir);
    let m = this.checkpoints.get(dir);
    if (!m) this.checkpoints.set(dir, (m = new Map()));
    m.set(tpKey(log), { topic: log.topic, partition: log.partition, offset });
    await this.writeCheckpoint(dir);
  }

  private writeCheckpoint(dir: string): Promise<void> {
    const run = this.checkpointChain.then(async () => {
      const m = this.checkpoints.get(dir);
      if (!m) return;
      const live = new Set<string>();
      for (const l of this.opts.logs()) if (dirname(l.dir) === dir) live.add(tpKey(l));
      for (const k of [...m.keys()]) if (!live.has(k)) m.delete(k);
      await writeOffsetCheckpoint(join(dir, CLEANER_CHECKPOINT_FILE), [...m.values()]);
    });
    this.checkpointChain = run.catch((e) => this.logger.warn('cleaner checkpoint write failed', { dir, err: String(e) }));
    return run;
  }

  // ---- helpers -----------------------------------------------------------------------------------

  /** Max timestamp of a segment's first batch (Kafka's getFirstBatchTimestamp); -1 if unknown. */
  private async firstBatchTimestamp(seg: LogSegment): Promise<number> {
    if (seg.rollingBasedTimestamp >= 0) return seg.rollingBasedTimestamp;
    const cached = this.firstBatchTs.get(seg);
    if (cached !== undefined) return cached;
    seg.acquire();
    try {
      const head = await readAt(await seg.handle(), 0, BATCH_HEADER_SIZE);
      const ts = head.length === BATCH_HEADER_SIZE ? readInt64(head, OFF_MAX_TIMESTAMP) : -1;
      this.firstBatchTs.set(seg, ts);
      return ts;
    } catch {
      return -1;
    } finally {
      seg.release();
    }
  }
}
