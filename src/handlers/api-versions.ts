// ApiVersions: what this broker speaks. Ranges come from the handler table, so a version is
// advertised only where a handler implements it (librdkafka and kafkajs pick versions from this).
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiVersionsRequest, ApiVersionsResponse } from '../../protocol/generated/api-versions.js';
import type { ApiHandler } from '../network/request-context.js';

// KIP-511: client software name/version must match this pattern.
const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export function apiVersionsBody(handlers: Iterable<ApiHandler>): ApiVersionsResponse {
  const apiKeys = [...handlers]
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey);
  // The v3 feature fields are tagged; like Kafka we leave them out while they hold defaults
  // (librdkafka 2.0.2 misparses an ApiVersions response that carries them).
  return { errorCode: ErrorCode.NONE, apiKeys, throttleTimeMs: 0 } as ApiVersionsResponse;
}

export function apiVersionsHandler(all: () => Iterable<ApiHandler>): ApiHandler<ApiVersionsRequest> {
  let cached: ApiVersionsResponse | null = null;
  const body = () => (cached ??= apiVersionsBody(all()));
  return {
    apiKey: 18,
    minVersion: 0,
    maxVersion: 4,
    handle(ctx, req) {
      if (ctx.header.apiVersion >= 3) {
        const ok = SOFTWARE_PATTERN.test(req.clientSoftwareName) && SOFTWARE_PATTERN.test(req.clientSoftwareVersion);
        if (!ok) return { ...body(), errorCode: ErrorCode.INVALID_REQUEST };
      }
      return body();
    },
  };
}
