// The stage's access to this broker's own logs: append record batches the way the coordinators
// do (buildRecordBatch + partition.log.append, no network hop) and read partitions back.
import { buildRecordBatch, type RecordInput } from '../../protocol/records/batch-builder.js';
import { scanBatches } from '../../protocol/records/batch-header.js';
import { decodeRecordBatches, type DecodedBatch, type DecodedRecord } from '../../protocol/records/record-codec.js';
import type { Broker } from '../broker.js';
import type { TopicRecord } from '../metadata/topic-registry.js';

export type AppendOutcome = { ok: true; baseOffset: number; lastOffset: number } | { ok: false; error: string };

/** Appends `records` to one partition as ONE batch and waits until it is written. Never throws. */
export async function appendLocal(broker: Broker, topic: string, partition: number, records: RecordInput[], now = Date.now()): Promise<AppendOutcome> {
  const p = broker.partition(topic, partition);
  if (!p) return { ok: false, error: `UNKNOWN_TOPIC_OR_PARTITION ${topic}-${partition}` };
  if (records.length === 0) return { ok: true, baseOffset: p.log.logEndOffset, lastOffset: p.log.logEndOffset - 1 };
  let buf: Buffer;
  try {
    buf = buildRecordBatch({ records: records.map((r) => ({ ...r, timestamp: r.timestamp ?? now })) });
  } catch (e) {
    return { ok: false, error: `could not build batch: ${(e as Error).message}` };
  }
  const scan = scanBatches(buf, 0, buf.length, false);
  const res = p.log.append(buf, scan.batches, p.leaderEpoch, now);
  if (res.error) return { ok: false, error: `${res.error} appending to ${topic}-${partition}` };
  try {
    await res.written;
  } catch (e) {
    return { ok: false, error: `KAFKA_STORAGE_ERROR appending to ${topic}-${partition}: ${(e as Error).message}` };
  }
  return { ok: true, baseOffset: res.baseOffset, lastOffset: res.lastOffset };
}

/** Creates the topic unless it exists; returns its record. */
export async function ensureTopic(broker: Broker, name: string, partitions: number, configs: Record<string, string>): Promise<TopicRecord> {
  const existing = broker.topics.get(name);
  if (existing) return existing;
  return broker.createTopic(name, partitions, 1, configs);
}

const READ_BYTES = 1 << 20;

/**
 * Calls `onRecord` for every record of `topic-partition` in [from, high watermark), in order
 * (read_uncommitted: for the stage's own internal topics, which are not written transactionally).
 * Control batches are skipped. Returns the offset after the last record read.
 */
export async function readLocal(
  broker: Broker,
  topic: string,
  partition: number,
  from: number,
  onRecord: (r: DecodedRecord, batch: DecodedBatch) => void,
): Promise<number> {
  const p = broker.partition(topic, partition);
  if (!p) return from;
  const log = p.log;
  const end = log.highWatermark;
  let offset = Math.max(from, log.logStartOffset);
  while (offset < end) {
    const r = await log.read(offset, READ_BYTES, end, true);
    if (r.error) throw new Error(`reading ${topic}-${partition} at ${offset}: ${r.error}`);
    if (r.records.length === 0) break;
    for (const batch of decodeRecordBatches(r.records)) {
      if (!batch.control) {
        for (const rec of batch.records) if (rec.offset >= offset) onRecord(rec, batch);
      }
      offset = batch.baseOffset + batch.lastOffsetDelta + 1;
    }
  }
  return offset;
}

export function headerValue(r: DecodedRecord, key: string): string | null {
  for (const h of r.headers) if (h.key === key) return h.value === null ? null : h.value.toString('utf8');
  return null;
}
