// ApiVersions: what this broker speaks. Ranges come from the handler table, so a version is
// advertised only where a handler implements it (librdkafka and kafkajs pick versions from this).
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ApiVersionsResponse } from '../../protocol/generated/api-versions.js';
import { defineHandler, type ApiHandler } from '../network/request-context.js';

// KIP-511: client software name/version must match this pattern.
const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

/** Who this broker is, for the KIP-1242 check of v5 requests. */
export interface BrokerIdentity {
  readonly clusterId: string;
  readonly nodeId: number;
}

/**
 * Features this broker supports and has finalized: `transaction.version` 2 (KIP-890 part 2 —
 * EndTxn v5, Produce v12, TxnOffsetCommit v5). The Java client (4.0+) uses transactions v2 only
 * when the finalized level is 2 or more, and takes the finalized features only from a response
 * whose epoch is newer than the one it knows (-1 at start), hence epoch 1 rather than the default.
 */
export const SUPPORTED_FEATURES = [{ name: 'transaction.version', minVersion: 0, maxVersion: 2 }];
export const FINALIZED_FEATURES = [{ name: 'transaction.version', minVersionLevel: 2, maxVersionLevel: 2 }];
const FINALIZED_FEATURES_EPOCH = 1;
/**
 * The feature fields are tagged fields from v3, but only v4+ answers carry them: librdkafka
 * 2.0.2 (Debian's, used by kcat and confluent-kafka-python) asks with v3 and misparses any tagged
 * field in the answer. Kafka clients that use transaction.version (Java 4.x) ask with v4+.
 */
const FEATURES_SINCE = 4;

export function apiVersionsBody(handlers: Iterable<ApiHandler>): ApiVersionsResponse {
  const apiKeys = [...handlers]
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey);
  return { errorCode: ErrorCode.NONE, apiKeys, throttleTimeMs: 0 };
}

function withFeatures(body: ApiVersionsResponse): ApiVersionsResponse {
  return { ...body, supportedFeatures: SUPPORTED_FEATURES, finalizedFeaturesEpoch: FINALIZED_FEATURES_EPOCH, finalizedFeatures: FINALIZED_FEATURES };
}

/** Kafka's error answer other than UNSUPPORTED_VERSION: the error code and no api keys. */
function refusal(errorCode: number): ApiVersionsResponse {
  return { errorCode, apiKeys: [], throttleTimeMs: 0 };
}

export function apiVersionsHandler(all: () => Iterable<ApiHandler>, self: BrokerIdentity) {
  let cached: ApiVersionsResponse | null = null;
  let cachedWithFeatures: ApiVersionsResponse | null = null;
  const plain = () => (cached ??= apiVersionsBody(all()));
  const featured = () => (cachedWithFeatures ??= withFeatures(plain()));
  return defineHandler(Api.ApiVersions, {
    errorResponse: (_req, errorCode) => refusal(errorCode),
    handle(ctx, req) {
      const v = ctx.header.apiVersion;
      const body = v >= FEATURES_SINCE ? featured : plain;
      // KIP-1242 (v5): a client that knows which broker of which cluster it meant to reach
      // names both; naming only one of them is malformed, like a bad software name (KIP-511).
      if (v >= 5 && (req.clusterId === null) !== (req.nodeId === -1)) return refusal(ErrorCode.INVALID_REQUEST);
      if (v >= 3) {
        const ok = SOFTWARE_PATTERN.test(req.clientSoftwareName) && SOFTWARE_PATTERN.test(req.clientSoftwareVersion);
        if (!ok) return { ...body(), errorCode: ErrorCode.INVALID_REQUEST };
      }
      // The address led somewhere else (DNS or a load balancer moved it): the client must
      // rebootstrap instead of talking to the wrong broker.
      if (v >= 5 && req.clusterId !== null && (req.clusterId !== self.clusterId || req.nodeId !== self.nodeId)) {
        return refusal(ErrorCode.REBOOTSTRAP_REQUIRED);
      }
      return body();
    },
  });
}
