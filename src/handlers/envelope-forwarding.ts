// Envelope (KIP-590), the forwarding broker's side: the admin APIs the controller decides are,
// on any other broker, wrapped whole (the client's request and header as they came, its
// principal, its address) in an Envelope sent to the controller on this broker's own connection,
// and the controller's inner response is the client's answer. As Kafka, this broker does not
// authorize them: the controller does, as the client (envelope.ts). So these wrappers sit
// outside the ACL guards and the controller_mutation_rate quota of the APIs they forward, which
// then act only where the request is handled: on the controller.
//
// Forwarded: CreateTopics, DeleteTopics, CreatePartitions, ElectLeaders, AlterPartitionReassignments,
// ListPartitionReassignments, UnregisterBroker, and AlterConfigs / IncrementalAlterConfigs naming only topics. Not
// forwarded: configs naming a broker (each broker holds its own dynamic configs) and the APIs any
// broker handles through the metadata store (ACLs, SCRAM, quotas, delegation tokens).
//
// Envelope errors, as Kafka's ForwardingManager: UNSUPPORTED_VERSION is the client's answer as
// such; any other is logged and answered UNKNOWN_SERVER_ERROR; no controller in time answers
// NOT_CONTROLLER (clients retry it). The inner response's throttle_time_ms mutes the client here
// (KafkaApis.sendForwardedResponse).
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { EnvelopeResponse } from '../../protocol/generated/envelope.js';
import { clientHost } from '../auth/acl/request-authz.js';
import { serializePrincipal } from '../auth/principal-serde.js';
import type { ClusterControl } from '../cluster/controller/cluster-control.js';
import { hasNotController } from '../cluster/controller/controller-channel.js';
import { decodeInnerResponse, encodeClientAddress, encodeInnerRequest } from '../cluster/controller/envelope-codec.js';
import type { Logger } from '../logging/logger.js';
import type { ApiHandler, HandlerOutcome, RequestContext } from '../network/request-context.js';

const RESOURCE_TOPIC = 2;
const onlyTopics = (req: { resources: { resourceType: number }[] }) => req.resources.every((r) => r.resourceType === RESOURCE_TOPIC);

/** The APIs forwarded in an Envelope, and which of their requests (all unless said). */
const FORWARDED = new Map<number, ((req: any) => boolean) | null>([
  [Api.CreateTopics.apiKey, null],
  [Api.DeleteTopics.apiKey, null],
  [Api.CreatePartitions.apiKey, null],
  [Api.ElectLeaders.apiKey, null],
  [Api.AlterPartitionReassignments.apiKey, null],
  [Api.ListPartitionReassignments.apiKey, null],
  [Api.UnregisterBroker.apiKey, null],
  [Api.AlterConfigs.apiKey, onlyTopics],
  [Api.IncrementalAlterConfigs.apiKey, onlyTopics],
]);

export interface EnvelopeForwardingDeps {
  readonly cluster: ClusterControl;
  readonly logger: Logger;
}

/** The wrappers, by api key: each forwards when this broker is not the controller, else runs `h`. */
export function envelopeForwarding(deps: EnvelopeForwardingDeps): Map<number, (h: ApiHandler) => ApiHandler> {
  const out = new Map<number, (h: ApiHandler) => ApiHandler>();
  for (const [apiKey, applies] of FORWARDED) {
    out.set(apiKey, (h) => ({
      ...h,
      handle(ctx, req) {
        if (deps.cluster.controller || ctx.forwarded || (applies && !applies(req))) return h.handle(ctx, req);
        return forward(deps, h, ctx, req);
      },
    }));
  }
  return out;
}

async function forward(deps: EnvelopeForwardingDeps, h: ApiHandler, ctx: RequestContext, req: object): Promise<HandlerOutcome> {
  const { apiKey, apiVersion } = ctx.header;
  const refuse = (code: number) => h.errorResponse!(req, code, apiVersion);
  let res: EnvelopeResponse;
  try {
    res = await deps.cluster.forwardEnvelope(
      {
        requestData: encodeInnerRequest(ctx.header, req),
        requestPrincipal: serializePrincipal({ principal: ctx.connection.principal, tokenAuthenticated: ctx.connection.sasl?.tokenAuthenticated === true }),
        clientHostAddress: encodeClientAddress(clientHost(ctx)),
      },
      (r) => r.errorCode === ErrorCode.NONE && r.responseData !== null && hasNotController(safeDecode(r.responseData, apiKey, apiVersion)),
    );
  } catch {
    // No controller answered in time (ControllerChannel retried until its deadline).
    return refuse(ErrorCode.NOT_CONTROLLER);
  }
  if (res.errorCode !== ErrorCode.NONE || res.responseData === null) {
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) return refuse(ErrorCode.UNSUPPORTED_VERSION);
    if (res.errorCode === ErrorCode.NOT_CONTROLLER) return refuse(ErrorCode.NOT_CONTROLLER);
    deps.logger.error('forwarded request failed with an error in the envelope response', { apiKey, errorCode: res.errorCode });
    return refuse(ErrorCode.UNKNOWN_SERVER_ERROR);
  }
  const body = safeDecode(res.responseData, apiKey, apiVersion);
  if (body === null) {
    deps.logger.error('forwarded request: the controller answered bytes that do not parse', { apiKey, apiVersion });
    return refuse(ErrorCode.UNKNOWN_SERVER_ERROR);
  }
  const throttleMs = (body as { throttleTimeMs?: number }).throttleTimeMs ?? 0;
  if (throttleMs > 0) ctx.connection.throttle?.(throttleMs);
  return body;
}

function safeDecode(bytes: Buffer, apiKey: number, version: number): object | null {
  try {
    return decodeInnerResponse<object>(bytes, apiKey, version);
  } catch {
    return null;
  }
}
