// ListTransactions (v0-2): transactional ids filtered by state names, producer ids, (v1) how
// long their transaction has been open and (v2, KIP-1152) a regular expression the whole id must
// match; unknown state names are echoed back, an invalid expression is INVALID_REGULAR_EXPRESSION.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ListTransactionsResponse } from '../../protocol/generated/list-transactions.js';
import { compileTopicRegex } from '../coordinator/consumer/consumer-core.js';
import { defineHandler } from '../network/request-context.js';
import type { TxnCoordinatorRef } from './handler-deps.js';

export function listTransactionsHandler(deps: TxnCoordinatorRef) {
  return defineHandler(Api.ListTransactions, {
    errorResponse(_req, errorCode): ListTransactionsResponse {
      return { throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] };
    },
    handle(ctx, req): ListTransactionsResponse {
      const tc = deps.txnCoordinator;
      if (!tc) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
      const v = ctx.header.apiVersion;
      // Null or empty: no filter (Kafka matches with RE2 against the whole id).
      const pattern = v >= 2 && req.transactionalIdPattern ? compileTopicRegex(req.transactionalIdPattern) : null;
      if (v >= 2 && req.transactionalIdPattern && pattern === null) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, unknownStateFilters: [], transactionStates: [] };
      }
      const r = tc.list(req.stateFilters, req.producerIdFilters, v >= 1 ? req.durationFilter : -1);
      const transactionStates = pattern ? r.transactions.filter((t) => pattern.test(t.transactionalId)) : r.transactions;
      return { throttleTimeMs: 0, errorCode: r.errorCode, unknownStateFilters: r.unknownStateFilters, transactionStates };
    },
  });
}
