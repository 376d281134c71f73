// Periodic upkeep of every partition's producer state (producer.id.expiration.check.interval.ms):
// producers idle longer than producer.id.expiration.ms and without an open transaction are
// forgotten, aborted-index entries and producer snapshots wholly below the log start are dropped.
import type { PartitionLog } from '../../../storage/log/partition-log.js';

export function runProducerMaintenance(logs: Iterable<PartitionLog>, now: number, expirationMs: number): number {
  let expired = 0;
  for (const log of logs) {
    if (log.isClosed || log.failed) continue;
    expired += log.producers.removeExpiredProducers(now, expirationMs);
    log.producers.txnIndex.pruneBefore(log.localLogStartOffset);
    void log.producers.store.pruneSnapshots(log.localLogStartOffset).catch(() => {});
  }
  return expired;
}
