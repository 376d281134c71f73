// Tiered-storage progress for the console: what each Tributary broker reports in the read-only
// broker config row `tributary.tier.status` (the same as `tributary tier status`), per topic and
// per partition: local vs remote offsets, uploaded segments and bytes, uploads still to do (lag),
// the last copy and the last error. Other Kafka-compatible clusters do not report this over the
// protocol (Kafka's KIP-405 progress is in its JMX metrics), which the page says.
import type { PartitionTierStatus } from '../../../storage/tier/tier-status.js';
import { queryTierStatus } from '../tier-status-query.js';
import type { ClusterClients } from './cluster-clients.js';

export async function tierOverview(c: ClusterClients) {
  const status = await queryTierStatus(await c.admin(), await c.kafka());
  if (!status) return { reported: false as const };
  const byTopic = new Map<string, PartitionTierStatus[]>();
  for (const p of status.partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
  const sum = (ps: PartitionTierStatus[], k: keyof PartitionTierStatus) => ps.reduce((s, p) => s + (p[k] as number), 0);
  const topics = [...byTopic]
    .map(([topic, ps]) => ({
      topic,
      partitions: ps.length,
      enabled: ps.some((p) => p.enabled),
      remoteSegments: sum(ps, 'remoteSegments'),
      remoteBytes: sum(ps, 'remoteBytes'),
      localBytes: sum(ps, 'localBytes'),
      lagSegments: sum(ps, 'lagSegments'),
      lagBytes: sum(ps, 'lagBytes'),
      copiedBytesTotal: sum(ps, 'copiedBytesTotal'),
      errors: ps.filter((p) => p.lastError).length,
      lastCopyAt: Math.max(0, ...ps.map((p) => p.lastCopyAt)) || null,
    }))
    .sort((a, b) => a.topic.localeCompare(b.topic));
  const partitions = status.partitions
    .map((p) => ({
      topic: p.topic,
      partition: p.partition,
      state: p.state,
      enabled: p.enabled,
      remoteLogStartOffset: p.remoteLogStartOffset,
      copiedEndOffset: p.copiedEndOffset,
      localLogStartOffset: p.localLogStartOffset,
      logEndOffset: p.logEndOffset,
      remoteSegments: p.remoteSegments,
      remoteBytes: p.remoteBytes,
      localBytes: p.localBytes,
      lagSegments: p.lagSegments,
      lagBytes: p.lagBytes,
      copiedSegmentsTotal: p.copiedSegmentsTotal,
      lastCopyAt: p.lastCopyAt || null,
      lastError: p.lastError,
      lastErrorAt: p.lastErrorAt || null,
    }))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return { reported: true as const, store: status.store, updatedAt: status.updatedAt, pendingTopicDeletes: status.pendingTopicDeletes, cache: status.cache, reads: status.reads, topics, partitions };
}
