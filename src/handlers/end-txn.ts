// EndTxn: commit or abort the producer's transaction. v5 is transaction version 2 (KIP-890 part
// 2): the coordinator bumps the epoch at every transaction end and answers with the producer id
// and epoch to use next; v0-4 keep the epoch (and answer -1/-1).
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { EndTxnResponse } from '../../protocol/generated/end-txn.js';
import { defineHandler } from '../network/request-context.js';
import type { TxnCoordinatorRef } from './handler-deps.js';

const FENCED_SINCE = 2;
const TV2_SINCE = 5;

export function endTxnHandler(deps: TxnCoordinatorRef) {
  return defineHandler(Api.EndTxn, {
    errorResponse(_req, errorCode): EndTxnResponse {
      return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
    },
    async handle(ctx, req): Promise<EndTxnResponse> {
      const tc = deps.txnCoordinator;
      if (!tc) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 };
      if (ctx.header.apiVersion >= TV2_SINCE) {
        const r = await tc.endTxnV2(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
        return { throttleTimeMs: 0, ...r };
      }
      const code = await tc.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
      const errorCode = code === ErrorCode.PRODUCER_FENCED && ctx.header.apiVersion < FENCED_SINCE ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
      return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
    },
  });
}
