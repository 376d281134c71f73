// controller_mutation_rate (KIP-599): partitions created (CreateTopics), added (CreatePartitions)
// and deleted (DeleteTopics) per second, per user / client-id with the usual KIP-55 precedence,
// measured with Kafka's token bucket (`controller.quota.window.num` x
// `controller.quota.window.size.seconds` of burst). As Kafka's Strict/PermissiveControllerMutationQuota:
//  - strict (CreateTopics v6+, CreatePartitions v3+, DeleteTopics v5+, clients that know the
//    error): topics are taken in request order; once the bucket is in deficit, each further
//    topic is answered THROTTLING_QUOTA_EXCEEDED, and the response carries the time until the
//    bucket is back to zero (the topic that crosses zero is still accepted: a request is never split);
//  - permissive (older versions): everything is done, the partitions are counted, and a deficit
//    becomes throttle_time_ms with the connection muted that long (KIP-219).
// Only topics the handler completes count (Kafka counts after validation): a topic answered with
// an error gives its tokens back. validateOnly requests count nothing.
import { performance } from 'node:perf_hooks';
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ApiHandler, HandlerOutcome, RequestContext } from '../network/request-context.js';
import { ClientQuotaManager, quotaUser } from './client-quota-manager.js';
import { CONTROLLER_MUTATION_RATE } from './quota-entity.js';
import type { QuotaStore } from './quota-store.js';
import { TokenBucket } from './token-bucket.js';

const THROTTLED_MESSAGE = 'The throttling quota has been exceeded.';
/** Buckets kept before idle (full) ones are dropped; entity keys come from the wire. */
const MAX_BUCKETS = 10_000;

export interface MutationQuotaDeps {
  quotaStore: QuotaStore;
  config: { get(key: 'controller.quota.window.num' | 'controller.quota.window.size.seconds' | 'num.partitions'): number };
  topics: { get(name: string): { partitions: number } | undefined; getById(id: string): { name: string; partitions?: number } | undefined };
}

/** How one API names its topics, where its answers go, and what each topic costs. */
interface MutationApi {
  strictFrom: number;
  items(req: any, version: number): unknown[];
  withItems(req: any, items: unknown[], version: number): any;
  results(res: any): { errorCode: number; errorMessage: string | null }[];
  withResults(res: any, results: unknown[]): any;
  permits(item: any): number;
  validateOnly(req: any): boolean;
}

export class ControllerMutationQuota {
  private readonly resolver: ClientQuotaManager;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly burstSeconds: number;

  constructor(private readonly deps: MutationQuotaDeps) {
    this.resolver = new ClientQuotaManager(deps.quotaStore, { samples: 1, windowMs: 1000 });
    this.burstSeconds = deps.config.get('controller.quota.window.num') * deps.config.get('controller.quota.window.size.seconds');
  }

  /** The handlers to wrap, by api key. */
  wrappers(): Map<number, (h: ApiHandler) => ApiHandler> {
    const topics = this.deps.topics;
    const partitionsOf = (name: string | null, id?: string): number => {
      const byName = name !== null ? topics.get(name) : undefined;
      if (byName) return byName.partitions;
      const byId = id ? topics.getById(id) : undefined;
      return byId ? (topics.get(byId.name)?.partitions ?? 0) : 0;
    };
    const apis: [number, MutationApi][] = [
      [Api.CreateTopics.apiKey, {
        strictFrom: 6,
        items: (req) => req.topics,
        withItems: (req, items) => ({ ...req, topics: items }),
        results: (res) => res.topics,
        withResults: (res, results) => ({ ...res, topics: results }),
        permits: (t) => (t.assignments?.length > 0 ? t.assignments.length : t.numPartitions === -1 ? this.deps.config.get('num.partitions') : t.numPartitions),
        validateOnly: (req) => req.validateOnly === true,
      }],
      [Api.CreatePartitions.apiKey, {
        strictFrom: 3,
        items: (req) => req.topics,
        withItems: (req, items) => ({ ...req, topics: items }),
        results: (res) => res.results,
        withResults: (res, results) => ({ ...res, results }),
        permits: (t) => Math.max(0, t.count - partitionsOf(t.name)),
        validateOnly: (req) => req.validateOnly === true,
      }],
      [Api.DeleteTopics.apiKey, {
        strictFrom: 5,
        items: (req, v) => (v >= 6 ? req.topics : req.topicNames),
        withItems: (req, items, v) => (v >= 6 ? { ...req, topics: items } : { ...req, topicNames: items }),
        results: (res) => res.responses,
        withResults: (res, results) => ({ ...res, responses: results }),
        permits: (t) => (typeof t === 'string' ? partitionsOf(t) : partitionsOf(t.name, t.topicId)),
        validateOnly: () => false,
      }],
    ];
    return new Map(apis.map(([key, api]) => [key, (h: ApiHandler) => this.wrap(h, api)]));
  }

  private bucket(sensorKey: string, quota: number, nowMs: number): TokenBucket {
    let b = this.buckets.get(sensorKey);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) for (const [k, old] of this.buckets) if (old.isFull(nowMs)) this.buckets.delete(k);
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear();
      b = new TokenBucket(quota, quota * this.burstSeconds, nowMs);
      this.buckets.set(sensorKey, b);
    }
    return b;
  }

  private wrap(h: ApiHandler, api: MutationApi): ApiHandler {
    return {
      ...h,
      handle: (ctx: RequestContext, req: unknown) => {
        if (!this.resolver.active(CONTROLLER_MUTATION_RATE) || api.validateOnly(req)) return h.handle(ctx, req);
        const q = this.resolver.quotaFor(CONTROLLER_MUTATION_RATE, quotaUser(ctx.connection.principal), ctx.header.clientId ?? '');
        if (!q) return h.handle(ctx, req);
        const version = ctx.header.apiVersion;
        const strict = version >= api.strictFrom;
        const bucket = this.bucket(q.sensorKey, q.bound, performance.now());
        const items = api.items(req, version);
        const permits = items.map((t) => api.permits(t));
        // Strict: decide per topic, in order, taking the tokens as we go (given back below for a
        // topic the handler then refuses).
        const rejected = new Set<number>();
        let throttleMs = 0;
        if (strict) {
          items.forEach((_, i) => {
            const now = performance.now();
            if (bucket.available(now) < 0) {
              rejected.add(i);
              throttleMs = Math.max(throttleMs, bucket.throttleMs(now));
            } else bucket.record(permits[i]!, now);
          });
        }
        const kept = items.filter((_, i) => !rejected.has(i));
        const settle = (o: HandlerOutcome): HandlerOutcome => {
          if (typeof o !== 'object' || o === null || 'body' in o) return o;
          const results = api.results(o);
          const now = performance.now();
          const merged: unknown[] = [];
          let k = 0;
          items.forEach((item, i) => {
            if (rejected.has(i)) {
              const one = api.results(h.errorResponse!(api.withItems(req, [item], version), ErrorCode.THROTTLING_QUOTA_EXCEEDED, version))[0]!;
              merged.push({ ...one, errorMessage: THROTTLED_MESSAGE });
              return;
            }
            const r = results[k++]!;
            merged.push(r);
            const ok = r.errorCode === ErrorCode.NONE;
            if (strict && !ok) bucket.record(-permits[i]!, now);
            if (!strict && ok) bucket.record(permits[i]!, now);
          });
          if (!strict) throttleMs = bucket.throttleMs(now);
          let res = api.withResults(o, merged);
          if (throttleMs > 0) {
            ctx.connection.throttle?.(throttleMs);
            res = { ...res, throttleTimeMs: Math.max(res.throttleTimeMs ?? 0, throttleMs) };
          }
          return res;
        };
        if (kept.length === 0) return settle(api.withResults(h.errorResponse!(req, ErrorCode.NONE, version), []));
        const out = h.handle(ctx, kept.length === items.length ? req : api.withItems(req, kept, version));
        return out instanceof Promise ? out.then(settle) : settle(out);
      },
    };
  }
}
