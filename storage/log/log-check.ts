// Offline check and repair of a stopped broker's log dirs (`tributary log check`): every batch of
// every segment is validated (structure, CRC-32C, offsets in sequence across segments). Kafka has
// no such tool for a cleanly stopped broker (it re-validates only what a crash left unflushed), and
// its fetch path does not CRC-check either, so damage to flushed data otherwise surfaces only as
// CORRUPT_MESSAGE to consumers.
//
// --repair follows Kafka's recovery: the partition is cut at its first bad batch (later batches,
// even valid ones, are dropped; later segments deleted). Like the broker's own startup recovery it
// never hands out an offset twice: if offsets that existed are gone, an empty segment starts at the
// old log end (max of the recovery-point checkpoint and every offset seen on disk).
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readOffsetCheckpoint } from './checkpoint-file.js';
import { LOG_SUFFIX, RECOVERY_POINT_FILE, CLEAN_SHUTDOWN_FILE, isDeleteDirName, parsePartitionDirName, parseSegmentFileName, segmentPaths } from './log-files.js';
import { LogSegment } from './log-segment.js';
import { readAt, scanFile, type ScanError } from './segment-scan.js';

export interface LogDamage {
  segment: string;
  /** Byte position of the first bad batch in the segment file. */
  position: number;
  /** The offset that batch should have started at (one after the last valid batch). */
  offset: number;
  error: ScanError;
}

export interface PartitionCheck {
  topic: string;
  partition: number;
  dir: string;
  segments: number;
  batches: number;
  /** Offset after the last valid batch before any damage. */
  validEndOffset: number;
  /** What the log end was before the damage (offsets below it must not be reused). */
  previousEndOffset: number;
  damage: LogDamage | null;
  /**
   * Segments ending below the next segment's base offset: normal after compaction, otherwise
   * batches lost from a segment's end at a batch boundary (no structural check can tell).
   */
  gaps: { segment: string; endOffset: number; nextBaseOffset: number }[];
  repair?: { truncatedBytes: number; deletedSegments: number; resumeOffset: number };
}

export interface LogDirCheck {
  dir: string;
  /** False when the dir lacks the clean-shutdown marker (broker running, or it crashed). */
  cleanlyStopped: boolean;
  partitions: PartitionCheck[];
}

export async function checkLogDir(logDir: string, opts: { repair: boolean; indexIntervalBytes?: number }): Promise<LogDirCheck> {
  const cleanlyStopped = await exists(join(logDir, CLEAN_SHUTDOWN_FILE));
  const rp = new Map<string, number>();
  for (const e of (await readOffsetCheckpoint(join(logDir, RECOVERY_POINT_FILE))) ?? []) rp.set(`${e.topic}/${e.partition}`, e.offset);
  const partitions: PartitionCheck[] = [];
  const entries = await readdir(logDir, { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || isDeleteDirName(e.name)) continue;
    const tp = parsePartitionDirName(e.name);
    if (!tp) continue;
    const check = await checkPartition(join(logDir, e.name), tp.topic, tp.partition, rp.get(`${tp.topic}/${tp.partition}`) ?? 0);
    if (opts.repair && check.damage) check.repair = await repairPartition(check, opts.indexIntervalBytes ?? 4096);
    partitions.push(check);
  }
  return { dir: logDir, cleanlyStopped, partitions };
}

async function checkPartition(dir: string, topic: string, partition: number, recoveryPoint: number): Promise<PartitionCheck> {
  const bases = (await readdir(dir))
    .map((n) => parseSegmentFileName(n, LOG_SUFFIX))
    .filter((b): b is number => b !== null)
    .sort((a, b) => a - b);
  const out: PartitionCheck = { topic, partition, dir, segments: bases.length, batches: 0, validEndOffset: bases[0] ?? 0, previousEndOffset: recoveryPoint, damage: null, gaps: [] };
  let prevLast = -1;
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    const next = bases[i + 1] ?? Number.MAX_SAFE_INTEGER;
    const path = segmentPaths(dir, base).log;
    out.previousEndOffset = Math.max(out.previousEndOffset, base, await lastIndexedOffset(segmentPaths(dir, base).index, base));
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      if (out.damage) {
        // Past the damage: only how far offsets went matters (they must not be reused).
        await scanFile(fh, 0, size, false, (b) => {
          out.previousEndOffset = Math.max(out.previousEndOffset, b.baseOffset + b.lastOffsetDelta + 1);
          return true;
        });
        continue;
      }
      const r = await scanFile(fh, 0, size, true, (b) => {
        const last = b.baseOffset + b.lastOffsetDelta;
        if (b.baseOffset < base || b.baseOffset <= prevLast || b.lastOffsetDelta < 0 || last >= next) return false;
        prevLast = last;
        out.batches++;
        return true;
      });
      out.validEndOffset = prevLast >= 0 ? prevLast + 1 : out.validEndOffset;
      out.previousEndOffset = Math.max(out.previousEndOffset, out.validEndOffset);
      if (r.error !== null) out.damage = { segment: path, position: r.validEnd, offset: prevLast >= 0 ? prevLast + 1 : base, error: r.error };
      else if (i + 1 < bases.length && Math.max(out.validEndOffset, base) < next) out.gaps.push({ segment: path, endOffset: Math.max(out.validEndOffset, base), nextBaseOffset: next });
    } finally {
      await fh.close();
    }
  }
  return out;
}

/** Offset after the batch of the offset index's last entry (0 when there is none). */
async function lastIndexedOffset(indexPath: string, base: number): Promise<number> {
  try {
    const size = (await stat(indexPath)).size;
    if (size < 8 || size % 8 !== 0) return 0;
    const fh = await open(indexPath, 'r');
    try {
      const last = await readAt(fh, size - 8, 8);
      return last.length === 8 ? base + last.readInt32BE(0) + 1 : 0;
    } finally {
      await fh.close();
    }
  } catch {
    return 0;
  }
}

async function repairPartition(check: PartitionCheck, indexIntervalBytes: number): Promise<NonNullable<PartitionCheck['repair']>> {
  const damage = check.damage!;
  const bases = (await readdir(check.dir))
    .map((n) => parseSegmentFileName(n, LOG_SUFFIX))
    .filter((b): b is number => b !== null)
    .sort((a, b) => a - b);
  const damagedBase = bases.find((b) => segmentPaths(check.dir, b).log === damage.segment)!;
  // Cut the damaged segment at its first bad batch (recover re-validates with CRC and rebuilds
  // the indexes), then drop every later segment, as Kafka's recovery does.
  const seg = await LogSegment.openExisting(check.dir, damagedBase);
  const r = await seg.recover(indexIntervalBytes);
  const validEnd = seg.nextOffset;
  await seg.close(true);
  let deletedSegments = 0;
  for (const b of bases) {
    if (b <= damagedBase) continue;
    await (await LogSegment.openExisting(check.dir, b)).destroy();
    deletedSegments++;
  }
  let resumeOffset = validEnd;
  if (check.previousEndOffset > validEnd) {
    if (seg.size === 0) {
      await (await LogSegment.openExisting(check.dir, damagedBase)).destroy();
      deletedSegments++;
    }
    const gap = LogSegment.createNew(check.dir, check.previousEndOffset, Date.now());
    await gap.handle();
    await gap.close(true);
    resumeOffset = check.previousEndOffset;
  }
  return { truncatedBytes: r.truncatedBytes, deletedSegments, resumeOffset };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
