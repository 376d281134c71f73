// File and directory naming (Kafka's layout) plus the small fs helpers every log file needs:
// atomic replacement for checkpoints and directory fsync after creating or renaming files.
//
//   <logDir>/<topic>-<partition>/00000000000000000000.log        segment data (raw v2 batches)
//                               00000000000000000000.index      sparse offset index
//                               00000000000000000000.timeindex  sparse time index
//                               leader-epoch-checkpoint, partition.metadata
//   <logDir>/<topic>-<partition>.<32 hex>-delete                 a deleted log, removed in the background
import { randomUUID } from 'node:crypto';
import { open, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const DELETED_SUFFIX = '.deleted';
export const TMP_SUFFIX = '.tmp';
export const DELETE_DIR_SUFFIX = '-delete';
export const LEADER_EPOCH_FILE = 'leader-epoch-checkpoint';
export const PARTITION_METADATA_FILE = 'partition.metadata';
export const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_FILE = 'log-start-offset-checkpoint';
/** Kafka's replication-offset-checkpoint: the high watermark of each replicated log (cluster mode). */
export const HIGH_WATERMARK_FILE = 'replication-offset-checkpoint';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

/** 20-digit zero-padded base offset, as Kafka names segment files. */
export function offsetFileStem(offset: number): string {
  return String(offset).padStart(20, '0');
}

export function segmentPaths(dir: string, baseOffset: number): { log: string; index: string; timeIndex: string } {
  const stem = join(dir, offsetFileStem(baseOffset));
  return { log: stem + LOG_SUFFIX, index: stem + INDEX_SUFFIX, timeIndex: stem + TIME_INDEX_SUFFIX };
}

/** Parses `00000000000000000123.log` → 123; null for anything else. */
export function parseSegmentFileName(name: string, suffix: string): number | null {
  if (!name.endsWith(suffix)) return null;
  const stem = name.slice(0, -suffix.length);
  if (!/^\d{20}$/.test(stem)) return null;
  const n = Number(stem);
  return Number.isSafeInteger(n) ? n : null;
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** `<topic>-<partition>` → parts (topics may contain '-', so split at the last one). */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d{1,10})$/.exec(name);
  if (!m) return null;
  const partition = Number(m[2]);
  if (partition > 0x7fffffff) return null;
  return { topic: m[1]!, partition };
}

export function isDeleteDirName(name: string): boolean {
  return /^.+-\d+\.[0-9a-f]{32}-delete$/.test(name);
}

export function deleteDirName(topic: string, partition: number): string {
  return `${partitionDirName(topic, partition)}.${randomUUID().replace(/-/g, '')}${DELETE_DIR_SUFFIX}`;
}

/** fsync a directory so that creations/renames inside it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write to `<path>.tmp`, fsync, rename over `path`, fsync the directory: readers see old or new, never half. */
export async function writeFileAtomic(path: string, data: string | Buffer, dir: string): Promise<void> {
  const tmp = path + TMP_SUFFIX;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    // The old file stays as it was; drop the partial copy (on a full disk it holds the last blocks).
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  await fsyncDir(dir);
}

/** Out of space (or quota): the log dir is full, not broken. Reads keep working; writes wait for space. */
export function isDiskFullError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

export async function renameIfExists(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

export function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}
