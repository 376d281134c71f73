// The console's message browser: reads records of one partition with plain Fetch requests (no
// group, nothing left behind on the cluster), starting at an offset, at a timestamp, or N records
// before the end. Keys, values and headers go to the page as text when they are printable UTF-8
// and as hex otherwise, each cut at a display limit; the page escapes all of it.
import { topicMetadata, type ClusterClients } from './cluster-clients.js';
import { ConsoleRequestError } from './console-errors.js';

export const MAX_RECORDS = 500;
/** Bytes of a key, value or header shown; the full size is reported beside it. */
const SHOWN_BYTES = 16 * 1024;
const FETCH_BYTES = 1 << 20;
/** Fetch round trips per request: a partition of tiny or filtered records still ends quickly. */
const MAX_FETCHES = 20;
/**
 * Record bytes (keys, values, headers) read per partition and request: with the per-field display
 * cut and MAX_RECORDS this bounds what one request holds in memory (a whole topic is read
 * PARALLEL_PARTITIONS partitions at a time, each with TOPIC_PARTITION_BUDGET).
 */
const PARTITION_BUDGET = 8 << 20;
const TOPIC_PARTITION_BUDGET = 1 << 20;

export interface ShownBytes {
  size: number;
  /** Printable UTF-8 (tabs and newlines allowed), else null. */
  text: string | null;
  /** Hex of the shown bytes when they are not printable text. */
  hex: string | null;
  truncated: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function showBytes(b: Buffer | null | undefined): ShownBytes | null {
  if (b === null || b === undefined) return null;
  const shown = b.subarray(0, SHOWN_BYTES);
  let text: string | null = null;
  try {
    // A cut in the middle of a multi-byte character is not a reason to call it binary: a
    // streaming decode holds the partial character back. That state lives in the decoder, so a
    // cut value gets a decoder of its own.
    const cut = shown.length < b.length;
    text = (cut ? new TextDecoder('utf-8', { fatal: true }) : utf8).decode(shown, { stream: cut });
    // Control characters other than tab, newline and carriage return: not text.
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) text = null;
  } catch {
    text = null;
  }
  return { size: b.length, text, hex: text === null ? shown.toString('hex') : null, truncated: shown.length < b.length };
}

export interface BrowseQuery {
  partition: number;
  /** Start here (clamped to the log). */
  offset?: bigint;
  /** Start at the first record at or after this time (ms). */
  timestamp?: bigint;
  /** How many records; without offset/timestamp, the last `limit` records. */
  limit: number;
}

/** Partitions read at once when browsing a whole topic. */
const PARALLEL_PARTITIONS = 8;

type BrowsedRecord = Awaited<ReturnType<typeof browsePartition>>['records'][number];

/**
 * Every partition of the topic: the last `limit` records by timestamp (each partition's last
 * `limit`, merged), or the first `limit` at or after a timestamp. An offset only means something
 * within one partition.
 */
export async function browseTopic(c: ClusterClients, topic: string, q: Omit<BrowseQuery, 'partition'>) {
  if (q.offset !== undefined) throw new ConsoleRequestError('INVALID_REQUEST', 'an offset needs a partition');
  checkLimit(q.limit);
  const consumer = await c.consumer();
  const t = await topicMetadata(consumer, topic);
  const partitions = [];
  let records: BrowsedRecord[] = [];
  const indexes = t.partitions.map((_, i) => i);
  for (let i = 0; i < indexes.length; i += PARALLEL_PARTITIONS) {
    const chunk = await Promise.all(indexes.slice(i, i + PARALLEL_PARTITIONS).map((partition) => browsePartition(c, topic, t, { ...q, partition }, TOPIC_PARTITION_BUDGET)));
    for (const { records: got, ...rest } of chunk) {
      partitions.push(rest);
      records.push(...got);
    }
    // Keep only what can still be shown, so a topic of many partitions never piles up records.
    records.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset);
    records = q.timestamp !== undefined ? records.slice(0, q.limit) : records.slice(Math.max(0, records.length - q.limit));
  }
  return { topic, partition: null, partitions, records };
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RECORDS) throw new ConsoleRequestError('INVALID_REQUEST', `limit must be between 1 and ${MAX_RECORDS}`);
}

export async function browseMessages(c: ClusterClients, topic: string, q: BrowseQuery) {
  checkLimit(q.limit);
  const consumer = await c.consumer();
  const t = await topicMetadata(consumer, topic);
  return browsePartition(c, topic, t, q, PARTITION_BUDGET);
}

async function browsePartition(c: ClusterClients, topic: string, t: Awaited<ReturnType<typeof topicMetadata>>, q: BrowseQuery, budgetBytes: number) {
  const consumer = await c.consumer();
  const part = t.partitions[q.partition];
  if (!Number.isInteger(q.partition) || !part) throw new ConsoleRequestError('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${topic} has no partition ${q.partition}`, 404);
  const partitions = { [topic]: [q.partition] };
  const at = async (timestamp: bigint) => (await consumer.listOffsets({ topics: [topic], partitions, timestamp })).get(topic)?.[q.partition] ?? 0n;
  const [lo, hi] = await Promise.all([at(-2n), at(-1n)]);
  let start: bigint;
  if (q.offset !== undefined) start = q.offset;
  else if (q.timestamp !== undefined) {
    const found = await at(q.timestamp);
    start = found >= 0n ? found : hi;
  } else start = hi - BigInt(q.limit);
  if (start < lo) start = lo;
  if (start > hi) start = hi;

  const records = [];
  let next = start;
  let bytes = 0;
  for (let i = 0; i < MAX_FETCHES && next < hi && records.length < q.limit && bytes < budgetBytes; i++) {
    const res = await consumer.fetch({
      node: part.leader,
      maxWaitTime: 100,
      isolationLevel: 0,
      topics: [{ topicId: t.id, partitions: [{ partition: q.partition, fetchOffset: next, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: FETCH_BYTES }] }],
    });
    const p = res.responses[0]?.partitions[0];
    if (!p) break;
    if (p.errorCode !== 0) {
      const name = (await c.kafka()).protocolErrorsCodesById[p.errorCode] ?? `error code ${p.errorCode}`;
      throw Object.assign(new Error(`Fetch ${topic}[${q.partition}] failed: ${name}`), { apiId: name, apiCode: p.errorCode });
    }
    const before = next;
    let full = false;
    for (const batch of p.records ?? []) {
      const after = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
      // Control batches (transaction markers) take an offset but are not messages.
      if ((batch.attributes & 0x20) === 0) {
        for (const r of batch.records) {
          const offset = batch.firstOffset + BigInt(r.offsetDelta);
          if (offset < next) continue;
          if (records.length >= q.limit) {
            // nextOffset: where a following page starts, the first record not shown.
            next = offset;
            full = true;
            break;
          }
          bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0) + r.headers.reduce((n, [k, v]) => n + (k?.length ?? 0) + (v?.length ?? 0), 0);
          records.push({
            partition: q.partition,
            offset: Number(offset),
            timestamp: Number(batch.firstTimestamp + r.timestampDelta),
            key: showBytes(r.key),
            value: showBytes(r.value),
            headers: r.headers.map(([k, v]) => ({ key: k ? k.toString('utf8') : '', value: showBytes(v) })),
          });
        }
      }
      if (full) break;
      if (after > next) next = after;
    }
    if (full || next === before) break;
  }
  return { topic, partition: q.partition, logStartOffset: Number(lo), logEndOffset: Number(hi), startOffset: Number(start), nextOffset: Number(next), records };
}
