// FindCoordinator: every group and transaction coordinator is this broker (single-node cluster).
// Advertised from v0 because librdkafka < 2.x-late enables LZ4 only when it sees FindCoordinator v0.
import { ErrorCode } from '../../protocol/errors.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../protocol/generated/find-coordinator.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../network/request-context.js';

const KEY_GROUP = 0;
const KEY_TRANSACTION = 1;

export function findCoordinatorHandler(broker: Broker): ApiHandler<FindCoordinatorRequest> {
  return {
    apiKey: 10,
    minVersion: 0,
    maxVersion: 6,
    errorResponse(req, errorCode, version): FindCoordinatorResponse {
      const failed = (key: string) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null });
      if (version >= 4) return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map(failed) } as unknown as FindCoordinatorResponse;
      return { throttleTimeMs: 0, ...failed(req.key), coordinators: [] } as unknown as FindCoordinatorResponse;
    },
    handle(ctx, req): FindCoordinatorResponse {
      const v = ctx.header.apiVersion;
      const self = broker.endpointFor(ctx.connection.listenerName);
      const answer = (key: string) => {
        const keyType = v >= 1 ? req.keyType : KEY_GROUP;
        if (keyType !== KEY_GROUP && keyType !== KEY_TRANSACTION) {
          return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown key type ${keyType}` };
        }
        return { key, nodeId: self.nodeId, host: self.host, port: self.port, errorCode: ErrorCode.NONE, errorMessage: null };
      };
      if (v >= 4) {
        return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map(answer) } as unknown as FindCoordinatorResponse;
      }
      const one = answer(req.key);
      return {
        throttleTimeMs: 0,
        errorCode: one.errorCode,
        errorMessage: one.errorMessage,
        nodeId: one.nodeId,
        host: one.host,
        port: one.port,
        coordinators: [],
      } as unknown as FindCoordinatorResponse;
    },
  };
}
