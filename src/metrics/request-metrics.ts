// Request rate and latency per API, as Kafka's kafka.network:type=RequestMetrics (RequestsPerSec,
// TotalTimeMs) report them: a counter and a latency histogram per API key, fed by a wrapper
// around each handler (registry.ts). The cost per request is two clock reads and a short bucket
// scan; records are never looked at, so the zero-decode produce/fetch path is untouched.
import { errorName } from '../../protocol/errors.js';
import { API_CODECS } from '../../protocol/generated/index.js';
import type { ApiHandler, RequestContext } from '../network/request-context.js';
import { describeMetric, type Sample } from './prometheus-text.js';

describeMetric('tributary_requests_total', 'Requests handled, per API.');
describeMetric('tributary_request_failures_total', 'Requests whose handler failed unexpectedly (answered with an error response), per API.');
describeMetric('tributary_topic_bytes_in_total', 'Record-batch bytes produced to the topic (as received, before any validation).');
describeMetric('tributary_topic_bytes_out_total', 'Record-batch bytes returned by Fetch for the topic (consumers and followers).');
describeMetric('tributary_partition_errors_total', 'Produce and Fetch partition responses carrying an error, per API and Kafka error code.');
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

const PRODUCE = 0;
const FETCH = 1;

interface TopicRef {
  name?: string;
  topic?: string;
  topicId?: string;
}

export class RequestMetrics {
  private readonly byApi = new Map<number, ApiStats>();
  private readonly bytesIn = new Map<string, number>();
  private readonly bytesOut = new Map<string, number>();
  /** "api\0errorCode" → count. */
  private readonly errors = new Map<string, number>();
  /** Topic ids (Produce v13+, Fetch v13+) to names; set by the registry. */
  topicName: (id: string) => string | undefined = () => undefined;

  private topicOf(t: TopicRef): string | undefined {
    const n = t.name || t.topic;
    return n || (t.topicId ? this.topicName(t.topicId) : undefined);
  }

  private add(m: Map<string, number>, key: string, n: number): void {
    m.set(key, (m.get(key) ?? 0) + n);
  }

  /**
   * Bytes in from a Produce request: the size of each partition's record buffer, never its
   * contents (the batch stays undecoded).
   */
  private produced(req: { topicData?: (TopicRef & { partitionData: { records: Buffer | null }[] })[] }): void {
    for (const t of req.topicData ?? []) {
      let n = 0;
      for (const p of t.partitionData) n += p.records?.byteLength ?? 0;
      const name = this.topicOf(t);
      if (name !== undefined && n > 0) this.add(this.bytesIn, name, n);
    }
  }

  /** Bytes out and partition errors from a Produce or Fetch response (sizes and codes only). */
  private answered(apiKey: number, res: unknown): void {
    if (apiKey !== PRODUCE && apiKey !== FETCH) return;
    const topics = (res as { responses?: (TopicRef & { partitions?: { errorCode: number; records?: unknown }[]; partitionResponses?: { errorCode: number }[] })[] }).responses;
    if (!Array.isArray(topics)) return;
    for (const t of topics) {
      let out = 0;
      for (const p of (apiKey === FETCH ? t.partitions : t.partitionResponses) ?? []) {
        if (p.errorCode !== 0) this.add(this.errors, `${apiKey}\u0000${p.errorCode}`, 1);
        const r = (p as { records?: unknown }).records;
        if (Buffer.isBuffer(r)) out += r.byteLength;
      }
      if (apiKey === FETCH && out > 0) {
        const name = this.topicOf(t);
        if (name !== undefined) this.add(this.bytesOut, name, out);
      }
    }
  }

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
    const record = (t0: number, failed: boolean, res?: unknown) => {
      this.record(h.apiKey, (performance.now() - t0) / 1000, failed);
      if (res !== undefined && res !== null && typeof res === 'object') this.answered(h.apiKey, res);
    };
    return {
      ...h,
      handle: (ctx: RequestContext, req: unknown) => {
        const t0 = performance.now();
        if (h.apiKey === PRODUCE) this.produced(req as Parameters<RequestMetrics['produced']>[0]);
        let out;
        try {
          out = h.handle(ctx, req);
        } catch (e) {
          record(t0, true);
          throw e;
        }
        if (out instanceof Promise) {
          return out.then(
            (v) => (record(t0, false, v), v),
            (e: unknown) => {
              record(t0, true);
              throw e;
            },
          );
        }
        record(t0, false, out);
        return out;
      },
    };
  }

  samples(): Sample[] {
    const out: Sample[] = [];
    const sorted = [...this.byApi].sort(([a], [b]) => a - b);
    for (const [apiKey, s] of sorted) out.push({ name: 'tributary_requests_total', labels: { api: apiName(apiKey) }, value: s.count });
    for (const [apiKey, s] of sorted) out.push({ name: 'tributary_request_failures_total', labels: { api: apiName(apiKey) }, value: s.failures });
    for (const [topic, n] of this.bytesIn) out.push({ name: 'tributary_topic_bytes_in_total', labels: { topic }, value: n });
    for (const [topic, n] of this.bytesOut) out.push({ name: 'tributary_topic_bytes_out_total', labels: { topic }, value: n });
    for (const [key, n] of this.errors) {
      const [apiKey, code] = key.split('\u0000').map(Number) as [number, number];
      out.push({ name: 'tributary_partition_errors_total', labels: { api: apiName(apiKey), error: errorName(code) }, value: n });
    }
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
