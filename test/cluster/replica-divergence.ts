// Replica divergence (issue 13/14, the Jepsen test's lost transactional records): with every
// replica in the ISR and no traffic, the three copies of a partition must hold the same batches
// (offset, epoch, producer, CRC) — a follower that skipped a batch while its log end moved past
// it is a loss waiting for an election, even when the leader still serves it. Reads the segment
// files of each broker's partition dir directly (batch headers only); the brokers may be running.
import fs from 'node:fs';
import path from 'node:path';
import { LOG_OVERHEAD, OFF_BATCH_LENGTH, OFF_CRC, readBatchHeader } from '../../protocol/records/batch-header.js';

export interface BatchKey {
  baseOffset: number;
  lastOffset: number;
  epoch: number;
  producerId: number;
  sequence: number;
  crc: number;
}

/** Every whole batch in `partitionDir`'s segment files, in offset order. */
export function batchesIn(partitionDir: string): BatchKey[] {
  const logs = fs
    .readdirSync(partitionDir)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .sort();
  const out: BatchKey[] = [];
  for (const name of logs) {
    const buf = fs.readFileSync(path.join(partitionDir, name));
    let pos = 0;
    while (pos + LOG_OVERHEAD <= buf.length) {
      const len = buf.readInt32BE(pos + OFF_BATCH_LENGTH);
      if (len <= 0 || pos + LOG_OVERHEAD + len > buf.length) break;
      const b = readBatchHeader(buf, pos);
      out.push({ baseOffset: b.baseOffset, lastOffset: b.baseOffset + b.lastOffsetDelta, epoch: b.partitionLeaderEpoch, producerId: b.producerId, sequence: b.baseSequence, crc: buf.readUInt32BE(pos + OFF_CRC) });
      pos += b.size;
    }
  }
  return out;
}

const same = (a: BatchKey, b: BatchKey): boolean => a.baseOffset === b.baseOffset && a.lastOffset === b.lastOffset && a.epoch === b.epoch && a.crc === b.crc;
const show = (b: BatchKey | undefined): string => (b ? `[${b.baseOffset}..${b.lastOffset} e${b.epoch} pid ${b.producerId} seq ${b.sequence}]` : 'nothing');

/**
 * Differences between the replicas of `topic`-`partition` under each data dir (keyed by node id):
 * every replica's batches compared with the first one's, up to the shorter log's end. Empty when
 * they agree.
 */
export function divergence(dataDirs: Map<number, string>, topic: string, partition: number): string[] {
  const copies = [...dataDirs].map(([id, dir]) => ({ id, batches: batchesIn(path.join(dir, `${topic}-${partition}`)) }));
  const problems: string[] = [];
  const [ref, ...rest] = copies;
  if (!ref) return problems;
  for (const c of rest) {
    const endA = ref.batches.at(-1)?.lastOffset ?? -1;
    const endB = c.batches.at(-1)?.lastOffset ?? -1;
    if (endA !== endB) problems.push(`${topic}-${partition}: broker ${ref.id} ends at ${endA}, broker ${c.id} at ${endB}`);
    const end = Math.min(endA, endB);
    let i = 0;
    let j = 0;
    while (i < ref.batches.length || j < c.batches.length) {
      const a = ref.batches[i];
      const b = c.batches[j];
      if ((a === undefined || a.baseOffset > end) && (b === undefined || b.baseOffset > end)) break;
      if (a && b && same(a, b)) {
        i++;
        j++;
        continue;
      }
      problems.push(`${topic}-${partition}: broker ${ref.id} has ${show(a)} where broker ${c.id} has ${show(b)}`);
      if (problems.length > 20) return problems;
      // Resynchronise on offsets: skip the lower batch.
      if (a && (!b || a.baseOffset < b.baseOffset)) i++;
      else if (b && (!a || b.baseOffset < a.baseOffset)) j++;
      else {
        i++;
        j++;
      }
    }
  }
  return problems;
}
