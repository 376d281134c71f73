// KIP-73 replication quotas (Kafka's ReplicationQuotaManager, one for the leader side and one for
// the follower side of this broker). A partition is throttled when its topic's
// `leader.replication.throttled.replicas` (resp. `follower.`) names it with this broker's id, or is
// `*`. The bytes of throttled partitions moved by replication are recorded in one sampled rate
// (`replication.quota.window.num` x `replication.quota.window.size.seconds`, as client quotas);
// once it is above `leader.replication.throttled.rate` (resp. `follower.`), read live from the
// broker config so a dynamic change applies at once:
//   leader   - a follower fetch gets no data for a throttled partition the follower is not in the
//              ISR of (ReplicaManager.shouldLeaderThrottle), so catching-up replicas are limited and
//              in-sync ones never are;
//   follower - the fetcher leaves out of its Fetch the throttled partitions it is not in sync on
//              (ReplicaFetcherThread.shouldFollowerThrottle: in sync = its log end reached the
//              leader's high watermark in the last response).
// Bytes of throttled partitions count whether or not the replica was held back (Kafka records the
// size of every throttled partition in the response).
import { performance } from 'node:perf_hooks';
import { SampledRate, type RateWindows } from '../../quota/sampled-rate.js';
import { parseThrottledPartitions, ALL_REPLICAS, type ThrottledPartitions } from './throttled-replicas.js';

export type ReplicationSide = 'leader' | 'follower';

export interface ReplicationQuotaDeps {
  brokerId: number;
  side: ReplicationSide;
  windows: RateWindows;
  /** The live `<side>.replication.throttled.rate` (bytes/s; Long.MAX = unlimited). */
  rateBound(): number;
  /** The topic's `<side>.replication.throttled.replicas` entries ([] when unset or no such topic). */
  throttledReplicas(topic: string): readonly string[];
}

export class ReplicationQuotaManager {
  private readonly rate: SampledRate;
  /** Parsed lists, keyed by topic, each kept with the entries it came from (a config change re-parses). */
  private readonly parsed = new Map<string, { entries: readonly string[]; partitions: ThrottledPartitions | null }>();
  /** Bytes of throttled partitions replicated (this side): the throttled-bytes metric. */
  throttledBytes = 0;
  /** Partition fetches held back because the rate was above the bound. */
  heldBack = 0;

  constructor(private readonly deps: ReplicationQuotaDeps) {
    this.rate = new SampledRate(deps.windows);
  }

  get side(): ReplicationSide {
    return this.deps.side;
  }

  isThrottled(topic: string, partition: number): boolean {
    const entries = this.deps.throttledReplicas(topic);
    if (entries.length === 0) {
      this.parsed.delete(topic);
      return false;
    }
    let p = this.parsed.get(topic);
    if (!p || p.entries !== entries) {
      if (this.parsed.size >= 10_000) this.parsed.clear();
      p = { entries, partitions: parseThrottledPartitions(entries, this.deps.brokerId) };
      this.parsed.set(topic, p);
    }
    const parts = p.partitions;
    return parts !== null && (parts === ALL_REPLICAS || parts.has(partition));
  }

  /** Kafka's isQuotaExceeded: the rate of throttled bytes is above the bound now. */
  isQuotaExceeded(nowMs = performance.now()): boolean {
    const bound = this.deps.rateBound();
    if (!(bound < Number.MAX_SAFE_INTEGER)) return false;
    return this.rate.rate(nowMs) > bound;
  }

  /** Whether a replica not in sync should get (leader) or ask for (follower) no data of this partition now. */
  shouldThrottle(topic: string, partition: number, inSync: boolean, nowMs = performance.now()): boolean {
    if (inSync || !this.isThrottled(topic, partition) || !this.isQuotaExceeded(nowMs)) return false;
    this.heldBack++;
    return true;
  }

  /** Bytes of a throttled partition replicated. */
  record(bytes: number, nowMs = performance.now()): void {
    if (bytes <= 0) return;
    this.throttledBytes += bytes;
    this.rate.record(bytes, nowMs);
  }

  /** Bytes per second of throttled partitions over the retained windows (Kafka's byte-rate metric). */
  byteRate(nowMs = performance.now()): number {
    return this.rate.rate(nowMs);
  }
}
