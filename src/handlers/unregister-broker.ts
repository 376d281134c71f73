// UnregisterBroker (v0, KIP-631), cluster mode: removes a broker's registration, as
// `kafka-cluster.sh unregister --id N` / Admin.unregisterBroker do on KRaft. A cleanly stopped
// broker stays registered (fenced) and keeps counting for replica placement until then. Decided
// by the controller (forwarded in an Envelope from any other broker, as Kafka forwards it);
// BROKER_ID_NOT_REGISTERED for an id that is not registered; CLUSTER ALTER under an authorizer.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { UnregisterBrokerResponse } from '../../protocol/generated/unregister-broker.js';
import { onController, type ClusterControl } from '../cluster/controller/cluster-control.js';
import { defineHandler } from '../network/request-context.js';

function answer(errorCode: number, errorMessage: string | null = null): UnregisterBrokerResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage };
}

export function unregisterBrokerHandler(broker: { readonly cluster: ClusterControl }) {
  return defineHandler(Api.UnregisterBroker, {
    errorResponse: (_req, errorCode) => answer(errorCode),
    handle(ctx, req): Promise<UnregisterBrokerResponse> {
      return onController(
        broker.cluster,
        Api.UnregisterBroker.apiKey,
        ctx.header.apiVersion,
        req,
        async (controller) => {
          const r = await controller.unregisterBroker(req.brokerId);
          return answer(r.errorCode, r.errorCode === ErrorCode.NONE ? null : (r.errorMessage ?? null));
        },
        (errorCode, message) => answer(errorCode, message),
      );
    },
  });
}
