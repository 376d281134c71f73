// Consumer-group lag per group, topic and partition, read at scrape time from the group
// coordinator's committed offsets and the partitions' high watermarks (what a consumer can read,
// as Kafka's records-lag and kafka-consumer-groups.sh's LAG). Narrow views only: the metrics
// need nothing else of the coordinator or the log manager.
import { describeMetric, type Sample } from './prometheus-text.js';

describeMetric('tributary_consumer_group_committed_offset', 'Committed offset of the group on the partition.');
describeMetric('tributary_consumer_group_lag', 'High watermark minus the committed offset (records the group has yet to consume).');

export interface CommittedOffsetsView {
  listGroups(): { groups: { groupId: string }[] };
  fetchOffsets(groupId: string, topics: null): { errorCode: number; topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; errorCode: number }[] }[] };
}

export interface HighWatermarks {
  getLog(topic: string, partition: number): { highWatermark: number } | undefined;
}

export function groupLagSamples(groups: CommittedOffsetsView, logs: HighWatermarks): Sample[] {
  const committed: Sample[] = [];
  const lag: Sample[] = [];
  for (const { groupId } of groups.listGroups().groups) {
    const fetched = groups.fetchOffsets(groupId, null);
    if (fetched.errorCode !== 0) continue;
    for (const t of fetched.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0 || p.committedOffset < 0) continue;
        const log = logs.getLog(t.name, p.partitionIndex);
        if (!log) continue;
        const labels = { group: groupId, topic: t.name, partition: String(p.partitionIndex) };
        committed.push({ name: 'tributary_consumer_group_committed_offset', labels, value: p.committedOffset });
        lag.push({ name: 'tributary_consumer_group_lag', labels, value: Math.max(0, log.highWatermark - p.committedOffset) });
      }
    }
  }
  return [...committed, ...lag];
}
