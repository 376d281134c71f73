// FindCoordinator: every group and transaction coordinator is this broker (single-node cluster).
// Advertised from v0 because librdkafka < 2.x-late enables LZ4 only when it sees FindCoordinator v0.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { FindCoordinatorResponse, FindCoordinatorResponseCoordinator } from '../../protocol/generated/find-coordinator.js';
import { defineHandler } from '../network/request-context.js';
import type { EndpointDirectory } from './handler-deps.js';

const KEY_GROUP = 0;
const KEY_TRANSACTION = 1;

export function findCoordinatorHandler(endpoints: Pick<EndpointDirectory, 'endpointFor'>) {
  return defineHandler(Api.FindCoordinator, {
    errorResponse(req, errorCode, version): FindCoordinatorResponse {
      const failed = (key: string) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null });
      // v4+ answers per key in `coordinators`; older versions have the single-key fields only.
      if (version >= 4) return { ...Api.FindCoordinator.defaultResponse(), coordinators: req.coordinatorKeys.map(failed) };
      return { ...Api.FindCoordinator.defaultResponse(), ...failed(req.key) };
    },
    handle(ctx, req): FindCoordinatorResponse {
      const v = ctx.header.apiVersion;
      const self = endpoints.endpointFor(ctx.connection.listenerName);
      const answer = (key: string): FindCoordinatorResponseCoordinator => {
        const keyType = v >= 1 ? req.keyType : KEY_GROUP;
        if (keyType !== KEY_GROUP && keyType !== KEY_TRANSACTION) {
          return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown key type ${keyType}` };
        }
        return { key, nodeId: self.nodeId, host: self.host, port: self.port, errorCode: ErrorCode.NONE, errorMessage: null };
      };
      if (v >= 4) return { ...Api.FindCoordinator.defaultResponse(), coordinators: req.coordinatorKeys.map(answer) };
      const { key: _key, ...one } = answer(req.key);
      return { ...Api.FindCoordinator.defaultResponse(), ...one };
    },
  });
}
