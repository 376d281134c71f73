// Shared by the cleaner tests: keyed batches, reading a whole log back (decoded), a test clock and
// a LogCleaner bound to one log.
import { basename, dirname } from 'node:path';
import { scanBatches, Compression } from '../../../protocol/records/batch-header.js';
import { buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import { decodeRecordBatches, type DecodedBatch } from '../../../protocol/records/record-codec.js';
import { LogCleaner, type LogCleanerOptions } from '../../../storage/log/cleaner/log-cleaner.js';
import { logConfig, type LogConfig } from '../../../storage/log/log-config.js';
import { PartitionLog, type PartitionLogOptions } from '../../../storage/log/partition-log.js';

export interface Rec {
  key: string | null;
  value: string | null;
  timestamp?: number;
}

export interface BatchOpts {
  compression?: Compression;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  timestamp?: number;
}

export const COMPACT: Partial<LogConfig> = {
  segmentBytes: 2048,
  indexIntervalBytes: 256,
  fileDeleteDelayMs: 0,
  retentionMs: -1,
  cleanupPolicy: ['compact'],
  minCleanableDirtyRatio: 0.5,
  deleteRetentionMs: 10_000,
};

/** Opens `<parent>/<topic>-<partition>` (the name gives topic and partition, as in a log dir). */
export function openCompacted(dir: string, cfg: Partial<LogConfig> = {}, opts: Partial<PartitionLogOptions> = {}): Promise<PartitionLog> {
  const m = /^(.+)-(\d+)$/.exec(basename(dir))!;
  return PartitionLog.open(dir, m[1]!, Number(m[2]), logConfig({ ...COMPACT, ...cfg }), { hadCleanShutdown: true, ...opts });
}

/** Appends one batch of `records`; returns its base offset. */
export async function produce(log: PartitionLog, records: Rec[], opts: BatchOpts = {}): Promise<number> {
  const ts = opts.timestamp ?? 1_000_000;
  const buf = buildRecordBatch({
    compression: opts.compression,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    baseSequence: opts.baseSequence,
    records: records.map((r) => ({
      key: r.key === null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      timestamp: r.timestamp ?? ts,
    })),
  });
  const scan = scanBatches(buf);
  const r = log.append(buf, scan.batches, 0);
  await r.written;
  if (r.error) throw new Error(r.error);
  return r.baseOffset;
}

export interface ReadRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** Every batch from the log start to the high watermark, decoded (CRC checked). */
export async function readBatches(log: PartitionLog): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const r = await log.read(offset, 1 << 20, log.highWatermark, true);
    if (r.error) throw new Error(r.error);
    if (r.records.length === 0) break;
    const batches = decodeRecordBatches(r.records);
    out.push(...batches);
    offset = batches[batches.length - 1]!.baseOffset + batches[batches.length - 1]!.lastOffsetDelta + 1;
  }
  return out;
}

export async function readAll(log: PartitionLog): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  for (const b of await readBatches(log)) {
    for (const r of b.records) out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: r.timestamp });
  }
  return out;
}

/** key -> value of its last record (null for a tombstone). */
export function latestByKey(records: { key: string | null; value: string | null }[]): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const r of records) if (r.key !== null) m.set(r.key, r.value);
  return m;
}

export function expectStrictlyIncreasing(records: { offset: number }[]): void {
  for (let i = 1; i < records.length; i++) {
    if (!(records[i]!.offset > records[i - 1]!.offset)) throw new Error(`offsets not increasing at ${i}: ${records[i - 1]!.offset} then ${records[i]!.offset}`);
  }
}

export class TestClock {
  constructor(public ms = 1_000_000) {}
  now = (): number => this.ms;
}

export function cleanerFor(logs: PartitionLog[], clock: TestClock, opts: Partial<LogCleanerOptions> = {}): LogCleaner {
  return new LogCleaner({ logDirs: [...new Set(logs.map((l) => dirname(l.dir)))], logs: () => logs, time: clock.now, backoffMs: 60_000, ...opts });
}
