// What the metrics endpoint reports, gathered on each scrape from the broker's live state (no
// counters on the hot path): per-partition log gauges (Kafka's kafka.log:type=Log Size /
// LogStartOffset / LogEndOffset / NumLogSegments, plus the high watermark), tiered storage
// (TierManager.metrics), the aggregation stage (AggregationManager.metrics) and the process.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { LogManager } from '../../storage/log/log-manager.js';
import type { TopicRecord } from '../metadata/topic-registry.js';
import { groupLagSamples, type CommittedOffsetsView, type HighWatermarks } from './group-lag.js';
import type { RequestMetrics } from './request-metrics.js';
import { replicationSamples, type ReplicationSource } from './replication-metrics.js';

/** What a scrape reads: identity, connections, topics, per-log gauges, tier and aggregation metrics. */
export interface MetricsSource extends ReplicationSource {
  readonly clusterId: string;
  readonly nodeId: number;
  readonly connectionCount: number;
  readonly topics: { all(): TopicRecord[] };
  readonly logManager: Pick<LogManager, 'allLogs'> & Partial<Pick<LogManager, 'tailCache'>> & HighWatermarks;
  readonly groupCoordinator: CommittedOffsetsView;
  readonly requestMetrics: Pick<RequestMetrics, 'samples'>;
  readonly tier: { metrics(): Sample[] };
  readonly aggregations: { metrics(): Sample[] } | null;
}
import { describeMetric, type Sample } from './prometheus-text.js';

describeMetric('tributary_broker_info', 'Constant 1, labelled with the cluster id, node id and version.');
describeMetric('tributary_connections', 'Open client connections on all listeners.');
describeMetric('tributary_topics', 'Topics, internal ones included.');
describeMetric('tributary_log_size_bytes', 'Bytes in local log segments of the partition.');
describeMetric('tributary_log_start_offset', 'First offset of the partition (remote data included).');
describeMetric('tributary_log_end_offset', 'Offset the next appended record gets.');
describeMetric('tributary_log_high_watermark', 'High watermark: records below it are visible to consumers.');
describeMetric('tributary_log_segments', 'Local segments of the partition.');
describeMetric('tributary_log_tail_cache_hits_total', 'Partition reads answered from the tail cache (recent appends kept in memory).');
describeMetric('tributary_log_tail_cache_misses_total', 'Partition reads the tail cache could not answer (read from the segment files).');
describeMetric('tributary_log_tail_cache_bytes', 'Bytes the tail cache holds (tributary.log.tail.cache.bytes is its budget).');
describeMetric('tributary_tier_remote_bytes', 'Bytes of the partition held in tiered storage.');
describeMetric('tributary_tier_lag_segments', 'Rolled segments eligible for upload but not uploaded yet.');
describeMetric('tributary_tier_lag_bytes', 'Bytes of rolled segments eligible for upload but not uploaded yet.');
describeMetric('tributary_tier_errors', '1 while the last tiering attempt of the partition failed.');
describeMetric('nodejs_heap_used_bytes', 'V8 heap in use.');
describeMetric('process_resident_memory_bytes', 'Resident set size of the broker process.');
describeMetric('nodejs_eventloop_delay_p99_seconds', 'p99 event-loop delay since the previous scrape.');
describeMetric('nodejs_eventloop_delay_max_seconds', 'Largest event-loop delay since the previous scrape.');

export class BrokerMetrics {
  private readonly loop: IntervalHistogram;

  constructor(
    private readonly broker: MetricsSource,
    private readonly version: string,
    /** Per-partition series of internal topics (__consumer_offsets has 50 partitions): off by default. */
    private readonly internalTopics = false,
  ) {
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
  }

  collect(): Sample[] {
    const b = this.broker;
    const out: Sample[] = [
      { name: 'tributary_broker_info', labels: { cluster_id: b.clusterId, node_id: String(b.nodeId), version: this.version }, value: 1 },
      { name: 'tributary_connections', labels: {}, value: b.connectionCount },
      { name: 'tributary_topics', labels: {}, value: b.topics.all().length },
    ];
    const logs = b.logManager.allLogs().filter((l) => this.internalTopics || !l.topic.startsWith('__'));
    const per = (name: string, value: (l: (typeof logs)[number]) => number) => {
      for (const l of logs) out.push({ name, labels: { topic: l.topic, partition: String(l.partition) }, value: value(l) });
    };
    per('tributary_log_size_bytes', (l) => l.size());
    per('tributary_log_start_offset', (l) => l.logStartOffset);
    per('tributary_log_end_offset', (l) => l.logEndOffset);
    per('tributary_log_high_watermark', (l) => l.highWatermark);
    per('tributary_log_segments', (l) => l.segmentInfos().length);
    const tail = b.logManager.tailCache;
    if (tail) {
      out.push(
        { name: 'tributary_log_tail_cache_hits_total', labels: {}, value: tail.hits },
        { name: 'tributary_log_tail_cache_misses_total', labels: {}, value: tail.misses },
        { name: 'tributary_log_tail_cache_bytes', labels: {}, value: tail.usedBytes },
      );
    }
    out.push(...replicationSamples(b));
    out.push(...b.requestMetrics.samples());
    out.push(...groupLagSamples(b.groupCoordinator, b.logManager));
    out.push(...b.tier.metrics());
    if (b.aggregations) out.push(...b.aggregations.metrics());
    const mem = process.memoryUsage();
    out.push(
      { name: 'nodejs_heap_used_bytes', labels: {}, value: mem.heapUsed },
      { name: 'process_resident_memory_bytes', labels: {}, value: mem.rss },
      { name: 'nodejs_eventloop_delay_p99_seconds', labels: {}, value: this.loop.count > 0 ? this.loop.percentile(99) / 1e9 : 0 },
      { name: 'nodejs_eventloop_delay_max_seconds', labels: {}, value: this.loop.count > 0 ? this.loop.max / 1e9 : 0 },
    );
    this.loop.reset();
    return out;
  }

  close(): void {
    this.loop.disable();
  }
}
