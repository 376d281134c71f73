// The log cleaner's view of transactions (Kafka's CleanedTransactionMetadata), for compacted
// topics written by transactional producers. One filter per cleaning pass; the pass visits the
// batches of the cleaned range in offset order, from the log start.
//
//   data batch of an aborted transaction  → its records go (and it is left out of the offset map,
//                                           so aborted values never shadow committed ones)
//   COMMIT marker                         → kept while any batch of its transaction remains
//   ABORT marker                          → kept while any batch of its transaction remains
//   either, once nothing of its transaction is left and the marker is older than
//   delete.retention.ms                   → removed (consumers that read the data have had
//                                           delete.retention.ms to read the marker too)
//
// Aborted transactions are found in the partition's aborted-transactions index. When an ABORT
// marker goes, so does its index entry — right away: the pass only removes a marker whose data
// an earlier pass already removed, so no fetch can see aborted data without the entry, and an
// entry without its marker would make read_committed consumers skip the producer's later
// committed batches.
import { ATTR_TRANSACTIONAL, type BatchInfo } from '../../../protocol/records/batch-header.js';
import type { TransactionFilter } from '../cleaner/batch-filter.js';
import type { PartitionLog } from '../partition-log.js';
import type { AbortedTxn } from '../txn-index.js';

export function cleanerTransactionFilter(log: PartitionLog): TransactionFilter {
  const index = log.producers.txnIndex;
  const byProducer = new Map<number, AbortedTxn[]>();
  for (const e of index.all()) {
    let list = byProducer.get(e.producerId);
    if (!list) byProducer.set(e.producerId, (list = []));
    list.push(e);
  }
  /** Aborted transactions with a batch seen in this pass. */
  const observed = new Set<AbortedTxn>();
  /** Producers with a committed-transaction batch seen since their last marker. */
  const openCommitted = new Set<number>();
  const retentionMs = log.config.deleteRetentionMs;

  const abortedContaining = (pid: number, offset: number) => byProducer.get(pid)?.find((e) => e.firstOffset <= offset && offset < e.lastOffset);
  const abortMarkerAt = (pid: number, offset: number) => byProducer.get(pid)?.find((e) => e.lastOffset === offset);

  return {
    isAborted(b: BatchInfo): boolean {
      if (b.producerId < 0 || (b.attributes & ATTR_TRANSACTIONAL) === 0) return false;
      const e = abortedContaining(b.producerId, b.baseOffset);
      if (e) {
        observed.add(e);
        return true;
      }
      openCommitted.add(b.producerId);
      return false;
    },
    discardControlBatch(b: BatchInfo, now: number): boolean {
      const e = abortMarkerAt(b.producerId, b.baseOffset);
      // A COMMIT (or an abort of a transaction that wrote nothing here) closes the producer's run.
      const dataLeft = e ? observed.has(e) : openCommitted.delete(b.producerId);
      if (dataLeft || now < b.maxTimestamp + retentionMs) return false;
      if (e) index.remove(e);
      return true;
    },
  };
}
