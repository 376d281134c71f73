// Per-partition log settings, named after Kafka's topic configs (segment.bytes, retention.ms, ...).
// The broker resolves topic overrides over broker defaults and hands the result to the log;
// PartitionLog.updateConfig applies changes to later appends and retention passes.

export interface LogConfig {
  /** segment.bytes: roll the active segment before it would grow past this. */
  segmentBytes: number;
  /** segment.ms: roll once the active segment's first batch is older than this. */
  segmentMs: number;
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
}

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  fileDeleteDelayMs: 60_000,
  messageTimestampType: 'CreateTime',
}) as LogConfig;

/** Returns DEFAULT_LOG_CONFIG (or `base`) with `overrides` applied. */
export function logConfig(overrides: Partial<LogConfig> = {}, base: LogConfig = DEFAULT_LOG_CONFIG): LogConfig {
  return { ...base, ...overrides };
}
