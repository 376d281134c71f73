// A topic partition hosted by this broker, owned by the partition manager (partition-manager.ts).
// Today every partition is led locally with a single replica; the leader id, epoch, replica list
// and ISR are kept explicit so replication changes them (and who advances the high watermark)
// without changing how produce and fetch work.
import type { PartitionLog } from '../../storage/log/partition-log.js';
import type { LeaderState } from './replication/leader-state.js';

export class Partition {
  leaderId: number;
  leaderEpoch = 0;
  replicas: number[];
  isr: number[];
  /** Cluster mode: the HW follows the ISR (replication), not the local write. */
  replicated = false;
  /** While this broker leads a replicated partition: its followers and parked acks=all produces. */
  leaderState: LeaderState | null = null;

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly topicId: string,
    /** Only the partition layer (src/cluster/) touches the log; callers go through PartitionManager. */
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

