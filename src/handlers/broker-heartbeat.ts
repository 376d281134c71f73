// BrokerHeartbeat (v0-2), cluster mode only, on the controller: Tributary uses it for what KRaft
// uses it for at shutdown, controlled shutdown (`wantShutDown`). Liveness itself is the broker's
// lease on the metadata store, not this heartbeat. The controller moves every leadership off the
// broker and takes it out of the ISRs; `shouldShutDown` once nothing is led there any more.
// NOT_CONTROLLER from a broker that is not the controller; STALE_BROKER_EPOCH for an old incarnation.
import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerHeartbeatResponse } from '../../protocol/generated/broker-heartbeat.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ClusterControl } from '../cluster/controller/cluster-control.js';
import { defineHandler } from '../network/request-context.js';

function answer(errorCode: number, shouldShutDown = false): BrokerHeartbeatResponse {
  return { throttleTimeMs: 0, errorCode, isCaughtUp: errorCode === ErrorCode.NONE, isFenced: false, shouldShutDown };
}

export function brokerHeartbeatHandler(broker: { readonly cluster: ClusterControl }) {
  return defineHandler(Api.BrokerHeartbeat, {
    errorResponse: (_req, errorCode) => answer(errorCode),
    async handle(_ctx, req): Promise<BrokerHeartbeatResponse> {
      const controller = broker.cluster.controller;
      if (!controller) return answer(ErrorCode.NOT_CONTROLLER);
      if (!req.wantShutDown) return answer(controller.liveBrokerIds().includes(req.brokerId) ? ErrorCode.NONE : ErrorCode.BROKER_ID_NOT_REGISTERED);
      const r = await controller.controlledShutdown(req.brokerId, req.brokerEpoch);
      return answer(r.errorCode, r.errorCode === ErrorCode.NONE && r.waitable === 0);
    },
  });
}
