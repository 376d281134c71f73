// Periodic upkeep of every partition's producer state (producer.id.expiration.check.interval.ms):
// producers idle longer than producer.id.expiration.ms and without an open transaction are
// forgotten, aborted-index entries below the log start and producer snapshots below the local
// log start are dropped.
// Owned by the partition layer (PartitionManager.expireProducers): no coordinator touches a log.
import type { PartitionLog } from '../../storage/log/partition-log.js';

export function runProducerMaintenance(logs: Iterable<PartitionLog>, now: number, expirationMs: number): number {
  let expired = 0;
  for (const log of logs) {
    if (log.isClosed || log.failed) continue;
    expired += log.producers.removeExpiredProducers(now, expirationMs);
    // logStartOffset, not the local one: remote (tiered) reads still need their aborted entries.
    log.producers.txnIndex.pruneBefore(log.logStartOffset);
    void log.producers.store.pruneSnapshots(log.localLogStartOffset).catch(() => {});
  }
  return expired;
}
