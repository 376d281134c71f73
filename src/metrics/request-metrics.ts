// Request rate and latency per API, as Kafka's kafka.network:type=RequestMetrics (RequestsPerSec,
// TotalTimeMs) report them: a counter and a latency histogram per API key, fed by a wrapper
// around each handler (registry.ts). The cost per request is two clock reads and a short bucket
// scan; records are never looked at, so the zero-decode produce/fetch path is untouched.
import { API_CODECS } from '../../protocol/generated/index.js';
import type { ApiHandler, RequestContext } from '../network/request-context.js';
import { describeMetric, type Sample } from './prometheus-text.js';

describeMetric('tributary_requests_total', 'Requests handled, per API.');
describeMetric('tributary_request_failures_total', 'Requests whose handler failed unexpectedly (answered with an error response), per API.');
describeMetric('tributary_request_latency_seconds', 'Time from a decoded request to its response, per API (Fetch includes its wait).', 'histogram');

/** Upper bounds in seconds; the last bucket is +Inf. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface ApiStats {
  count: number;
  failures: number;
  sumSeconds: number;
  /** Non-cumulative counts per bucket; index LATENCY_BUCKETS.length is +Inf. */
  buckets: number[];
}

export class RequestMetrics {
  private readonly byApi = new Map<number, ApiStats>();

  record(apiKey: number, seconds: number, failed: boolean): void {
    let s = this.byApi.get(apiKey);
    if (!s) this.byApi.set(apiKey, (s = { count: 0, failures: 0, sumSeconds: 0, buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0) }));
    s.count++;
    if (failed) s.failures++;
    s.sumSeconds += seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    s.buckets[i]!++;
  }

  /** The handler, timed. */
  wrap<H extends ApiHandler>(h: H): H {
    const record = (t0: number, failed: boolean) => this.record(h.apiKey, (performance.now() - t0) / 1000, failed);
    return {
      ...h,
      handle: (ctx: RequestContext, req: unknown) => {
        const t0 = performance.now();
        let out;
        try {
          out = h.handle(ctx, req);
        } catch (e) {
          record(t0, true);
          throw e;
        }
        if (out instanceof Promise) {
          return out.then(
            (v) => (record(t0, false), v),
            (e: unknown) => {
              record(t0, true);
              throw e;
            },
          );
        }
        record(t0, false);
        return out;
      },
    };
  }

  samples(): Sample[] {
    const out: Sample[] = [];
    const sorted = [...this.byApi].sort(([a], [b]) => a - b);
    for (const [apiKey, s] of sorted) out.push({ name: 'tributary_requests_total', labels: { api: apiName(apiKey) }, value: s.count });
    for (const [apiKey, s] of sorted) out.push({ name: 'tributary_request_failures_total', labels: { api: apiName(apiKey) }, value: s.failures });
    for (const [apiKey, s] of sorted) {
      const api = apiName(apiKey);
      let cumulative = 0;
      s.buckets.forEach((n, i) => {
        cumulative += n;
        const le = i < LATENCY_BUCKETS.length ? String(LATENCY_BUCKETS[i]) : '+Inf';
        out.push({ name: 'tributary_request_latency_seconds_bucket', family: 'tributary_request_latency_seconds', labels: { api, le }, value: cumulative });
      });
      out.push({ name: 'tributary_request_latency_seconds_sum', family: 'tributary_request_latency_seconds', labels: { api }, value: s.sumSeconds });
      out.push({ name: 'tributary_request_latency_seconds_count', family: 'tributary_request_latency_seconds', labels: { api }, value: s.count });
    }
    return out;
  }
}

function apiName(apiKey: number): string {
  return API_CODECS.get(apiKey)?.name ?? String(apiKey);
}
