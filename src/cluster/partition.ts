// A topic partition this broker leads. Today every partition is led locally with a single
// replica; the leader id, epoch and replica list are kept explicit so replication can be added
// by changing who advances the high watermark, not how produce and fetch work.
import type { PartitionLog } from '../../storage/log/partition-log.js';

export class Partition {
  leaderId: number;
  leaderEpoch = 0;
  replicas: number[];
  isr: number[];

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly topicId: string,
    readonly log: PartitionLog,
    nodeId: number,
  ) {
    this.leaderId = nodeId;
    this.replicas = [nodeId];
    this.isr = [nodeId];
    // Resume the epoch the log last saw so OffsetForLeaderEpoch answers stay monotonic.
    this.leaderEpoch = Math.max(0, log.latestEpoch());
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
