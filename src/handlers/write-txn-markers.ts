// WriteTxnMarkers (v0-1): the inter-broker request a transaction coordinator sends to partition
// leaders. Here the coordinator writes markers in-process (coordinator/txn/txn-end.ts); this
// handler gives the same path to tools and tests: per partition a COMMIT/ABORT control batch,
// checked against the producer state (stale producer or coordinator epochs are rejected).
import { ErrorCode } from '../../protocol/errors.js';
import type { WriteTxnMarkersResponse } from '../../protocol/generated/write-txn-markers.js';
import { Api } from '../../protocol/generated/apis.js';
import type { PartitionManager } from '../cluster/partition-manager.js';
import { OFFSETS_TOPIC } from '../coordinator/common/internal-topics.js';
import type { TransactionCoordinator } from '../coordinator/txn/txn-coordinator.js';
import { defineHandler } from '../network/request-context.js';

/** What WriteTxnMarkers needs: the partition layer's marker append, and the coordinator told of offsets-topic markers. */
export interface WriteTxnMarkersDeps {
  partitionManager: Pick<PartitionManager, 'appendTxnMarker'>;
  txnCoordinator: Pick<TransactionCoordinator, 'offsets'> | null;
}

export function writeTxnMarkersHandler(broker: WriteTxnMarkersDeps) {
  return defineHandler(Api.WriteTxnMarkers, {
    maxVersion: 1,
    errorResponse(req, errorCode): WriteTxnMarkersResponse {
      return {
        markers: req.markers.map((m) => ({
          producerId: m.producerId,
          topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode })) })),
        })),
      };
    },
    async handle(_ctx, req): Promise<WriteTxnMarkersResponse> {
      const pending: Promise<void>[] = [];
      const markers = req.markers.map((m) => ({
        producerId: m.producerId,
        topics: m.topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => {
            const out = { partitionIndex, errorCode: ErrorCode.NONE as number };
            const spec = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, committed: m.transactionResult };
            const r = broker.partitionManager.appendTxnMarker(t.name, partitionIndex, spec);
            // A marker the log itself failed to take (e.g. a batch-size limit) is a storage error here, as before.
            if (r.errorCode !== ErrorCode.NONE) out.errorCode = r.errorCode === ErrorCode.RECORD_LIST_TOO_LARGE ? ErrorCode.KAFKA_STORAGE_ERROR : r.errorCode;
            else {
              pending.push(
                r.completion!.then(() => {
                  if (r.errorCode !== ErrorCode.NONE) out.errorCode = r.errorCode;
                  else if (t.name === OFFSETS_TOPIC) broker.txnCoordinator?.offsets.onMarker(partitionIndex, m.producerId, m.transactionResult);
                }),
              );
            }
            return out;
          }),
        })),
      }));
      await Promise.all(pending);
      return { markers };
    },
  });
}
