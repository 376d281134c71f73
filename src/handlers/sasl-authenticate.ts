// SaslAuthenticate (36): one SASL token each way after a v1 SaslHandshake. A failure answers
// SASL_AUTHENTICATION_FAILED and closes the connection; v1+ carries the session lifetime
// (connections.max.reauth.ms, KIP-368). Outside a SASL exchange Kafka answers ILLEGAL_SASL_STATE.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { SaslAuthenticateResponse } from '../../protocol/generated/sasl-authenticate.js';
import { RespondThenClose, defineHandler } from '../network/request-context.js';

export function saslAuthenticateHandler() {
  return defineHandler(Api.SaslAuthenticate, {
    handle(ctx, req) {
      const sasl = ctx.connection.sasl;
      if (!sasl) {
        return {
          errorCode: ErrorCode.ILLEGAL_SASL_STATE,
          errorMessage: 'SaslAuthenticate request received on a listener without SASL',
          authBytes: Buffer.alloc(0),
          sessionLifetimeMs: 0,
        } satisfies SaslAuthenticateResponse;
      }
      const out = sasl.authenticate(req.authBytes);
      const body: SaslAuthenticateResponse = {
        errorCode: out.errorCode,
        errorMessage: out.errorMessage,
        authBytes: out.authBytes,
        sessionLifetimeMs: out.sessionLifetimeMs,
      };
      return out.close ? new RespondThenClose(body) : body;
    },
    errorResponse: (_req, errorCode) => ({ errorCode, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 }),
  });
}
