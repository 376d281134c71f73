// Result and option types of PartitionLog (kept apart so handlers can import them cheaply).
import type { StorageLogger } from './logger.js';
import type { TailCacheBudget } from './tail-cache.js';

export type AppendError = 'RECORD_BATCH_TOO_LARGE' | 'KAFKA_STORAGE_ERROR' | 'OFFSET_OUT_OF_ORDER';

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTime: number;
  logStartOffset: number;
  /** Resolves once the bytes are in the OS, indexes updated and the HW advanced; rejects on I/O error. */
  written: Promise<void>;
  /** Set when nothing was appended (offsets are then -1 and `written` is already resolved). */
  error?: AppendError;
}

export interface ReadResult {
  /** Whole batches only, possibly empty. */
  records: Buffer;
  highWatermark: number;
  logStartOffset: number;
  /** CORRUPT_MESSAGE: a batch on disk failed the read path's structural checks (logged once). */
  error?: 'OFFSET_OUT_OF_RANGE' | 'KAFKA_STORAGE_ERROR' | 'CORRUPT_MESSAGE';
}

export interface SegmentInfo {
  baseOffset: number;
  nextOffset: number;
  size: number;
  maxTimestamp: number;
  path: string;
  indexPath: string;
  timeIndexPath: string;
  active: boolean;
}

export interface PartitionLogOptions {
  topicId?: string;
  hadCleanShutdown: boolean;
  recoveryPoint?: number;
  logStartOffset?: number;
  /** Validate every segment batch by batch (CRC-32C) even after a clean shutdown (tributary.log.recover.on.start). */
  validateAll?: boolean;
  /** The log manager's start-up load, before the broker serves: synchronous reads (log-loader.ts LoadOptions). */
  startupSync?: boolean;
  /** Initial HW when autoAdvanceHighWatermark is false (replication); clamped to the log. */
  highWatermark?: number;
  /** Single replica: HW follows the written end of the log (default true). */
  autoAdvanceHighWatermark?: boolean;
  logger?: StorageLogger;
  /**
   * Budget of the tail cache this log joins (tail-cache.ts); null disables it. Default: a budget
   * shared by every log created without one (DEFAULT_TAIL_CACHE_BYTES).
   */
  tailCache?: TailCacheBudget | null;
}

/** A programming-contract or range error from a non-hot-path operation. */
export class LogError extends Error {
  constructor(readonly code: 'OFFSET_OUT_OF_RANGE' | 'KAFKA_STORAGE_ERROR' | 'INCONSISTENT_TOPIC_ID', message: string) {
    super(message);
    this.name = 'LogError';
  }
}
