// Per-partition log settings, named after Kafka's topic configs (segment.bytes, retention.ms, ...).
// The broker resolves topic overrides over broker defaults and hands the result to the log;
// PartitionLog.updateConfig applies changes to later appends and retention passes.

export interface LogConfig {
  /** segment.bytes: roll the active segment before it would grow past this. */
  segmentBytes: number;
  /** segment.ms: roll once the active segment's first batch is older than this. */
  segmentMs: number;
  /** segment.jitter.ms: each segment rolls up to this much (random, fixed per segment) before segment.ms, so that many partitions created together do not all roll at once. */
  segmentJitterMs?: number;
  /** retention.ms: delete segments whose largest timestamp is older than this (-1 = keep forever). */
  retentionMs: number;
  /** retention.bytes: delete the oldest segments while the log is bigger than this (-1 = no limit). */
  retentionBytes: number;
  /** index.interval.bytes: bytes between two sparse offset/time index entries. */
  indexIntervalBytes: number;
  /** segment.index.bytes: roll when an index would exceed this many bytes. */
  segmentIndexBytes: number;
  /** flush.messages: fsync after this many records (counted from batch headers). */
  flushMessages: number;
  /** flush.ms: fsync when the last flush is older than this (driven by the LogManager timer). */
  flushMs: number;
  /** file.delete.delay.ms: deleted segments stay readable (renamed *.deleted) this long. */
  fileDeleteDelayMs: number;
  /** message.timestamp.type */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** cleanup.policy: 'delete' (retention), 'compact' (log cleaner), or both. */
  cleanupPolicy: readonly CleanupPolicy[];
  /** delete.retention.ms: a tombstone stays this long after the cleaner first kept it (its delete horizon). */
  deleteRetentionMs: number;
  /** min.cleanable.dirty.ratio: compact once dirty bytes / (clean + dirty) bytes exceeds this. */
  minCleanableDirtyRatio: number;
  /** min.compaction.lag.ms: segments holding records newer than this are not compacted yet. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a dirty record older than this makes the log eligible regardless of the ratio. */
  maxCompactionLagMs: number;
  /** remote.storage.enable: rolled segments are copied to the object store (storage/tier) and local retention deletes only copied ones. */
  remoteStorageEnable?: boolean;
  /** remote.log.copy.disable (KIP-950): a tiered log copies no more segments; remote data stays readable and local retention no longer waits for copies. */
  remoteLogCopyDisable?: boolean;
  /** local.retention.ms of a tiered log: how long the local copy stays (-2 = retention.ms). */
  localRetentionMs?: number;
  /** local.retention.bytes of a tiered log: local bytes kept (-2 = retention.bytes). */
  localRetentionBytes?: number;
}

export type CleanupPolicy = 'compact' | 'delete';

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentJitterMs: 0,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  fileDeleteDelayMs: 60_000,
  messageTimestampType: 'CreateTime',
  cleanupPolicy: Object.freeze(['delete']) as readonly CleanupPolicy[],
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  remoteStorageEnable: false,
  localRetentionMs: -2,
  localRetentionBytes: -2,
}) as LogConfig;

export function isCompacted(cfg: LogConfig): boolean {
  return cfg.cleanupPolicy.includes('compact');
}

/** retention.ms / retention.bytes apply only with the 'delete' policy (Kafka's LogConfig.delete). */
export function hasDeletePolicy(cfg: LogConfig): boolean {
  return cfg.cleanupPolicy.includes('delete');
}

/**
 * Local retention limit of a tiered log: -2 means "same as the total"; a local limit may not exceed
 * a finite total (Kafka rejects such configs; here the total wins).
 */
export function localRetentionLimit(local: number | undefined, total: number): number {
  if (local === undefined || local === -2) return total;
  if (total >= 0 && (local < 0 || local > total)) return total;
  return local;
}

/** Returns DEFAULT_LOG_CONFIG (or `base`) with `overrides` applied. */
export function logConfig(overrides: Partial<LogConfig> = {}, base: LogConfig = DEFAULT_LOG_CONFIG): LogConfig {
  return { ...base, ...overrides };
}

/** Kafka's LogConfig.randomSegmentJitter: uniform in [0, min(segment.jitter.ms, segment.ms)). */
export function randomSegmentJitter(cfg: Pick<LogConfig, 'segmentMs' | 'segmentJitterMs'>, random = Math.random): number {
  const jitter = cfg.segmentJitterMs ?? 0;
  if (jitter <= 0) return 0;
  return Math.floor(random() * Math.min(jitter, cfg.segmentMs));
}
