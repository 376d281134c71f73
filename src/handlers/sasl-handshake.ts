// SaslHandshake (17): picks the SASL mechanism on SASL listeners (src/auth/sasl-session.ts). v0
// means raw SASL tokens follow; v1 means SaslAuthenticate requests. On other listeners, or once
// authenticated without a session to renew, Kafka answers ILLEGAL_SASL_STATE.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { SaslHandshakeResponse } from '../../protocol/generated/sasl-handshake.js';
import { RespondThenClose, defineHandler } from '../network/request-context.js';

export function saslHandshakeHandler() {
  return defineHandler(Api.SaslHandshake, {
    handle(ctx, req) {
      const sasl = ctx.connection.sasl;
      if (!sasl) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] } satisfies SaslHandshakeResponse;
      const out = sasl.handshake(req.mechanism, ctx.header.apiVersion);
      const body: SaslHandshakeResponse = { errorCode: out.errorCode, mechanisms: out.mechanisms };
      return out.close ? new RespondThenClose(body) : body;
    },
    errorResponse: (_req, errorCode) => ({ errorCode, mechanisms: [] }),
  });
}
