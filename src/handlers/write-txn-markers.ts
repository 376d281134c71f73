// WriteTxnMarkers (v0-1): the inter-broker request a transaction coordinator sends to partition
// leaders. Here the coordinator writes markers in-process (coordinator/txn/txn-end.ts); this
// handler gives the same path to tools and tests: per partition a COMMIT/ABORT control batch,
// checked against the producer state (stale producer or coordinator epochs are rejected).
import { ErrorCode } from '../../protocol/errors.js';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../protocol/generated/write-txn-markers.js';
import { appendTxnMarker } from '../../storage/log/producer-state/append-with-state.js';
import type { Broker } from '../broker.js';
import { OFFSETS_TOPIC } from '../coordinator/common/internal-topics.js';
import type { ApiHandler } from '../network/request-context.js';

export function writeTxnMarkersHandler(broker: Broker): ApiHandler<WriteTxnMarkersRequest> {
  return {
    apiKey: 27,
    minVersion: 0,
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
            const p = broker.partition(t.name, partitionIndex);
            if (!p) {
              out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
              return out;
            }
            const spec = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, committed: m.transactionResult };
            const r = appendTxnMarker(p.log, spec, p.leaderEpoch);
            if (r.errorCode !== ErrorCode.NONE) out.errorCode = r.errorCode;
            else if (r.result!.error) out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
            else {
              pending.push(
                r.result!.written.then(
                  () => {
                    if (t.name === OFFSETS_TOPIC) broker.txnCoordinator?.offsets.onMarker(partitionIndex, m.producerId, m.transactionResult);
                  },
                  () => void (out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR),
                ),
              );
            }
            return out;
          }),
        })),
      }));
      await Promise.all(pending);
      return { markers };
    },
  };
}
