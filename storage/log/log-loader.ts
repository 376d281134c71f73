// Opening a partition directory (Kafka's LogLoader):
//   0. finish or discard log cleaner swaps a crash interrupted (cleaner/segment-swap.ts);
//   1. remove leftovers: *.deleted and *.tmp files, index files whose .log is gone;
//   2. open every segment; rolled segments below the recovery point are trusted and only read
//      their max timestamp (last time-index entry) — their indexes load lazily on first read;
//   3. clean shutdown: the active segment's indexes are trusted, only its tail is scanned;
//      unclean: every segment from the one holding the recovery point on is re-validated batch by
//      batch (CRC), its indexes rebuilt; a corrupt/torn tail is cut off and every later segment
//      is deleted, so the log ends at the last valid batch;
//   4. log start offset = max(checkpoint, first segment base); leader epochs trimmed to the log.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
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
}

export interface LoadedLog {
  segments: LogSegment[];
  logStartOffset: number;
  logEndOffset: number;
  recoveryPoint: number;
  /** Bytes cut off torn/corrupt tails during recovery (0 after a clean shutdown). */
  truncatedBytes: number;
}

export async function loadLog(
  dir: string,
  config: LogConfig,
  opts: LoadOptions,
  epochs: LeaderEpochCache,
  logger: StorageLogger,
): Promise<LoadedLog> {
  await recoverSwapFiles(dir, logger);
  const names = await readdir(dir);
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
  let segments: LogSegment[] = [];
  for (const base of bases) segments.push(await LogSegment.openExisting(dir, base));
  for (let i = 0; i + 1 < segments.length; i++) segments[i]!.nextOffset = segments[i + 1]!.baseOffset;

  let recoveryPoint = opts.hadCleanShutdown ? Number.MAX_SAFE_INTEGER : (opts.recoveryPoint ?? 0);
  // First segment that may hold unflushed data: the one containing the recovery point.
  let firstUnflushed = segments.length - 1;
  if (!opts.hadCleanShutdown) {
    while (firstUnflushed > 0 && segments[firstUnflushed]!.baseOffset > recoveryPoint) firstUnflushed--;
  }

  for (let i = 0; i < firstUnflushed; i++) await loadTrustedRolled(segments[i]!);

  let truncatedBytes = 0;
  if (segments.length > 0) {
    if (opts.hadCleanShutdown) {
      const active = segments[segments.length - 1]!;
      const err = await active.loadActive();
      if (err !== null) {
        logger.warn('active segment tail unreadable after clean shutdown; recovering it', { dir, baseOffset: active.baseOffset, err });
        const r = await active.recover(config.indexIntervalBytes);
        truncatedBytes += r.truncatedBytes;
      }
    } else {
      for (let i = firstUnflushed; i < segments.length; i++) {
        const seg = segments[i]!;
        const r = await seg.recover(config.indexIntervalBytes, (epoch, offset) => {
          if (epoch > epochs.latestEpoch()) epochs.assign(epoch, offset);
        });
        truncatedBytes += r.truncatedBytes;
        if (r.truncatedBytes > 0 || r.error !== null) {
          logger.warn('truncated corrupt or torn log tail', { dir, baseOffset: seg.baseOffset, truncatedBytes: r.truncatedBytes, error: r.error });
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
  return { segments, logStartOffset, logEndOffset, recoveryPoint, truncatedBytes };
}

/** A rolled segment below the recovery point: trust it, read just its max timestamp. */
async function loadTrustedRolled(seg: LogSegment): Promise<void> {
  if (await seg.loadMaxTimestampFromTimeIndex()) return;
  // Time index missing or malformed: load (and so rebuild) the indexes now.
  await seg.ensureIndexes();
  if (seg.maxTimestamp < 0) {
    const last = seg.timeIndex.lastEntry();
    seg.maxTimestamp = last.timestamp;
    seg.offsetOfMaxTimestamp = last.timestamp >= 0 ? last.offset : -1;
  }
}
