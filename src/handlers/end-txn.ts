// EndTxn (v0-4): commit or abort the producer's transaction. v5 (KIP-890 part 2, an epoch bump
// per transaction) needs transaction.version 2, which this broker does not advertise.
import { ErrorCode } from '../../protocol/errors.js';
import type { EndTxnRequest, EndTxnResponse } from '../../protocol/generated/end-txn.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../network/request-context.js';

const FENCED_SINCE = 2;

export function endTxnHandler(broker: Broker): ApiHandler<EndTxnRequest> {
  return {
    apiKey: 26,
    minVersion: 0,
    maxVersion: 4,
    errorResponse(_req, errorCode): EndTxnResponse {
      return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
    },
    async handle(ctx, req): Promise<EndTxnResponse> {
      const tc = broker.txnCoordinator;
      if (!tc) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 };
      const code = await tc.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
      const errorCode = code === ErrorCode.PRODUCER_FENCED && ctx.header.apiVersion < FENCED_SINCE ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
      return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
    },
  };
}
