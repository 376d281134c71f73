// The orchestration of a partition reassignment (KIP-455) over the metadata store, run by the
// Controller inside its work queue: starting or cancelling a move (topic record CAS), and
// completing it once the new replicas are in the ISR (partition CAS, then topic CAS; a successor
// controller finishes a half-done completion, both steps being idempotent). The pure rules live
// in reassignment.ts.
import { ErrorCode } from '../../../protocol/errors.js';
import type { ClusterMetadataStore, ControllerFence, PartitionState, TopicRecord, VersionedPartitionState } from '../metadata-store/types.js';
import { addingReplicas, reassignmentComplete, removingReplicas, startReassignment, stateMovedTo } from './reassignment.js';

const MAX_CAS_ATTEMPTS = 20;

export interface ReassignmentRequest {
  topic: string;
  partition: number;
  /** The new replicas; null cancels a reassignment in progress. */
  replicas: number[] | null;
}

export interface ReassignmentResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage?: string;
}

export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

type NextState = Omit<PartitionState, 'partitionEpoch' | 'controllerEpoch'>;

/** What the steps need of the controller running them. */
export interface ReassignmentSteps {
  store: ClusterMetadataStore;
  fence: ControllerFence;
  isLive(id: number): boolean;
  /** Registered, live or fenced (the broker registry). */
  isRegistered(id: number): boolean;
  liveSet(): Set<number>;
  updatePartition(topic: string, partition: number, change: (cur: VersionedPartitionState) => NextState | undefined): Promise<VersionedPartitionState | undefined>;
  markFenced(): never;
  log(msg: string, fields?: Record<string, unknown>): void;
}

export async function reassignPartition(ctx: ReassignmentSteps, req: ReassignmentRequest): Promise<Omit<ReassignmentResult, 'topic' | 'partition'>> {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const vt = await ctx.store.getTopicVersioned(req.topic);
    const current = vt?.topic.replicas[req.partition];
    if (!vt || !current) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    const key = String(req.partition);
    const existing = vt.topic.reassigning?.[key];
    let replicas: number[];
    const reassigning = { ...(vt.topic.reassigning ?? {}) };
    if (req.replicas === null) {
      if (!existing) return { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS };
      // Cancel: back to the original replicas (leadership moves back if it had moved).
      const state = await ctx.store.getPartition(req.topic, req.partition);
      const moved = state && stateMovedTo(state.state, existing.original, ctx.liveSet());
      if (state && !moved) {
        // Reverting would leave the partition without an eligible leader: refuse rather than take it offline.
        return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'No original replica is alive and in the ISR to lead after the cancellation.' };
      }
      if (state && moved && !sameState(state.state, moved)) {
        await ctx.updatePartition(req.topic, req.partition, (cur) => {
          const next = stateMovedTo(cur.state, existing.original, ctx.liveSet());
          return next && !sameState(cur.state, next) ? next : undefined;
        });
      }
      replicas = existing.original;
      delete reassigning[key];
    } else {
      const target = req.replicas;
      if (target.length === 0 || new Set(target).size !== target.length) {
        return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Invalid target replicas ${JSON.stringify(target)}.` };
      }
      // Kafka accepts any registered broker, a stopped (fenced) one too.
      const unknown = target.filter((id) => !ctx.isRegistered(id));
      if (unknown.length > 0) {
        return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `The manual partition assignment includes broker ${unknown[0]}, but no such broker is registered.` };
      }
      const plan = startReassignment(current, existing, target);
      replicas = plan.replicas;
      reassigning[key] = plan.reassignment;
    }
    const next: TopicRecord = { ...vt.topic, replicas: vt.topic.replicas.map((r, p) => (p === req.partition ? replicas : r)), reassigning };
    if (Object.keys(reassigning).length === 0) delete next.reassigning;
    const res = await ctx.store.updateTopic(vt.revision, next, ctx.fence);
    if (res === 'fenced') ctx.markFenced();
    if (res === 'missing') return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (res === 'exists') continue;
    if (req.replicas !== null) await completeReassignmentIfCaughtUp(ctx, req.topic, req.partition);
    return { errorCode: ErrorCode.NONE };
  }
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the topic changed concurrently too often' };
}

/** ListPartitionReassignments (all partitions when `partitions` is undefined). */
export async function listReassignments(store: ClusterMetadataStore, partitions?: { topic: string; partition: number }[]): Promise<OngoingReassignment[]> {
  const out: OngoingReassignment[] = [];
  for (const t of (await store.listTopics()).items) {
    for (const [p, r] of Object.entries(t.reassigning ?? {})) {
      const partition = Number(p);
      if (partitions && !partitions.some((x) => x.topic === t.name && x.partition === partition)) continue;
      out.push({ topic: t.name, partition, replicas: t.replicas[partition]!, addingReplicas: addingReplicas(r), removingReplicas: removingReplicas(r) });
    }
  }
  return out;
}

/** Finishes a reassignment whose target replicas are all in the ISR; returns the new state if it did. */
export async function completeReassignmentIfCaughtUp(ctx: ReassignmentSteps, topic: string, partition: number): Promise<VersionedPartitionState | undefined> {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const vt = await ctx.store.getTopicVersioned(topic);
    const r = vt?.topic.reassigning?.[String(partition)];
    const cur = r && (await ctx.store.getPartition(topic, partition));
    if (!vt || !r || !cur || !reassignmentComplete(r, cur.state.isr)) return undefined;
    // First the partition state (leader into the target, removed replicas out of the ISR)...
    const moved = await ctx.updatePartition(topic, partition, (c) => {
      if (!reassignmentComplete(r, c.state.isr)) return undefined;
      const next = stateMovedTo(c.state, r.target, ctx.liveSet());
      return next && !sameState(c.state, next) ? next : undefined;
    });
    if (!moved || !moved.state.isr.every((id) => r.target.includes(id)) || !r.target.includes(moved.state.leader)) return undefined;
    // ...then the replicas. A controller dying in between leaves a state a successor's start()
    // finishes (both steps are idempotent).
    const reassigning = { ...vt.topic.reassigning };
    delete reassigning[String(partition)];
    const next: TopicRecord = { ...vt.topic, replicas: vt.topic.replicas.map((x, p) => (p === partition ? [...r.target] : x)), reassigning };
    if (Object.keys(reassigning).length === 0) delete next.reassigning;
    const res = await ctx.store.updateTopic(vt.revision, next, ctx.fence);
    if (res === 'fenced') ctx.markFenced();
    if (res === 'ok') {
      ctx.log('reassignment complete', { topic, partition, replicas: r.target });
      return moved;
    }
    if (res === 'missing') return undefined;
  }
  return undefined;
}


function sameState(a: NextState, b: NextState): boolean {
  return a.leader === b.leader && a.leaderEpoch === b.leaderEpoch && a.isr.length === b.isr.length && a.isr.every((id, i) => b.isr[i] === id);
}
