// The transaction index and producer-state snapshot that travel with an uploaded segment
// (KIP-405's RemoteLogSegmentMetadata companions), as Kafka's RemoteLogManager copies them:
//   - the aborted transactions whose ABORT marker lies in the segment (Kafka keeps a `.txnindex`
//     per segment; we keep one per partition and cut the segment's share out of it);
//   - the producer snapshot taken when the segment rolled, at its next offset (the state of every
//     producer after the segment's last batch), if it is still on disk.
// Both are what a broker without the local log would need to serve read_committed fetches and
// rebuild producer state from the remote log; this broker still serves both from local state.
import { readFile } from 'node:fs/promises';
import type { PartitionLog, SegmentInfo } from '../log/partition-log.js';
import { snapshotPath } from '../log/producer-state/producer-snapshot.js';
import { encodeAbortedTxns } from '../log/txn-index.js';

export async function segmentExtras(log: PartitionLog, seg: SegmentInfo): Promise<{ txnIndex: Buffer; producerSnapshot: Buffer }> {
  const txnIndex = encodeAbortedTxns(log.producers.txnIndex.entriesWithMarkerIn(seg.baseOffset, seg.nextOffset));
  await log.producers.store.idle(); // the roll's snapshot is written asynchronously
  let producerSnapshot: Buffer;
  try {
    producerSnapshot = await readFile(snapshotPath(log.producers.dir, seg.nextOffset));
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
    producerSnapshot = Buffer.alloc(0); // pruned already, or the segment rolled before a restart
  }
  return { txnIndex, producerSnapshot };
}
