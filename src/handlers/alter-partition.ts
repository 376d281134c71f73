// AlterPartition (v2-3, KIP-497), cluster mode only, on the controller: a partition leader asks
// for an ISR change, naming its leader epoch and the partition epoch it saw. The controller
// validates in Kafka's order (STALE_BROKER_EPOCH, FENCED_LEADER_EPOCH, INVALID_REQUEST,
// INVALID_UPDATE_VERSION, INELIGIBLE_REPLICA ...) and writes by CAS on the partition state; the
// answer carries the state now in force, which the leader applies. A broker that is not (or no
// longer) the controller answers NOT_CONTROLLER and the leader re-sends to the new one.
import { ErrorCode } from '../../protocol/errors.js';
import type { AlterPartitionRequest, AlterPartitionResponse, AlterPartitionResponsePartitionData as PartitionData } from '../../protocol/generated/alter-partition.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ClusterControl } from '../cluster/controller/cluster-control.js';
import type { TopicLookup } from '../cluster/cluster-view.js';
import { defineHandler } from '../network/request-context.js';

export interface AlterPartitionDeps extends TopicLookup {
  readonly cluster: ClusterControl;
}

function refusal(req: AlterPartitionRequest, errorCode: number): AlterPartitionResponse {
  return { throttleTimeMs: 0, errorCode, topics: [] };
}

export function alterPartitionHandler(broker: AlterPartitionDeps) {
  return defineHandler(Api.AlterPartition, {
    errorResponse: refusal,
    async handle(ctx, req): Promise<AlterPartitionResponse> {
      const controller = broker.cluster.controller;
      if (!controller) return refusal(req, ErrorCode.NOT_CONTROLLER);
      const topics = [];
      for (const t of req.topics) {
        const topic = broker.topics.getById(t.topicId);
        const partitions: PartitionData[] = [];
        for (const p of t.partitions) {
          const none: PartitionData = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, leaderId: -1, leaderEpoch: -1, isr: [], leaderRecoveryState: 0, partitionEpoch: -1 };
          if (!topic) {
            partitions.push(none);
            continue;
          }
          const newIsr = ctx.header.apiVersion >= 3 ? p.newIsrWithEpochs.map((b) => b.brokerId) : p.newIsr;
          const r = await controller.alterPartition({
            brokerId: req.brokerId,
            brokerEpoch: req.brokerEpoch,
            topic: topic.name,
            partition: p.partitionIndex,
            leaderEpoch: p.leaderEpoch,
            partitionEpoch: p.partitionEpoch,
            newIsr,
          });
          const s = r.state?.state;
          // Kafka answers an error without the partition's state; the leader waits for metadata.
          partitions.push(
            r.errorCode === ErrorCode.NONE && s
              ? { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, leaderId: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr, leaderRecoveryState: 0, partitionEpoch: s.partitionEpoch }
              : { ...none, errorCode: r.errorCode },
          );
        }
        topics.push({ topicId: t.topicId, partitions });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics };
    },
  });
}
