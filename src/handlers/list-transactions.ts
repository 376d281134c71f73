// ListTransactions (v0-1): transactional ids filtered by state names, producer ids and (v1) how
// long their transaction has been open; unknown state names are echoed back.
import { ErrorCode } from '../../protocol/errors.js';
import type { ListTransactionsRequest, ListTransactionsResponse } from '../../protocol/generated/list-transactions.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../network/request-context.js';

export function listTransactionsHandler(broker: Broker): ApiHandler<ListTransactionsRequest> {
  return {
    apiKey: 66,
    minVersion: 0,
    maxVersion: 1,
    errorResponse(_req, errorCode): ListTransactionsResponse {
      return { throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] };
    },
    handle(ctx, req): ListTransactionsResponse {
      const tc = broker.txnCoordinator;
      if (!tc) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
      const r = tc.list(req.stateFilters, req.producerIdFilters, ctx.header.apiVersion >= 1 ? req.durationFilter : -1);
      return { throttleTimeMs: 0, errorCode: r.errorCode, unknownStateFilters: r.unknownStateFilters, transactionStates: r.transactions };
    },
  };
}
