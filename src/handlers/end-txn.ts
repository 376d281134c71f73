// EndTxn: commit or abort the producer's transaction. v5 is transaction version 2 (KIP-890 part
// 2): the coordinator bumps the epoch at every transaction end and answers with the producer id
// and epoch to use next; v0-4 keep the epoch (and answer -1/-1).
import { ErrorCode } from '../../protocol/errors.js';
import type { EndTxnRequest, EndTxnResponse } from '../../protocol/generated/end-txn.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../network/request-context.js';

const FENCED_SINCE = 2;
const TV2_SINCE = 5;

export function endTxnHandler(broker: Broker): ApiHandler<EndTxnRequest> {
  return {
    apiKey: 26,
    minVersion: 0,
    maxVersion: 5,
    errorResponse(_req, errorCode): EndTxnResponse {
      return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
    },
    async handle(ctx, req): Promise<EndTxnResponse> {
      const tc = broker.txnCoordinator;
      if (!tc) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 };
      if (ctx.header.apiVersion >= TV2_SINCE) {
        const r = await tc.endTxnV2(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
        return { throttleTimeMs: 0, ...r };
      }
      const code = await tc.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
      const errorCode = code === ErrorCode.PRODUCER_FENCED && ctx.header.apiVersion < FENCED_SINCE ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
      return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
    },
  };
}
