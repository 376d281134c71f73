// Client quotas applied around the handlers, the KIP-219 way: the response goes out at once with
// throttle_time_ms set, and the connection then reads nothing more for that long
// (ctx.connection.throttle, implemented by the connection). What is measured, as in KafkaApis:
//   Produce  -> producer_byte_rate on the request size
//   Fetch    -> consumer_byte_rate on the response size; a throttled fetch is answered empty and
//               its bytes taken back (the consumer reads them again after the throttle)
//   any API  -> request_percentage on the handler's time (percent of one thread per second;
//               for Fetch only the synchronous part, as a long poll's wait is not work)
// When a request violates both, the larger throttle applies. Nothing is measured while no quota
// of that kind exists, so brokers without quotas pay one Set lookup per request.
import { performance } from 'node:perf_hooks';
import { Api } from '../../protocol/generated/apis.js';
import type { FetchRequest, FetchResponse } from '../../protocol/generated/fetch.js';
import type { ApiHandler, HandlerOutcome, RequestContext } from '../network/request-context.js';
import { quotaUser, type ClientQuotaManager } from './client-quota-manager.js';
import { CONSUMER_BYTE_RATE, PRODUCER_BYTE_RATE, REQUEST_PERCENTAGE } from './quota-entity.js';

/** APIs Kafka never throttles on request time: version discovery, authentication, inter-broker. */
const REQUEST_QUOTA_EXEMPT = new Set<number>([
  Api.ApiVersions.apiKey,
  Api.SaslHandshake.apiKey,
  Api.SaslAuthenticate.apiKey,
  Api.WriteTxnMarkers.apiKey,
  // A forwarded request is measured as its client, inside (src/handlers/envelope.ts); the
  // envelope itself would charge, and mute, the broker-to-controller connection all clients share.
  Api.Envelope.apiKey,
]);

/** Kafka's nanosToPercentage, from milliseconds: 1 s of handler time = 100 (one full thread). */
const MS_TO_PERCENTAGE = 100 / 1000;

export interface QuotaEnforcer {
  readonly manager: ClientQuotaManager;
  /** request_percentage throttles are bounded by one quota window (ClientRequestQuotaManager). */
  readonly windowMs: number;
  /** quota.window.num */
  readonly samples: number;
}

export function quotaEnforced(h: ApiHandler, q: QuotaEnforcer): ApiHandler {
  const isProduce = h.apiKey === Api.Produce.apiKey;
  const isFetch = h.apiKey === Api.Fetch.apiKey;
  const exempt = REQUEST_QUOTA_EXEMPT.has(h.apiKey);
  const m = q.manager;
  return {
    ...h,
    handle(ctx, req) {
      const bytesKey = isProduce ? PRODUCER_BYTE_RATE : isFetch && !fromFollower(req as FetchRequest) ? CONSUMER_BYTE_RATE : null;
      const measureBytes = bytesKey !== null && m.active(bytesKey);
      const measureTime = !exempt && m.active(REQUEST_PERCENTAGE);
      if (!measureBytes && !measureTime) return h.handle(ctx, req);
      if (measureBytes && isFetch) capFetchToQuotaWindow(ctx, req as FetchRequest, q);
      const start = performance.now();
      const outcome = h.handle(ctx, req);
      const syncMs = performance.now() - start;
      const settle = (o: HandlerOutcome): HandlerOutcome => {
        const handlerMs = isFetch ? syncMs : performance.now() - start;
        return throttled(ctx, o, isFetch && bytesKey !== null, measureBytes ? bytesKey : null, measureTime ? handlerMs : null, q);
      };
      return outcome instanceof Promise ? outcome.then(settle) : settle(outcome);
    },
  };
}

/**
 * KafkaApis bounds a quota'd consumer's fetch by what its quota allows in the retained windows
 * (getMaxValueInQuotaWindow: quota x (samples - 1) x window), so one fetch cannot earn a throttle
 * of many windows. At least one batch is still returned, as for any fetch.
 */
function capFetchToQuotaWindow(ctx: RequestContext, req: FetchRequest, q: QuotaEnforcer): void {
  const quota = q.manager.quotaFor(CONSUMER_BYTE_RATE, quotaUser(ctx.connection.principal), ctx.header.clientId ?? '');
  if (!quota) return;
  const windowBytes = Math.max(1, Math.floor((quota.bound * (q.samples - 1) * q.windowMs) / 1000));
  if (req.maxBytes > windowBytes) req.maxBytes = windowBytes;
}

function fromFollower(req: FetchRequest): boolean {
  return req.replicaId >= 0 || (req.replicaState?.replicaId ?? -1) >= 0;
}

function throttled(ctx: RequestContext, o: HandlerOutcome, consumerFetch: boolean, bytesKey: string | null, handlerMs: number | null, q: QuotaEnforcer): HandlerOutcome {
  const user = quotaUser(ctx.connection.principal);
  const clientId = ctx.header.clientId ?? '';
  const now = performance.now();
  let bytes = 0;
  let bandwidthMs = 0;
  if (bytesKey !== null) {
    bytes = bytesKey === PRODUCER_BYTE_RATE ? (ctx.requestBytes ?? 0) : typeof o === 'object' && o !== null && 'responses' in o ? fetchResponseBytes(o as FetchResponse) : 0;
    bandwidthMs = q.manager.recordAndGetThrottleTimeMs(bytesKey, user, clientId, bytes, now);
  }
  const requestMs = handlerMs === null ? 0 : q.manager.recordAndGetThrottleTimeMs(REQUEST_PERCENTAGE, user, clientId, handlerMs * MS_TO_PERCENTAGE, now, q.windowMs);
  const throttleMs = Math.max(bandwidthMs, requestMs);
  if (throttleMs <= 0) return o;
  ctx.connection.throttle?.(throttleMs);
  if (typeof o !== 'object' || o === null || !('throttleTimeMs' in o)) return o; // no response (acks=0), or one without the field
  let body = o as { throttleTimeMs: number };
  if (consumerFetch) {
    // KafkaApis: a consumer fetch throttled for either quota returns no data, and the bytes it
    // would have sent do not count.
    if (bytesKey !== null) q.manager.unrecord(bytesKey, user, clientId, bytes);
    body = { ...(o as FetchResponse), responses: [] } as FetchResponse;
  }
  return { ...body, throttleTimeMs: Math.max(body.throttleTimeMs ?? 0, throttleMs) };
}

/** A fetch response's size, as the records it carries (the rest is a few bytes per partition). */
function fetchResponseBytes(res: FetchResponse): number {
  let n = 0;
  for (const t of res.responses ?? []) for (const p of t.partitions) n += (p.records?.length ?? 0) + 32;
  return n;
}
