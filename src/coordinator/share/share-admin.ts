// The share-group admin APIs (KIP-932): DescribeShareGroupOffsets (SPSO and lag per partition),
// AlterShareGroupOffsets (move the SPSO of an empty group), DeleteShareGroupOffsets (forget the
// state of topics of an empty group), and DeleteGroups of a share group.
import { ErrorCode } from '../../../protocol/errors.js';
import { ZERO_UUID } from '../../../protocol/wire/defaults.js';
import type { ShareGroupCoordinator, ShareTopicsView } from './share-group-coordinator.js';
import type { SharePartitionManager } from './share-partition-manager.js';
import type { ClusterSharePersister } from './share-persister.js';
import type { ShareStateStore } from './share-state-store.js';

export interface DescribedShareOffsets {
  errorCode: number;
  errorMessage: string | null;
  topics: { topicName: string; topicId: string; partitions: { partitionIndex: number; startOffset: number; leaderEpoch: number; lag: number; errorCode: number; errorMessage: string | null }[] }[];
}

export interface ShareAdminDeps {
  groups: ShareGroupCoordinator;
  partitions: SharePartitionManager;
  store: ShareStateStore | null;
  topics: ShareTopicsView;
  offsets(topic: string, partition: number): { logStartOffset: number; highWatermark: number } | undefined;
  /** Cluster mode: share-partition state lives with the share coordinators, reached through the persister. */
  remote?: ClusterSharePersister | null;
}

type AlterOutcome = { errorCode: number; errorMessage: string | null; responses: { topicName: string; topicId: string; partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[] }[] };
type DeleteOutcome = { errorCode: number; errorMessage: string | null; responses: { topicName: string; topicId: string; errorCode: number; errorMessage: string | null }[] };

export class ShareAdmin {
  constructor(private readonly d: ShareAdminDeps) {}

  /**
   * Partitions of the group with state: in memory or persisted here, and (`recorded`) those its
   * ShareGroupStatePartitionMetadata lists, wherever their share coordinator is.
   */
  private statePartitions(groupId: string, recorded = true): Map<string, number[]> {
    const byTopic = new Map<string, Set<number>>();
    const add = (topicId: string, p: number) => {
      if (!byTopic.has(topicId)) byTopic.set(topicId, new Set());
      byTopic.get(topicId)!.add(p);
    };
    for (const { topicId, partition } of this.d.partitions.groupPartitions(groupId)) add(topicId, partition);
    for (const { topicId, partition } of this.d.store?.partitionsOf(groupId) ?? []) add(topicId, partition);
    // ShareGroupStatePartitionMetadata: every partition that has state, wherever its coordinator is.
    if (recorded) for (const [topicId, parts] of this.d.groups.statesOf(groupId)?.withState() ?? []) for (const p of parts) add(topicId, p);
    return new Map([...byTopic].map(([t, s]) => [t, [...s].sort((a, b) => a - b)]));
  }

  describeOffsets(groupId: string, topics: { topicName: string; partitions: number[] }[] | null): DescribedShareOffsets | Promise<DescribedShareOffsets> {
    if (this.d.remote && this.d.groups.owns(groupId)) return this.describeRemote(this.d.remote, groupId, topics);
    if (!this.d.groups.owns(groupId)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, topics: [] };
    // Listed: every partition recorded with state; a partition assigned but never read has none
    // yet (startOffset -1, as Kafka answers for one initialized without a start offset).
    const state = this.statePartitions(groupId, false);
    const wanted = topics ?? [...this.statePartitions(groupId)].flatMap(([topicId, partitions]) => {
      const t = this.d.topics.getById(topicId);
      return t ? [{ topicName: t.name, partitions }] : [];
    });
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topics: wanted.map((w) => {
        const t = this.d.topics.get(w.topicName);
        return {
          topicName: w.topicName,
          topicId: t?.id ?? ZERO_UUID,
          partitions: w.partitions.map((p) => {
            const none = { partitionIndex: p, startOffset: -1, leaderEpoch: -1, lag: -1, errorCode: ErrorCode.NONE, errorMessage: null };
            if (!t || p < 0 || p >= t.partitions) return { ...none, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' };
            // Uninitialized share partitions answer startOffset -1, as in Kafka.
            if (!state.get(t.id)?.includes(p)) return none;
            const sp = this.d.partitions.sharePartition(groupId, t.id, p)!;
            const hw = this.d.offsets(t.name, p)?.highWatermark ?? sp.startOffset;
            return { ...none, startOffset: sp.startOffset, leaderEpoch: 0, lag: Math.max(0, hw - sp.startOffset - sp.completedInFlight) };
          }),
        };
      }),
    };
  }

  alterOffsets(groupId: string, topics: { topicName: string; partitions: { partitionIndex: number; startOffset: number }[] }[]): AlterOutcome | Promise<AlterOutcome> {
    const ok = this.d.groups.ensureEmptyOrNew(groupId);
    if (ok === ErrorCode.NONE && this.d.remote) return this.alterRemote(this.d.remote, groupId, topics);
    if (ok !== ErrorCode.NONE) return { errorCode: ok, errorMessage: ok === ErrorCode.NON_EMPTY_GROUP ? 'The group has active members.' : `Group ${groupId} is not a share group.`, responses: [] };
    const out: AlterOutcome = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: topics.map((tr) => {
        const t = this.d.topics.get(tr.topicName);
        return {
          topicName: tr.topicName,
          topicId: t?.id ?? ZERO_UUID,
          partitions: tr.partitions.map((pr) => {
            if (!t || pr.partitionIndex < 0 || pr.partitionIndex >= t.partitions) return { partitionIndex: pr.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
            if (pr.startOffset < 0) return { partitionIndex: pr.partitionIndex, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'StartOffset must be non-negative.' };
            const sp = this.d.partitions.sharePartition(groupId, t.id, pr.partitionIndex);
            if (!sp) return { partitionIndex: pr.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
            const offsets = this.d.offsets(t.name, pr.partitionIndex);
            sp.reset(Math.max(pr.startOffset, offsets?.logStartOffset ?? 0));
            this.d.store?.changed(groupId, t.id, pr.partitionIndex, sp);
            return { partitionIndex: pr.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null };
          }),
        };
      }),
    };
    return this.recordInitialized(groupId, out).then(() => out);
  }

  /** The partitions an AlterShareGroupOffsets initialized go into the group's ShareGroupStatePartitionMetadata. */
  private async recordInitialized(groupId: string, out: AlterOutcome): Promise<void> {
    const code = await this.d.groups.updateStates(groupId, (s) => {
      let changed = false;
      for (const r of out.responses) {
        const parts = r.partitions.filter((p) => p.errorCode === ErrorCode.NONE).map((p) => p.partitionIndex);
        if (parts.length > 0 && s.markInitialized(r.topicId, r.topicName, parts)) changed = true;
      }
      return changed;
    });
    if (code !== ErrorCode.NONE) out.errorCode = code;
  }

  deleteOffsets(groupId: string, topicNames: string[]): DeleteOutcome | Promise<DeleteOutcome> {
    if (!this.d.groups.owns(groupId)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, responses: [] };
    if (!this.d.groups.isEmpty(groupId)) return { errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage: 'The group has active members.', responses: [] };
    if (this.d.remote) return this.deleteRemote(this.d.remote, groupId, topicNames);
    const state = this.statePartitions(groupId);
    const out: DeleteOutcome = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: topicNames.map((name) => {
        const t = this.d.topics.get(name);
        if (!t) return { topicName: name, topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
        for (const p of state.get(t.id) ?? []) this.forget(groupId, t.id, p);
        return { topicName: name, topicId: t.id, errorCode: ErrorCode.NONE, errorMessage: null };
      }),
    };
    const deleted = out.responses.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.topicId);
    return this.d.groups
      .updateStates(groupId, (s) => {
        let changed = false;
        for (const id of deleted) {
          if (s.startDeleting(id, '').length > 0) changed = true;
          s.finishDeleting(id);
        }
        return changed;
      })
      .then((code) => (code === ErrorCode.NONE ? out : { ...out, errorCode: code }));
  }

  async deleteGroup(groupId: string): Promise<number> {
    // The partitions with state: the group's ShareGroupStatePartitionMetadata (replayed by this
    // coordinator, whoever wrote it), with every partition of a topic whose deletion was under way.
    const all = new Map<string, { topicId: string; partition: number }>();
    for (const [topicId, parts] of this.statePartitions(groupId)) for (const partition of parts) all.set(`${topicId}:${partition}`, { topicId, partition });
    for (const topicId of this.d.groups.statesOf(groupId)?.deleting.keys() ?? []) {
      for (let partition = 0; partition < (this.d.topics.getById(topicId)?.partitions ?? 0); partition++) all.set(`${topicId}:${partition}`, { topicId, partition });
    }
    const code = await this.d.groups.delete(groupId);
    if (code !== ErrorCode.NONE) return code;
    if (this.d.remote) {
      const remote = this.d.remote;
      for (const x of all.values()) this.d.partitions.drop(groupId, x.topicId, x.partition);
      await Promise.all([...all.values()].map((x) => remote.deleteState(groupId, x.topicId, x.partition)));
      return ErrorCode.NONE;
    }
    for (const x of all.values()) this.forget(groupId, x.topicId, x.partition);
    await this.d.store?.flush();
    return ErrorCode.NONE;
  }

  /**
   * A topic was deleted: every group's state of it goes (tombstoned in __share_group_state) and no
   * share session fetches it any more, so later fetches answer without errors for it; a request
   * that still names its id gets UNKNOWN_TOPIC_ID. Members' assignments drop it at their next
   * heartbeat (the subscribed topics changed).
   */
  async topicDeleted(topicId: string): Promise<number> {
    const gone = new Map<string, { groupId: string; partition: number }>();
    for (const g of this.d.groups.groups.keys()) for (const { topicId: t, partition } of this.d.partitions.groupPartitions(g)) if (t === topicId) gone.set(`${g}:${partition}`, { groupId: g, partition });
    for (const x of this.d.store?.partitionsOfTopic(topicId) ?? []) gone.set(`${x.groupId}:${x.partition}`, x);
    for (const { groupId, partition } of gone.values()) this.forget(groupId, topicId, partition);
    this.d.partitions.sessions.forgetTopic(topicId);
    await this.d.store?.flush();
    return gone.size;
  }

  private forget(groupId: string, topicId: string, partition: number): void {
    this.d.partitions.drop(groupId, topicId, partition);
    // Cluster mode (topic deletion): every broker tombstones the state it coordinates.
    if (this.d.remote) void this.d.store?.deleteState(groupId, topicId, partition);
    else this.d.store?.changed(groupId, topicId, partition, null);
  }

  /** Cluster mode: each partition's start offset and completed count from its share coordinator (ReadShareGroupStateSummary). */
  private async describeRemote(remote: ClusterSharePersister, groupId: string, topics: { topicName: string; partitions: number[] }[] | null): Promise<DescribedShareOffsets> {
    let wanted = topics;
    if (!wanted) {
      const byTopic = new Map<string, Set<number>>();
      const add = (topicId: string, p: number) => {
        const t = this.d.topics.getById(topicId);
        if (!t) return;
        if (!byTopic.has(t.name)) byTopic.set(t.name, new Set());
        byTopic.get(t.name)!.add(p);
      };
      for (const [topicId, parts] of this.statePartitions(groupId)) for (const p of parts) add(topicId, p);
      wanted = [...byTopic].map(([topicName, s]) => ({ topicName, partitions: [...s].sort((a, b) => a - b) }));
    }
    const out: DescribedShareOffsets['topics'] = [];
    for (const w of wanted) {
      const t = this.d.topics.get(w.topicName);
      const partitions = await Promise.all(w.partitions.map(async (p) => {
        const none = { partitionIndex: p, startOffset: -1, leaderEpoch: -1, lag: -1, errorCode: ErrorCode.NONE as number, errorMessage: null as string | null };
        if (!t || p < 0 || p >= t.partitions) return { ...none, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' };
        const s = await remote.summary(groupId, t.id, p);
        if (s.errorCode !== ErrorCode.NONE) return { ...none, errorCode: s.errorCode };
        if (s.startOffset < 0) return none;
        const hw = this.d.offsets(t.name, p)?.highWatermark;
        return { ...none, startOffset: s.startOffset, leaderEpoch: Math.max(0, s.leaderEpoch), lag: hw === undefined ? -1 : Math.max(0, hw - s.startOffset - Math.max(0, s.deliveryCompleteCount)) };
      }));
      out.push({ topicName: w.topicName, topicId: t?.id ?? ZERO_UUID, partitions });
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, topics: out };
  }

  /** Cluster mode: InitializeShareGroupState at the new start offset through each partition's share coordinator. */
  private async alterRemote(remote: ClusterSharePersister, groupId: string, topics: { topicName: string; partitions: { partitionIndex: number; startOffset: number }[] }[]): Promise<AlterOutcome> {
    const responses: AlterOutcome['responses'] = [];
    for (const tr of topics) {
      const t = this.d.topics.get(tr.topicName);
      const partitions = await Promise.all(tr.partitions.map(async (pr) => {
        if (!t || pr.partitionIndex < 0 || pr.partitionIndex >= t.partitions) return { partitionIndex: pr.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION as number, errorMessage: null };
        if (pr.startOffset < 0) return { partitionIndex: pr.partitionIndex, errorCode: ErrorCode.INVALID_REQUEST as number, errorMessage: 'StartOffset must be non-negative.' };
        const offsets = this.d.offsets(t.name, pr.partitionIndex);
        this.d.partitions.drop(groupId, t.id, pr.partitionIndex);
        const code = await remote.initialize(groupId, t.id, pr.partitionIndex, Math.max(pr.startOffset, offsets?.logStartOffset ?? 0));
        return { partitionIndex: pr.partitionIndex, errorCode: code, errorMessage: null };
      }));
      responses.push({ topicName: tr.topicName, topicId: t?.id ?? ZERO_UUID, partitions });
    }
    const out: AlterOutcome = { errorCode: ErrorCode.NONE, errorMessage: null, responses };
    await this.recordInitialized(groupId, out);
    return out;
  }

  /**
   * Load of a __consumer_offsets partition (cluster mode): a DeleteShareGroupOffsets a failover
   * interrupted (topics still `deleting` in a replayed ShareGroupStatePartitionMetadata) is
   * finished, as Kafka's coordinator does on load.
   */
  async resumeDeletes(): Promise<void> {
    const remote = this.d.remote;
    if (!remote) return;
    for (const [groupId, g] of [...this.d.groups.groups]) {
      for (const topicId of [...g.states.deleting.keys()]) {
        const t = this.d.topics.getById(topicId);
        const codes = await Promise.all(Array.from({ length: t?.partitions ?? 0 }, (_, p) => remote.deleteState(groupId, topicId, p)));
        if (codes.every((c) => c === ErrorCode.NONE)) await this.d.groups.updateStates(groupId, (s) => s.finishDeleting(topicId));
      }
    }
  }

  /** Cluster mode: DeleteShareGroupState for every partition of each topic through its share coordinator. */
  private async deleteRemote(remote: ClusterSharePersister, groupId: string, topicNames: string[]): Promise<DeleteOutcome> {
    const responses: DeleteOutcome['responses'] = [];
    for (const name of topicNames) {
      const t = this.d.topics.get(name);
      if (!t) {
        responses.push({ topicName: name, topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null });
        continue;
      }
      // Kafka's order: the topic is recorded as deleting, its state is deleted on the share
      // coordinators, then the topic leaves the record (a failover in between deletes it again).
      const marked = await this.d.groups.updateStates(groupId, (s) => {
        s.startDeleting(t.id, t.name);
        return true;
      });
      if (marked !== ErrorCode.NONE) {
        responses.push({ topicName: name, topicId: t.id, errorCode: marked, errorMessage: null });
        continue;
      }
      // Every partition of the topic: state a data leader created before the record knew of it goes too.
      const codes = await Promise.all(Array.from({ length: t.partitions }, (_, p) => {
        this.d.partitions.drop(groupId, t.id, p);
        return remote.deleteState(groupId, t.id, p);
      }));
      const failed = codes.find((c) => c !== ErrorCode.NONE);
      if (failed === undefined) await this.d.groups.updateStates(groupId, (s) => s.finishDeleting(t.id));
      responses.push({ topicName: name, topicId: t.id, errorCode: failed ?? ErrorCode.NONE, errorMessage: null });
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, responses };
  }
}
