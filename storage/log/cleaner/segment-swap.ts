// The file protocol that lets the cleaner replace segments atomically (Kafka's LocalLog
// replaceSegments + LogLoader's swap recovery). A cleaned group of segments is written beside the
// log under temporary names, then renamed in three steps:
//
//   write    00000000000000000000.log.cleaned  (+ .index.cleaned, .timeindex.cleaned), fsync
//   swap     *.index.cleaned -> *.index.swap, *.timeindex.cleaned -> *.timeindex.swap,
//            *.log.cleaned -> *.log.swap (last: a .log.swap exists only once all data is durable)
//   delete   the replaced segments' files -> *.deleted (PartitionLog.scheduleDelete)
//   final    *.swap -> 00000000000000000000.log / .index / .timeindex, fsync the directory
//
// After a crash (recoverSwapFiles, run by the loader before anything else):
//   *.cleaned                 the swap never started: delete; the old segments are intact
//   <b>.log.swap              the swap is committed: delete every ordinary segment file whose base
//                             offset is in [b, end of the swap's data) — the segments it replaced,
//                             (Kafka's rule) — delete the swap's index files (they are rebuilt from
//                             the log on load) and rename <b>.log.swap to <b>.log
//   *.index.swap without its .log.swap, *.timeindex.swap likewise: half-renamed, delete
// Every step is idempotent, so a crash during recovery is recovered the same way.
import { open, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import {
  INDEX_SUFFIX,
  LOG_SUFFIX,
  TIME_INDEX_SUFFIX,
  fsyncDir,
  offsetFileStem,
  parseSegmentFileName,
  renameIfExists,
  unlinkIfExists,
} from '../log-files.js';
import type { LogSegment } from '../log-segment.js';
import type { StorageLogger } from '../logger.js';
import { scanFile } from '../segment-scan.js';

export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';

const SEGMENT_SUFFIXES = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX] as const;

/** The three file names of segment `base` with an extra suffix ('' = the final names). */
export function segmentFileNames(dir: string, base: number, extra: string): { log: string; index: string; timeIndex: string } {
  const stem = join(dir, offsetFileStem(base));
  return { log: stem + LOG_SUFFIX + extra, index: stem + INDEX_SUFFIX + extra, timeIndex: stem + TIME_INDEX_SUFFIX + extra };
}

/** Points a segment object (and its in-memory indexes) at files carrying `extra`. */
export function pointSegmentAt(seg: LogSegment, extra: string): void {
  const p = segmentFileNames(seg.dir, seg.baseOffset, extra);
  seg.logPath = p.log;
  seg.indexPath = p.index;
  seg.timeIndexPath = p.timeIndex;
  seg.offsetIndex.setPath(p.index);
  seg.timeIndex.setPath(p.timeIndex);
}

/** `.cleaned` -> `.swap`, the log file last (its presence commits the swap). */
export async function renameCleanedToSwap(seg: LogSegment): Promise<void> {
  await Promise.all([seg.offsetIndex.idle(), seg.timeIndex.idle()]);
  const from = segmentFileNames(seg.dir, seg.baseOffset, CLEANED_SUFFIX);
  const to = segmentFileNames(seg.dir, seg.baseOffset, SWAP_SUFFIX);
  await rename(from.index, to.index);
  await rename(from.timeIndex, to.timeIndex);
  await rename(from.log, to.log);
  pointSegmentAt(seg, SWAP_SUFFIX);
  await fsyncDir(seg.dir);
}

/** `.swap` -> final names. The replaced segments must already be renamed away. */
export async function renameSwapToFinal(seg: LogSegment): Promise<void> {
  await Promise.all([seg.offsetIndex.idle(), seg.timeIndex.idle()]);
  const from = segmentFileNames(seg.dir, seg.baseOffset, SWAP_SUFFIX);
  const to = segmentFileNames(seg.dir, seg.baseOffset, '');
  await rename(from.index, to.index);
  await rename(from.timeIndex, to.timeIndex);
  await rename(from.log, to.log);
  pointSegmentAt(seg, '');
}

/** Removes the files of an abandoned cleaned segment (the log changed under the cleaner). */
export async function deleteCleanedFiles(dir: string, base: number): Promise<void> {
  const p = segmentFileNames(dir, base, CLEANED_SUFFIX);
  await Promise.all([unlinkIfExists(p.log), unlinkIfExists(p.index), unlinkIfExists(p.timeIndex)]);
}

/** Offset after the last valid batch of a swap file (its base offset when it holds none). */
async function swapEndOffset(path: string, base: number): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    let end = base;
    await scanFile(fh, 0, size, true, (b) => {
      end = b.baseOffset + b.lastOffsetDelta + 1;
      return true;
    });
    return end;
  } finally {
    await fh.close();
  }
}

/**
 * Loader step 0: finish or discard cleaner swaps interrupted by a crash (see the header).
 * `names` is the dir's listing when the caller has it (the loader lists the dir once at start-up;
 * when this returns nothing completed or discarded, that listing is still exact).
 */
export async function recoverSwapFiles(dir: string, logger: StorageLogger, names?: string[]): Promise<{ completed: number; discarded: number }> {
  names ??= await readdir(dir);
  let discarded = 0;
  for (const n of names) {
    if (n.endsWith(CLEANED_SUFFIX)) {
      await unlinkIfExists(join(dir, n));
      discarded++;
    }
  }
  const swapBases: number[] = [];
  for (const n of names) {
    const b = parseSegmentFileName(n, LOG_SUFFIX + SWAP_SUFFIX);
    if (b !== null) swapBases.push(b);
  }
  const swapSet = new Set(swapBases);
  for (const n of names) {
    for (const sfx of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
      const b = parseSegmentFileName(n, sfx + SWAP_SUFFIX);
      // A swap's own index files are dropped too: the log is the truth, indexes get rebuilt.
      if (b !== null) await unlinkIfExists(join(dir, n));
      if (b !== null && !swapSet.has(b)) discarded++;
    }
  }
  for (const base of swapBases.sort((a, b) => a - b)) {
    const swapPath = segmentFileNames(dir, base, SWAP_SUFFIX).log;
    const end = Math.max(await swapEndOffset(swapPath, base), base + 1);
    for (const n of names) {
      for (const sfx of SEGMENT_SUFFIXES) {
        const b = parseSegmentFileName(n, sfx);
        if (b !== null && b >= base && b < end) await unlinkIfExists(join(dir, n));
      }
    }
    await renameIfExists(swapPath, segmentFileNames(dir, base, '').log);
    logger.warn('completed an interrupted log cleaner swap', { dir, baseOffset: base, replacedUpTo: end });
  }
  if (swapBases.length > 0 || discarded > 0) await fsyncDir(dir);
  return { completed: swapBases.length, discarded };
}
