// Tiered-storage status asked of running brokers over the Kafka protocol: DescribeConfigs of each
// broker for the read-only row `tributary.tier.status` (a JSON TierStatus of that broker's
// partitions). Shared by `tributary tier status` and the console's tiered-storage page.
import type { TierStatus } from '../../storage/tier/tier-status.js';

export const TIER_STATUS_KEY = 'tributary.tier.status';

type Admin = import('@platformatic/kafka').Admin;
type Kafka = typeof import('@platformatic/kafka');

/** Every broker reports its own partitions: one status for the cluster. */
export function mergeTierStatuses(all: TierStatus[]): TierStatus {
  return { ...all[0]!, partitions: all.flatMap((s) => s.partitions), pendingTopicDeletes: [...new Set(all.flatMap((s) => s.pendingTopicDeletes))] };
}

/** The cluster's tier status, or null when no broker reports one (not Tributary). */
export async function queryTierStatus(admin: Admin, kafka: Kafka): Promise<TierStatus | null> {
  const meta = await admin.metadata({ topics: [] });
  const described = await admin.describeConfigs({
    resources: [...meta.brokers.keys()].map((id) => ({ resourceType: kafka.ConfigResourceTypes.BROKER, resourceName: String(id), configurationKeys: [TIER_STATUS_KEY] })),
  });
  const statuses = described.map((d) => d.configs.find((c) => c.name === TIER_STATUS_KEY)?.value).filter((v): v is string => typeof v === 'string');
  return statuses.length === 0 ? null : mergeTierStatuses(statuses.map((s) => JSON.parse(s) as TierStatus));
}
