// Which share partitions of a group have share state (KIP-932's ShareGroupStatePartitionMetadata,
// record type 15 in __consumer_offsets): Kafka's group coordinator keeps, per share group, the
// partitions whose state is initialized or being initialized and the topics whose state is being
// deleted. It is what DescribeShareGroupOffsets lists when no topics are named, and what
// DeleteShareGroupOffsets / DeleteGroups clean up on the share coordinators — after a failover
// too, since the new group coordinator replays it (membership alone does not say which
// partitions ever had state: members leave, subscriptions change).
import type { StatePartitionMetadata, TopicPartitionsInfo } from './share-group-records.js';

interface TopicParts {
  name: string;
  partitions: Set<number>;
}

export class ShareStatePartitions {
  readonly initializing = new Map<string, TopicParts>();
  readonly initialized = new Map<string, TopicParts>();
  /** topic id -> name: state being deleted (DeleteShareGroupOffsets in progress). */
  readonly deleting = new Map<string, string>();

  static from(v: StatePartitionMetadata | null | undefined): ShareStatePartitions {
    const out = new ShareStatePartitions();
    if (!v) return out;
    for (const t of v.initializing) out.initializing.set(t.topicId, { name: t.topicName, partitions: new Set(t.partitions) });
    for (const t of v.initialized) out.initialized.set(t.topicId, { name: t.topicName, partitions: new Set(t.partitions) });
    for (const t of v.deleting) out.deleting.set(t.topicId, t.topicName);
    return out;
  }

  get isEmpty(): boolean {
    return this.initializing.size === 0 && this.initialized.size === 0 && this.deleting.size === 0;
  }

  /** The record's value, or null when nothing is recorded (no record written). */
  toValue(): StatePartitionMetadata | null {
    if (this.isEmpty) return null;
    const list = (m: Map<string, TopicParts>): TopicPartitionsInfo[] => [...m].map(([topicId, t]) => ({ topicId, topicName: t.name, partitions: [...t.partitions].sort((a, b) => a - b) }));
    return { initializing: list(this.initializing), initialized: list(this.initialized), deleting: [...this.deleting].map(([topicId, topicName]) => ({ topicId, topicName })) };
  }

  /** Records partitions as initialized (they leave `initializing`); whether anything changed. */
  markInitialized(topicId: string, topicName: string, partitions: Iterable<number>): boolean {
    let changed = false;
    let t = this.initialized.get(topicId);
    for (const p of partitions) {
      const pending = this.initializing.get(topicId);
      if (pending?.partitions.delete(p)) {
        changed = true;
        if (pending.partitions.size === 0) this.initializing.delete(topicId);
      }
      if (t?.partitions.has(p)) continue;
      if (!t) this.initialized.set(topicId, (t = { name: topicName, partitions: new Set() }));
      t.partitions.add(p);
      changed = true;
    }
    return changed;
  }

  /** Partitions with state (initialized or initializing), per topic id. */
  withState(): Map<string, number[]> {
    const out = new Map<string, Set<number>>();
    for (const m of [this.initialized, this.initializing]) {
      for (const [topicId, t] of m) {
        let s = out.get(topicId);
        if (!s) out.set(topicId, (s = new Set()));
        for (const p of t.partitions) s.add(p);
      }
    }
    return new Map([...out].map(([topicId, s]) => [topicId, [...s].sort((a, b) => a - b)]));
  }

  /** DeleteShareGroupOffsets begins for a topic: its partitions leave the state sets, the topic is `deleting`. */
  startDeleting(topicId: string, topicName: string): number[] {
    const parts = this.withState().get(topicId) ?? [];
    this.initialized.delete(topicId);
    this.initializing.delete(topicId);
    this.deleting.set(topicId, topicName);
    return parts;
  }

  /** The topic's state is deleted on the share coordinators; whether anything changed. */
  finishDeleting(topicId: string): boolean {
    return this.deleting.delete(topicId);
  }
}
