// Cluster mode only (tributary.metadata.store set): the replication health gauges Kafka operators
// alert on, read from the partition states this broker mirrors from the metadata store at scrape
// time. Kafka's names in brackets:
//   tributary_under_replicated_partitions  led here, ISR smaller than the replica set (ReplicaManager UnderReplicatedPartitions)
//   tributary_under_min_isr_partitions     led here, ISR below min.insync.replicas: acks=all fails (UnderMinIsrPartitionCount)
//   tributary_leader_partitions            led here (LeaderCount)
//   tributary_offline_partitions           no live leader; reported by the active controller only, 0 elsewhere, as Kafka's
//                                          OfflinePartitionsCount, so a sum over brokers counts each partition once
//   tributary_active_controller            1 on the controller (ActiveControllerCount)
//   tributary_replication_throttled_bytes_total{side}  KIP-73: bytes of throttled partitions replicated (leader: sent, follower: fetched)
//   tributary_replication_byte_rate{side}   their rate over the replication quota windows (LeaderReplication / FollowerReplication byte-rate)
//   tributary_replication_held_back_total{side}  partition fetches held back because the rate was above the bound
//   tributary_follower_fetch_reads_total / _bytes_total, tributary_preferred_read_replica_redirects_total
//                                          KIP-392: consumer reads served here as a follower, and
//                                          fetches this broker as leader redirected to a preferred replica
import { isBrokerOwnedTopic } from '../metadata/topic-name.js';
import { describeMetric, type Sample } from './prometheus-text.js';

describeMetric('tributary_under_replicated_partitions', 'Partitions led by this broker whose ISR is smaller than their replica set.');
describeMetric('tributary_under_min_isr_partitions', 'Partitions led by this broker whose ISR is below min.insync.replicas (acks=all produces fail).');
describeMetric('tributary_leader_partitions', 'Partitions led by this broker.');
describeMetric('tributary_offline_partitions', 'Partitions without a live leader (reported by the active controller, 0 on other brokers).');
describeMetric('tributary_active_controller', '1 on the broker that is the active controller, else 0.');
describeMetric('tributary_replication_throttled_bytes_total', 'KIP-73: bytes of partitions listed in *.replication.throttled.replicas moved by replication (side=leader: sent to followers, follower: fetched).');
describeMetric('tributary_replication_byte_rate', 'KIP-73: bytes/s of throttled partitions over the replication quota windows (Kafka LeaderReplication / FollowerReplication byte-rate).');
describeMetric('tributary_replication_held_back_total', 'KIP-73: partition fetches of out-of-sync replicas held back because the replication rate was above *.replication.throttled.rate.');
describeMetric('tributary_follower_fetch_reads_total', 'KIP-392: partition reads this broker served to consumers as a follower.');
describeMetric('tributary_follower_fetch_bytes_total', 'KIP-392: record bytes this broker served to consumers as a follower.');
describeMetric('tributary_preferred_read_replica_redirects_total', 'KIP-392: consumer partition fetches this broker, as leader, answered with a preferred read replica.');

interface ReplicaState {
  leaderId: number;
  replicas: readonly number[];
  isr: readonly number[];
}

export interface ReplicationSource {
  readonly nodeId: number;
  readonly controllerId: number;
  /** Present in cluster mode only. */
  readonly cluster: { liveBrokers(): readonly { brokerId: number }[] } | null;
  readonly topics: { all(): readonly { name: string; partitions: number }[] };
  readonly partitionManager: {
    partition(topic: string, index: number): ReplicaState | undefined;
    readonly followerReads?: { followerReads: number; followerReadBytes: number; preferredReplicaRedirects: number };
  };
  topicConfig(topic: string): { get(key: 'min.insync.replicas'): number };
  /** KIP-73 quotas (cluster mode). */
  readonly replicationQuotas?: { leader: ReplicationQuotaView; follower: ReplicationQuotaView } | null;
}

interface ReplicationQuotaView {
  readonly throttledBytes: number;
  readonly heldBack: number;
  byteRate(): number;
}

export function replicationSamples(b: ReplicationSource): Sample[] {
  if (!b.cluster) return [];
  const live = new Set(b.cluster.liveBrokers().map((x) => x.brokerId));
  const isController = b.controllerId === b.nodeId;
  let underReplicated = 0;
  let underMinIsr = 0;
  let leader = 0;
  let offline = 0;
  for (const t of b.topics.all()) {
    // Internal topics are still each broker's own in cluster mode (one replica, never in the store).
    if (isBrokerOwnedTopic(t.name)) continue;
    let minIsr: number | null = null;
    for (let p = 0; p < t.partitions; p++) {
      const st = b.partitionManager.partition(t.name, p);
      if (!st) continue;
      if (st.leaderId < 0 || !live.has(st.leaderId)) {
        offline++;
        continue;
      }
      if (st.leaderId !== b.nodeId) continue;
      leader++;
      if (st.isr.length < st.replicas.length) underReplicated++;
      minIsr ??= b.topicConfig(t.name).get('min.insync.replicas');
      if (st.isr.length < minIsr) underMinIsr++;
    }
  }
  return [
    { name: 'tributary_under_replicated_partitions', labels: {}, value: underReplicated },
    { name: 'tributary_under_min_isr_partitions', labels: {}, value: underMinIsr },
    { name: 'tributary_leader_partitions', labels: {}, value: leader },
    { name: 'tributary_offline_partitions', labels: {}, value: isController ? offline : 0 },
    { name: 'tributary_active_controller', labels: {}, value: isController ? 1 : 0 },
    ...replicationQuotaSamples(b.replicationQuotas ?? null),
    ...followerReadSamples(b.partitionManager.followerReads),
  ];
}

function followerReadSamples(f: { followerReads: number; followerReadBytes: number; preferredReplicaRedirects: number } | undefined): Sample[] {
  if (!f) return [];
  return [
    { name: 'tributary_follower_fetch_reads_total', labels: {}, value: f.followerReads },
    { name: 'tributary_follower_fetch_bytes_total', labels: {}, value: f.followerReadBytes },
    { name: 'tributary_preferred_read_replica_redirects_total', labels: {}, value: f.preferredReplicaRedirects },
  ];
}

function replicationQuotaSamples(q: { leader: ReplicationQuotaView; follower: ReplicationQuotaView } | null): Sample[] {
  if (!q) return [];
  return (['leader', 'follower'] as const).flatMap((side) => [
    { name: 'tributary_replication_throttled_bytes_total', labels: { side }, value: q[side].throttledBytes },
    { name: 'tributary_replication_byte_rate', labels: { side }, value: q[side].byteRate() },
    { name: 'tributary_replication_held_back_total', labels: { side }, value: q[side].heldBack },
  ]);
}
