// Opening a partition directory (Kafka's LogLoader):
//   0. finish or discard log cleaner swaps a crash interrupted (cleaner/segment-swap.ts);
//   1. remove leftovers: *.deleted and *.tmp files, index files whose .log is gone;
//   2. open every segment; rolled segments below the recovery point are trusted and only read
//      their max timestamp (last time-index entry) — their indexes load lazily on first read;
//   3. clean shutdown: the active segment's indexes are trusted and only its tail is scanned, as
//      long as indexes, file size and the recovery-point checkpoint agree; otherwise (and for any
//      segment whose index file is gone) the segment is re-validated like after a crash;
//      unclean: every segment from the one holding the recovery point on is re-validated batch by
//      batch (CRC), its indexes rebuilt; a corrupt/torn tail is cut off and every later segment
//      is deleted, so the log ends at the last valid batch;
//      tributary.log.recover.on.start (validateAll) gives every segment the crash treatment;
//   4. offsets below the recovery point are never handed out twice: if damage cut the log below
//      it, a new empty segment starts at the recovery point (a gap of lost offsets, logged);
//   5. log start offset = max(checkpoint, first segment base); leader epochs trimmed to the log.
import { readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  TIME_INDEX_SUFFIX,
  TMP_SUFFIX,
  parseSegmentFileName,
  unlinkIfExists,
} from './log-files.js';
import { recoverSwapFiles } from './cleaner/segment-swap.js';
import type { LogConfig } from './log-config.js';
import { LogSegment } from './log-segment.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import type { StorageLogger } from './logger.js';

export interface LoadOptions {
  hadCleanShutdown: boolean;
  recoveryPoint?: number;
  logStartOffset?: number;
  /** Re-validate every segment as after a crash, whatever the shutdown was (no segment is trusted). */
  validateAll?: boolean;
  /**
   * The log manager's load at start-up, before the broker serves: the files a clean start needs
   * are read with synchronous calls (each async call is a libuv thread-pool round trip costing
   * more main-thread time than the read itself, times ~10 per partition), and the active
   * segment's file is not kept open (it opens on first read or append). Recovery reads stay async.
   */
  startupSync?: boolean;
}

export interface LoadedLog {
  segments: LogSegment[];
  logStartOffset: number;
  logEndOffset: number;
  recoveryPoint: number;
  /** Bytes cut off torn/corrupt tails during recovery (0 after a clean shutdown). */
  truncatedBytes: number;
  /** The partition dir's listing as loaded (before any repair the loader made). */
  names: string[];
}

export async function loadLog(
  dir: string,
  config: LogConfig,
  opts: LoadOptions,
  epochs: LeaderEpochCache,
  logger: StorageLogger,
): Promise<LoadedLog> {
  // One listing serves the swap recovery and the loader (a readdir per partition is a thread-pool
  // round trip; 1,000 partitions paid two); the dir is listed again only if a swap changed it.
  const sync = opts.startupSync === true;
  let names = sync ? readdirSync(dir) : await readdir(dir);
  const swaps = await recoverSwapFiles(dir, logger, names);
  if (swaps.completed > 0 || swaps.discarded > 0) names = await readdir(dir);
  const logBases = new Set<number>();
  for (const n of names) {
    const b = parseSegmentFileName(n, LOG_SUFFIX);
    if (b !== null) logBases.add(b);
  }
  for (const n of names) {
    if (n.endsWith(DELETED_SUFFIX) || n.endsWith(TMP_SUFFIX)) {
      await unlinkIfExists(join(dir, n));
      continue;
    }
    const idx = parseSegmentFileName(n, INDEX_SUFFIX) ?? parseSegmentFileName(n, TIME_INDEX_SUFFIX);
    if (idx !== null && !logBases.has(idx)) await unlinkIfExists(join(dir, n));
  }

  const bases = [...logBases].sort((a, b) => a - b);
  const nameSet = new Set(names);
  const hasIndexFiles = (s: LogSegment) => nameSet.has(basename(s.indexPath)) && nameSet.has(basename(s.timeIndexPath));
  let segments: LogSegment[] = [];
  for (const base of bases) segments.push(sync ? LogSegment.openExistingSync(dir, base) : await LogSegment.openExisting(dir, base));
  for (let i = 0; i + 1 < segments.length; i++) segments[i]!.nextOffset = segments[i + 1]!.baseOffset;

  let recoveryPoint = opts.hadCleanShutdown ? Number.MAX_SAFE_INTEGER : (opts.recoveryPoint ?? 0);
  // First segment that may hold unflushed data: the one containing the recovery point.
  let firstUnflushed = segments.length - 1;
  if (opts.validateAll) firstUnflushed = 0;
  else if (!opts.hadCleanShutdown) {
    while (firstUnflushed > 0 && segments[firstUnflushed]!.baseOffset > recoveryPoint) firstUnflushed--;
  }

  let truncatedBytes = 0;
  let damaged = false;
  /** CRC-validates one segment, cuts it after its last valid batch; true if it had to cut. */
  const recoverOne = async (seg: LogSegment, why: string, reportIntact = opts.hadCleanShutdown): Promise<boolean> => {
    const r = await seg.recover(config.indexIntervalBytes, (epoch, offset) => {
      if (epoch > epochs.latestEpoch()) epochs.assign(epoch, offset);
    });
    truncatedBytes += r.truncatedBytes;
    const cut = r.truncatedBytes > 0 || r.error !== null;
    if (cut) damaged = true;
    if (cut || reportIntact) {
      logger.warn(cut ? 'recovered log segment: cut everything after the last valid batch' : 'recovered log segment: every batch is valid', {
        topicPartition: basename(dir),
        dir,
        segment: seg.logPath,
        why,
        truncatedBytes: r.truncatedBytes,
        validBytes: seg.size,
        nextOffset: seg.nextOffset,
        error: r.error,
      });
    }
    return cut;
  };

  // Rolled segments below the recovery point are trusted, unless an index file is gone: Kafka
  // recovers such a segment (CRC) rather than trusting a log nobody has indexed.
  for (let i = 0; i < firstUnflushed; i++) {
    const seg = segments[i]!;
    if (hasIndexFiles(seg)) await loadTrustedRolled(seg, sync);
    else await recoverOne(seg, 'index file missing');
  }

  if (segments.length > 0) {
    if (opts.hadCleanShutdown && !opts.validateAll) {
      // After a clean shutdown the active segment is trusted only if everything agrees: both index
      // files present and consistent with the file, the tail after the last index entry made of
      // whole batches up to the file's end, and its next offset equal to the recovery-point
      // checkpoint (== the log end at shutdown). Any disagreement means the file was changed
      // behind the broker's back (truncated, appended to, index lost): validate it batch by batch.
      const active = segments[segments.length - 1]!;
      let why: string | null = null;
      if (!hasIndexFiles(active)) why = 'index file missing';
      else if (!(await active.loadIndexesIfValid(true))) why = 'index does not match the log file';
      else {
        const err = await active.loadActive(sync);
        if (err !== null) why = `tail after the last index entry unreadable (${err})`;
        else if (opts.recoveryPoint !== undefined && active.nextOffset !== opts.recoveryPoint && opts.recoveryPoint >= active.baseOffset) {
          why = `log end ${active.nextOffset} disagrees with the recovery-point checkpoint ${opts.recoveryPoint}`;
        }
      }
      if (why !== null) {
        await recoverOne(active, why);
        damaged = true; // changed behind the broker's back: whatever it lost is lost for good
      }
    } else {
      for (let i = firstUnflushed; i < segments.length; i++) {
        const seg = segments[i]!;
        if (await recoverOne(seg, opts.validateAll ? 'tributary.log.recover.on.start' : 'unclean shutdown', false)) {
          const later = segments.slice(i + 1);
          for (const s of later) {
            logger.warn('deleting segment after corruption', { dir, baseOffset: s.baseOffset });
            await s.destroy();
          }
          segments = segments.slice(0, i + 1);
          break;
        }
      }
      // Segments recovered to be empty at the end are harmless; a segment list must stay sorted
      // by offset, which recovery guarantees by cutting at the first inconsistency.
    }
  }

  let logStartOffset = Math.max(opts.logStartOffset ?? 0, segments.length ? segments[0]!.baseOffset : 0);
  let logEndOffset = segments.length ? segments[segments.length - 1]!.nextOffset : logStartOffset;

  // Offsets below the recovery point were handed out and made durable: consumers may have read
  // them and committed positions past them. When damage took some of them away, the log does not
  // hand them out again; it continues at the recovery point, leaving a gap that fetches skip like
  // offsets removed by compaction or DeleteRecords. (Kafka with one replica would truncate and
  // reuse them.)
  const floor = opts.recoveryPoint;
  if (damaged && floor !== undefined && segments.length > 0 && logEndOffset < floor) {
    logger.error('log damage lost offsets; the log continues at the recovery point so they are never reused', {
      topicPartition: basename(dir),
      dir,
      lostFromOffset: logEndOffset,
      lostToOffset: floor - 1,
      truncatedBytes,
    });
    const last = segments[segments.length - 1]!;
    if (last.size === 0) {
      await last.destroy();
      segments = segments.slice(0, -1);
    }
    const gap = LogSegment.createNew(dir, floor, Date.now());
    await gap.handle();
    if (segments.length > 0) segments[segments.length - 1]!.nextOffset = floor;
    segments = [...segments, gap];
    logStartOffset = Math.max(opts.logStartOffset ?? 0, segments[0]!.baseOffset);
    logEndOffset = floor;
  }

  if (logStartOffset > logEndOffset || segments.length === 0) {
    // Nothing usable (new log, or the data the checkpoint refers to is gone): start empty.
    if (segments.length) logger.warn('log start offset beyond log end; starting empty', { dir, logStartOffset, logEndOffset });
    for (const s of segments) await s.destroy();
    const fresh = LogSegment.createNew(dir, logStartOffset, Date.now());
    await fresh.handle();
    segments = [fresh];
    logEndOffset = logStartOffset;
    epochs.clear();
  }
  epochs.truncateFromEnd(logEndOffset);
  epochs.truncateFromStart(logStartOffset);
  recoveryPoint = Math.min(recoveryPoint, logEndOffset);
  return { segments, logStartOffset, logEndOffset, recoveryPoint, truncatedBytes, names };
}

/** A rolled segment below the recovery point: trust it, read just its max timestamp. */
async function loadTrustedRolled(seg: LogSegment, sync: boolean): Promise<void> {
  if (await seg.loadMaxTimestampFromTimeIndex(sync)) return;
  // Time index missing or malformed: load (and so rebuild) the indexes now.
  await seg.ensureIndexes();
  if (seg.maxTimestamp < 0) {
    const last = seg.timeIndex.lastEntry();
    seg.maxTimestamp = last.timestamp;
    seg.offsetOfMaxTimestamp = last.timestamp >= 0 ? last.offset : -1;
  }
}
