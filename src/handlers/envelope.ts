// Envelope (api 58, KIP-590), the controller's side: a broker forwards a client's admin request
// wrapped with the client's principal and address; the controller handles the inner request as
// that client (ACLs, quotas by user / client-id) and answers with the serialized inner response.
// As Kafka (KafkaApis.handleEnvelope, EnvelopeUtils):
//   - only on the inter-broker listener: anywhere else the connection is closed;
//   - the sender needs CLUSTER_ACTION on the cluster, else CLUSTER_AUTHORIZATION_FAILED;
//   - not the active controller: NOT_CONTROLLER (the forwarder re-sends to the new one);
//   - principal bytes that do not parse: PRINCIPAL_DESERIALIZATION_FAILURE; a client address that
//     is not 4 or 16 bytes: INVALID_REQUEST; an inner API that is not forwardable: INVALID_REQUEST;
//     an inner request that does not parse (header, version, body): UNSUPPORTED_VERSION.
// The inner request runs through the same handler table a client connection uses (guards,
// quotas, metrics), never through forwarding again (ctx.forwarded). Its throttle_time_ms goes
// back in the inner response; the forwarding broker mutes its client for it, so the shared
// broker-to-controller connection is never muted for one client's quota.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { EnvelopeResponse } from '../../protocol/generated/envelope.js';
import { AclOperation as Op, CLUSTER_NAME, ResourceType as R } from '../auth/acl/acl-model.js';
import { authorized, type HasAuthorizer } from '../auth/acl/request-authz.js';
import { deserializePrincipal, PrincipalDeserializationError } from '../auth/principal-serde.js';
import type { ClusterControl } from '../cluster/controller/cluster-control.js';
import { decodeClientAddress, decodeInnerRequest, encodeInnerResponse, FORWARDABLE_APIS, InnerRequestError } from '../cluster/controller/envelope-codec.js';
import type { Logger } from '../logging/logger.js';
import { CLOSE_CONNECTION, defineHandler, type ApiHandler, type ConnectionInfo, type HandlerOutcome, type RequestContext } from '../network/request-context.js';

export interface EnvelopeDeps extends HasAuthorizer {
  readonly cluster: ClusterControl;
  readonly logger: Logger;
  /** The handler table as client connections see it (read at request time: it is built after this handler). */
  handlerFor(apiKey: number): ApiHandler | undefined;
}

const refuse = (errorCode: number): EnvelopeResponse => ({ responseData: null, errorCode });

export function envelopeHandler(deps: EnvelopeDeps) {
  return defineHandler(Api.Envelope, {
    errorResponse: (_req, errorCode) => refuse(errorCode),
    async handle(ctx, req): Promise<HandlerOutcome<EnvelopeResponse>> {
      const log = deps.logger;
      if (ctx.connection.listenerName !== deps.cluster.interBrokerListenerName) {
        log.info('closing connection: Envelope is only accepted on the inter-broker listener', {
          connection: ctx.connection.remoteAddress,
          listener: ctx.connection.listenerName,
          interBrokerListener: deps.cluster.interBrokerListenerName,
        });
        return CLOSE_CONNECTION;
      }
      if (!authorized(deps, ctx, Op.CLUSTER_ACTION, R.CLUSTER, CLUSTER_NAME)) return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      if (!deps.cluster.controller) return refuse(ErrorCode.NOT_CONTROLLER);
      if (req.requestPrincipal === null) return refuse(ErrorCode.PRINCIPAL_DESERIALIZATION_FAILURE);
      let principal;
      try {
        principal = deserializePrincipal(req.requestPrincipal);
      } catch (err) {
        if (err instanceof PrincipalDeserializationError) return refuse(ErrorCode.PRINCIPAL_DESERIALIZATION_FAILURE);
        throw err;
      }
      const host = decodeClientAddress(req.clientHostAddress);
      if (host === null) return refuse(ErrorCode.INVALID_REQUEST);
      if (req.requestData.length >= 2 && !FORWARDABLE_APIS.has(req.requestData.readInt16BE(0))) return refuse(ErrorCode.INVALID_REQUEST);
      let inner;
      try {
        inner = decodeInnerRequest(req.requestData, (apiKey, v) => {
          const h = deps.handlerFor(apiKey);
          return h !== undefined && v >= h.minVersion && v <= h.maxVersion;
        });
      } catch (err) {
        if (err instanceof InnerRequestError) return refuse(ErrorCode.UNSUPPORTED_VERSION);
        throw err;
      }
      const handler = deps.handlerFor(inner.header.apiKey)!;
      const innerCtx: RequestContext = {
        header: inner.header,
        connection: forwardedConnection(ctx.connection, principal.principal, principal.tokenAuthenticated, host),
        receivedAt: ctx.receivedAt,
        requestBytes: req.requestData.length,
        forwarded: true,
      };
      let body: object;
      try {
        const out = await handler.handle(innerCtx, inner.body);
        if (typeof out !== 'object' || out === null || 'body' in out) throw new Error(`api ${inner.header.apiKey} gave no response body`);
        body = out;
      } catch (err) {
        log.error('forwarded request failed', { apiKey: inner.header.apiKey, principal: principal.principal, error: (err as Error).message });
        body = handler.errorResponse!(inner.body, ErrorCode.UNKNOWN_SERVER_ERROR, inner.header.apiVersion);
      }
      return { responseData: encodeInnerResponse(inner.header, body), errorCode: ErrorCode.NONE };
    },
  });
}

/**
 * The client as the inner request's handlers see it: its principal and address, on the envelope's
 * connection otherwise. `socket` stands in for the client's only as far as its remoteAddress goes
 * (ACL hosts, member client hosts read it); nothing else of it is used by forwardable APIs.
 */
function forwardedConnection(envelope: ConnectionInfo, principal: string, tokenAuthenticated: boolean, host: string): ConnectionInfo {
  const socket = Object.create(envelope.socket, { remoteAddress: { value: host } }) as ConnectionInfo['socket'];
  const info: ConnectionInfo = { id: envelope.id, listenerName: envelope.listenerName, remoteAddress: host, socket, principal };
  // Delegation-token logins may not manage tokens (KIP-48): the forwarded principal keeps that mark.
  if (tokenAuthenticated) info.sasl = { tokenAuthenticated: true, authenticated: true } as unknown as NonNullable<ConnectionInfo['sasl']>;
  return info;
}
