// The controller: the one broker (elected through the metadata store) that decides replica
// placement and partition leadership. It never touches the data path; it only reads and
// compare-and-swaps metadata, every write carrying its ControllerFence so that a controller that
// lost its lease (or was replaced) can no longer change anything. Kafka's ZooKeeper-era
// KafkaController, with etcd as the store:
// - a broker's registration disappears (lease expired or revoked): partitions it led get a new
//   leader from the ISR (unclean.leader.election.enable honoured), it leaves every ISR;
// - a broker registers: leaderless partitions it can lead get it as leader;
// - leaders ask for ISR changes (AlterPartition), validated and CAS'd on the partition epoch;
// - controlled shutdown moves leadership off a broker before it exits;
// - preferred-leader (and unclean) election on request (ElectLeaders);
// - CreateTopics / CreatePartitions (KRaft's striped, rack-aware placement over the registered
//   brokers, fenced ones only when needed) and DeleteTopics;
// - UnregisterBroker: a stopped broker stays registered (fenced) until it is unregistered.
// Work is serialized through one bounded queue, like Kafka's controller event queue.
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../../protocol/errors.js';
import type {
  BrokerRegistration,
  ClusterMetadataStore,
  ControllerFence,
  PartitionState,
  TopicRecord,
  Unwatch,
  VersionedPartitionState,
} from '../metadata-store/types.js';
import { controlledShutdownLeader, offlinePartitionLeader, preferredReplicaLeader } from './leader-election.js';
import {
  completeReassignmentIfCaughtUp,
  listReassignments,
  reassignPartition,
  type OngoingReassignment,
  type ReassignmentRequest,
  type ReassignmentResult,
  type ReassignmentSteps,
} from './reassignment-steps.js';
import { placeReplicas, ReplicaAssignmentError, type UsableBroker } from './striped-replica-placer.js';

/** Kafka's "no leader" marker in metadata. */
export const NO_LEADER = -1;

const UNCLEAN_KEY = 'unclean.leader.election.enable';
const MAX_QUEUED = 10_000;
const MAX_CAS_ATTEMPTS = 20;

export interface ControllerOptions {
  store: ClusterMetadataStore;
  fence: ControllerFence;
  /** Static broker default of unclean.leader.election.enable (Kafka: false). */
  uncleanLeaderElectionEnable?: boolean;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface ControllerResult {
  errorCode: number;
  errorMessage?: string;
}

export interface AlterPartitionRequest {
  brokerId: number;
  /** The requester's registration epoch; stale ones are refused (STALE_BROKER_EPOCH). -1 skips. */
  brokerEpoch: number;
  topic: string;
  partition: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: number[];
}

export type ElectionType = 'preferred' | 'unclean';

export type { OngoingReassignment, ReassignmentRequest, ReassignmentResult };



export interface ElectionResult extends ControllerResult {
  topic: string;
  partition: number;
}

class FencedError extends Error {}

export class Controller {
  readonly fence: ControllerFence;
  private readonly store: ClusterMetadataStore;
  private readonly live = new Map<number, BrokerRegistration>();
  /**
   * The broker registry: every registered broker, live or not (a stopped broker stays registered,
   * fenced, until UnregisterBroker). Loaded at start; a live registration implies a registry entry
   * (the store writes both at once), and only this controller removes entries.
   */
  private readonly registered = new Map<number, BrokerRegistration>();
  private readonly shuttingDown = new Set<number>();
  private queue: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private unwatch: Unwatch | undefined;
  private stopped = false;
  private rebalanceTimer: NodeJS.Timeout | undefined;
  private fencedReason: string | undefined;
  private readonly fencedListeners: ((reason: string) => void)[] = [];
  private readonly log: (msg: string, fields?: Record<string, unknown>) => void;
  /** What the reassignment steps (reassignment-steps.ts) may use of this controller. */
  private readonly steps: ReassignmentSteps;

  constructor(private readonly opts: ControllerOptions) {
    this.store = opts.store;
    this.fence = opts.fence;
    this.log = opts.log ?? (() => undefined);
    this.steps = {
      store: this.store,
      fence: this.fence,
      isLive: (id) => this.live.has(id),
      isRegistered: (id) => this.registered.has(id) || this.live.has(id),
      liveSet: () => this.liveSet(),
      updatePartition: (t, p, change) => this.updatePartition(t, p, change),
      markFenced: () => this.markFenced(),
      log: (msg, fields) => this.log(msg, fields),
    };
  }

  /** Loads the live brokers, watches them, and repairs partitions whose leader is gone. */
  async start(): Promise<void> {
    for (const b of await this.store.listRegisteredBrokers()) this.registered.set(b.brokerId, b);
    const brokers = await this.store.listBrokers();
    for (const b of brokers.items) {
      this.live.set(b.brokerId, b);
      this.registered.set(b.brokerId, b);
    }
    this.unwatch = await this.store.watchBrokers(brokers.revision, (ev) => {
      if (ev.type === 'put') this.handle(`broker ${ev.value.brokerId} up`, () => this.onBrokerUp(ev.value));
      else this.handle(`broker ${ev.key} gone`, () => this.onBrokerGone(ev.key));
    });
    await this.enqueue(async () => {
      // Failover: brokers that died while no controller ran still lead or sit in ISRs.
      const { items } = await this.store.listPartitions();
      const dead = new Set<number>();
      for (const p of items) for (const id of [p.state.leader, ...p.state.isr]) if (id !== NO_LEADER && !this.live.has(id)) dead.add(id);
      for (const id of [...dead].sort((a, b) => a - b)) await this.onBrokerGone(id);
      await this.electOfflinePartitions(undefined);
      // Reassignments whose last step a previous controller did not finish.
      for (const t of (await this.store.listTopics()).items) {
        for (const p of Object.keys(t.reassigning ?? {})) await this.maybeCompleteReassignment(t.name, Number(p));
      }
    });
  }

  get isActive(): boolean {
    return !this.stopped && this.fencedReason === undefined;
  }

  liveBrokerIds(): number[] {
    return [...this.live.keys()].sort((a, b) => a - b);
  }

  /** Called once if a write is refused because another controller took over. */
  onFenced(listener: (reason: string) => void): void {
    if (this.fencedReason !== undefined) queueMicrotask(() => listener(this.fencedReason!));
    else this.fencedListeners.push(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer);
    await this.unwatch?.();
    await this.queue.catch(() => undefined);
  }

  /** Waits until everything queued so far (including watch events) has been handled. */
  async idle(): Promise<void> {
    await this.enqueue(async () => undefined).catch(() => undefined);
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (!this.isActive) return Promise.reject(new FencedError(this.fencedReason ?? 'controller stopped'));
    if (this.queued >= MAX_QUEUED) return Promise.reject(new Error('controller queue full'));
    this.queued++;
    const run = this.queue.then(async () => {
      if (!this.isActive) throw new FencedError(this.fencedReason ?? 'controller stopped');
      return work();
    });
    this.queue = run.catch(() => undefined).finally(() => this.queued--);
    return run;
  }

  /**
   * Runs the reaction to a watch event. A failure (the store unreachable for a moment) must not
   * leave a dead broker's partitions leaderless: the reaction is retried until it succeeds or this
   * controller stops or is fenced (all reactions are idempotent: they re-read and CAS).
   */
  private handle(what: string, work: () => Promise<void>, attempt = 0): void {
    this.enqueue(work).catch((err: unknown) => {
      if (err instanceof FencedError || !this.isActive) return;
      this.log('controller event failed, retrying', { event: what, attempt, error: (err as Error).message });
      const t = setTimeout(() => this.handle(what, work, attempt + 1), Math.min(100 * 2 ** attempt, 2_000));
      t.unref();
    });
  }

  private markFenced(): never {
    if (this.fencedReason === undefined) {
      this.fencedReason = `controller epoch ${this.fence.epoch} fenced: another controller was elected or our lease ended`;
      this.log('controller fenced', { epoch: this.fence.epoch });
      for (const l of this.fencedListeners.splice(0)) l(this.fencedReason);
    }
    throw new FencedError(this.fencedReason);
  }

  /** Runs a controller request, turning a fenced controller into NOT_CONTROLLER. */
  private async request<T>(work: () => Promise<T>, fallback: (r: ControllerResult) => T): Promise<T> {
    try {
      return await this.enqueue(work);
    } catch (err) {
      if (err instanceof FencedError) return fallback({ errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: err.message });
      return fallback({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: (err as Error).message });
    }
  }

  /**
   * Read-modify-CAS of one partition state, retried on conflict. `change` returns the next state
   * or undefined for "nothing to do".
   */
  private async updatePartition(
    topic: string,
    partition: number,
    change: (cur: VersionedPartitionState) => Omit<PartitionState, 'partitionEpoch' | 'controllerEpoch'> | undefined,
  ): Promise<VersionedPartitionState | undefined> {
    let cur = await this.store.getPartition(topic, partition);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS && cur; attempt++) {
      const next = change(cur);
      if (!next) return cur;
      const res = await this.store.casPartition(cur, next, this.fence);
      if (res.ok) return res.state;
      if (res.reason === 'fenced') this.markFenced();
      if (res.reason === 'missing') return undefined;
      cur = res.current;
    }
    if (cur) throw new Error(`partition ${topic}-${partition}: gave up after ${MAX_CAS_ATTEMPTS} conflicting updates`);
    return undefined;
  }

  private async uncleanEnabled(topic: string): Promise<boolean> {
    const dynamicTopic = await this.store.getConfigs('topic', topic);
    const record = await this.store.getTopic(topic);
    const cluster = await this.store.getConfigs('broker', '<default>');
    const v = dynamicTopic[UNCLEAN_KEY] ?? record?.configs[UNCLEAN_KEY] ?? cluster[UNCLEAN_KEY];
    return v === undefined ? (this.opts.uncleanLeaderElectionEnable ?? false) : v.trim().toLowerCase() === 'true';
  }

  private liveSet(): Set<number> {
    return new Set(this.live.keys());
  }

  // ---- broker lifecycle ------------------------------------------------------------------

  private async onBrokerGone(brokerId: number): Promise<void> {
    this.live.delete(brokerId);
    this.shuttingDown.delete(brokerId);
    this.log('broker gone', { brokerId });
    await this.leavePartitions(brokerId);
  }

  /** Every partition `gone` leads or is in the ISR of moves on without it (withoutBroker). */
  private async leavePartitions(gone: number): Promise<void> {
    const { items } = await this.store.listPartitions();
    const topics = await this.topicMap();
    for (const p of items) {
      if (p.state.leader !== gone && !p.state.isr.includes(gone)) continue;
      const replicas = topics.get(p.topic)?.replicas[p.partition] ?? [];
      const unclean = p.state.leader === gone ? await this.uncleanEnabled(p.topic) : false;
      await this.updatePartition(p.topic, p.partition, (cur) => this.withoutBroker(cur.state, replicas, gone, unclean));
    }
  }

  /**
   * The state after `gone` stopped: new leader if it led, out of the ISR otherwise. An ISR is never
   * emptied: like KRaft, a leaderless partition keeps its last member, so it comes back cleanly
   * when that broker returns.
   */
  private withoutBroker(s: PartitionState, replicas: number[], gone: number, unclean: boolean) {
    const live = this.liveSet();
    if (s.leader !== gone) {
      if (!s.isr.includes(gone) || s.isr.every((id) => id === gone)) return undefined;
      return { leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr.filter((id) => id !== gone) };
    }
    const elected = offlinePartitionLeader(replicas, s.isr, live, unclean);
    if (elected) {
      const isr = elected.unclean ? [elected.leader] : s.isr.filter((id) => id !== gone && live.has(id));
      return { leader: elected.leader, leaderEpoch: s.leaderEpoch + 1, isr };
    }
    // Nobody may lead. Like KRaft, keep the last ISR member in the ISR, so the partition comes
    // back cleanly when that broker returns.
    const rest = s.isr.filter((id) => id !== gone);
    return { leader: NO_LEADER, leaderEpoch: s.leaderEpoch + 1, isr: rest.length > 0 ? rest : [gone] };
  }

  private async onBrokerUp(reg: BrokerRegistration): Promise<void> {
    const prev = this.live.get(reg.brokerId);
    this.live.set(reg.brokerId, reg);
    this.registered.set(reg.brokerId, reg);
    if (prev?.brokerEpoch !== reg.brokerEpoch) this.shuttingDown.delete(reg.brokerId);
    this.log('broker up', { brokerId: reg.brokerId });
    await this.electOfflinePartitions(reg.brokerId);
  }

  /** Leaderless partitions (optionally: only those that could be led by `candidate`) get a leader. */
  private async electOfflinePartitions(candidate: number | undefined): Promise<void> {
    const { items } = await this.store.listPartitions();
    const topics = await this.topicMap();
    for (const p of items) {
      const replicas = topics.get(p.topic)?.replicas[p.partition] ?? [];
      const leaderAlive = p.state.leader !== NO_LEADER && this.live.has(p.state.leader);
      if (leaderAlive || (candidate !== undefined && !replicas.includes(candidate))) continue;
      const unclean = await this.uncleanEnabled(p.topic);
      await this.updatePartition(p.topic, p.partition, (cur) => {
        if (cur.state.leader !== NO_LEADER && this.live.has(cur.state.leader)) return undefined;
        // A partition created while none of its replicas was live has an empty ISR: nothing was
        // ever written to it, so any live replica may lead it cleanly.
        const neverLed = cur.state.isr.length === 0 && cur.state.leader === NO_LEADER;
        const elected = offlinePartitionLeader(replicas, neverLed ? replicas : cur.state.isr, this.liveSet(), unclean);
        if (!elected) {
          // A dead leader still named (e.g. it died while no controller ran): mark it leaderless.
          if (cur.state.leader === NO_LEADER) return undefined;
          return this.withoutBroker(cur.state, replicas, cur.state.leader, false);
        }
        const isr = elected.unclean ? [elected.leader] : cur.state.isr.filter((id) => this.live.has(id) || id === elected.leader);
        return { leader: elected.leader, leaderEpoch: cur.state.leaderEpoch + 1, isr };
      });
    }
  }

  private async topicMap(): Promise<Map<string, TopicRecord>> {
    const { items } = await this.store.listTopics();
    return new Map(items.map((t) => [t.name, t]));
  }

  // ---- topics ----------------------------------------------------------------------------

  /** CreateTopics: rack-aware assignment over the live brokers unless `assignment` is given. */
  createTopic(
    name: string,
    numPartitions: number,
    replicationFactor: number,
    configs: Record<string, string> = {},
    assignment?: number[][],
  ): Promise<ControllerResult & { topic?: TopicRecord }> {
    return this.request<ControllerResult & { topic?: TopicRecord }>(async () => {
      let replicas: number[][];
      try {
        replicas = assignment ?? this.assign(numPartitions, replicationFactor);
      } catch (err) {
        if (err instanceof ReplicaAssignmentError) return { errorCode: err.errorCode, errorMessage: err.message };
        throw err;
      }
      const bad = this.validateAssignment(replicas, assignment !== undefined);
      if (bad) return bad;
      const topic: TopicRecord = { name, topicId: randomBytes(16).toString('base64url'), replicas, configs };
      const res = await this.store.createTopic(topic, replicas.map((r) => this.initialState(r)), this.fence);
      if (res === 'fenced') this.markFenced();
      if (res === 'exists') return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${name}' already exists.` };
      return { errorCode: ErrorCode.NONE, topic };
    }, (r) => r);
  }

  /** CreatePartitions: grows a topic to `totalCount` partitions. */
  createPartitions(name: string, totalCount: number, assignment?: number[][]): Promise<ControllerResult> {
    return this.request<ControllerResult>(async () => {
      const topic = await this.store.getTopic(name);
      if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${name}' does not exist.` };
      const current = topic.replicas.length;
      if (totalCount <= current) {
        return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Topic currently has ${current} partitions, which is higher than the requested ${totalCount}.` };
      }
      const rf = topic.replicas[0]!.length;
      let added: number[][];
      try {
        // KRaft (ReplicationControlManager.createPartitions): a fresh placement of the new ones.
        added = assignment ?? this.assign(totalCount - current, rf);
      } catch (err) {
        if (err instanceof ReplicaAssignmentError) return { errorCode: err.errorCode, errorMessage: err.message };
        throw err;
      }
      if (added.length !== totalCount - current) {
        return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Increasing the number of partitions by ${totalCount - current} but ${added.length} assignments provided.` };
      }
      if (added.some((r) => r.length !== rf)) {
        return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Inconsistent replication factor between partitions, partition 0 has ${rf}.` };
      }
      const bad = this.validateAssignment(added, assignment !== undefined, current);
      if (bad) return bad;
      const res = await this.store.addPartitions(name, current, added, added.map((r) => this.initialState(r)), this.fence);
      if (res === 'fenced') this.markFenced();
      if (res === 'missing') return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${name}' does not exist.` };
      if (res === 'exists') return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'The partition count changed concurrently.' };
      return { errorCode: ErrorCode.NONE };
    }, (r) => r);
  }

  deleteTopic(name: string): Promise<ControllerResult> {
    return this.request<ControllerResult>(async () => {
      const res = await this.store.deleteTopic(name, this.fence);
      if (res === 'fenced') this.markFenced();
      if (res === 'missing') return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${name}' does not exist.` };
      return { errorCode: ErrorCode.NONE };
    }, (r) => r);
  }

  /**
   * AlterConfigs / IncrementalAlterConfigs on a topic: `set` and `remove` applied to the overrides
   * the store holds now (topic record CAS), so concurrent changes of other keys are kept.
   */
  alterTopicConfigs(name: string, set: Record<string, string>, remove: string[] = []): Promise<ControllerResult> {
    return this.request<ControllerResult>(async () => {
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const vt = await this.store.getTopicVersioned(name);
        if (!vt) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${name}' does not exist.` };
        const configs = { ...vt.topic.configs, ...set };
        for (const k of remove) delete configs[k];
        const res = await this.store.updateTopic(vt.revision, { ...vt.topic, configs }, this.fence);
        if (res === 'fenced') this.markFenced();
        if (res === 'missing') return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${name}' does not exist.` };
        if (res === 'ok') return { errorCode: ErrorCode.NONE };
      }
      return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the topic changed concurrently too often' };
    }, (r) => r);
  }

  /**
   * KRaft's usable brokers (ClusterControlManager.usableBrokers): every registered broker except
   * those in controlled shutdown, fenced when it has no live lease.
   */
  usableBrokers(): UsableBroker[] {
    const ids = new Set([...this.registered.keys(), ...this.live.keys()]);
    return [...ids]
      .filter((id) => !this.shuttingDown.has(id))
      .sort((a, b) => a - b)
      .map((id) => ({ id, rack: (this.live.get(id) ?? this.registered.get(id))!.rack, fenced: !this.live.has(id) }));
  }

  private assign(nPartitions: number, rf: number): number[][] {
    return placeReplicas(this.usableBrokers(), nPartitions, rf);
  }

  /** Unfenced and not in controlled shutdown (KRaft's isActive): may be in a new partition's ISR. */
  private isActiveBroker(id: number): boolean {
    return this.live.has(id) && !this.shuttingDown.has(id);
  }

  /**
   * Kafka's validateManualPartitionAssignment: every replica a registered broker (a fenced one
   * too), no duplicates, one replication factor; and (createTopic / createPartitions) at least one
   * active replica per partition to lead it.
   */
  private validateAssignment(replicas: number[][], manual: boolean, firstPartition = 0): ControllerResult | undefined {
    const rf = replicas[0]?.length ?? 0;
    for (const [i, r] of replicas.entries()) {
      if (r.length === 0 || r.length !== rf || new Set(r).size !== r.length) {
        return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Invalid replica assignment ${JSON.stringify(r)}.` };
      }
      const unknown = r.filter((id) => !this.registered.has(id) && !this.live.has(id));
      if (unknown.length > 0) {
        return {
          errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          errorMessage: `The manual partition assignment includes broker ${unknown[0]}, but no such broker is registered.`,
        };
      }
      if (manual && !r.some((id) => this.isActiveBroker(id))) {
        return {
          errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          errorMessage: `All brokers specified in the manual partition assignment for partition ${firstPartition + i} are fenced or in controlled shutdown.`,
        };
      }
    }
    return undefined;
  }

  /** A new partition: the ISR is its active replicas (never a fenced one), led by the first. */
  private initialState(replicas: number[]): PartitionState {
    const isr = replicas.filter((id) => this.isActiveBroker(id));
    return { leader: isr[0] ?? NO_LEADER, leaderEpoch: 0, isr, partitionEpoch: 0, controllerEpoch: this.fence.epoch };
  }

  // ---- UnregisterBroker ------------------------------------------------------------------

  /**
   * UnregisterBroker (KIP-631): the broker leaves the registry, so placement no longer counts it.
   * BROKER_ID_NOT_REGISTERED for an id that is not registered. A running broker loses its live
   * registration too and registers again (as a KRaft broker does).
   */
  unregisterBroker(brokerId: number): Promise<ControllerResult> {
    return this.request<ControllerResult>(async () => {
      const res = await this.store.unregisterBroker(brokerId, this.fence);
      if (res === 'fenced') this.markFenced();
      if (res === 'missing') {
        this.registered.delete(brokerId);
        return { errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, errorMessage: `Broker ID ${brokerId} is not currently registered` };
      }
      this.registered.delete(brokerId);
      this.log('broker unregistered', { brokerId });
      await this.removeFromIsrs(brokerId);
      return { errorCode: ErrorCode.NONE };
    }, (r) => r);
  }

  /**
   * Kafka's ReplicationControlManager.handleBrokerUnregistered: the broker leaves every ISR, with a
   * new leader where it led (it is fenced already, so normally it leads nothing). An ISR is never
   * emptied: a leaderless partition keeps its last member, as KRaft does.
   */
  private async removeFromIsrs(brokerId: number): Promise<void> {
    // Its live registration (if it ran) went with the registry entry: never elect it again here.
    this.live.delete(brokerId);
    await this.leavePartitions(brokerId);
  }

  // ---- ISR changes from leaders (AlterPartition) -----------------------------------------

  alterPartition(req: AlterPartitionRequest): Promise<ControllerResult & { state?: VersionedPartitionState }> {
    return this.request<ControllerResult & { state?: VersionedPartitionState }>(async () => {
      const reg = this.live.get(req.brokerId);
      if (!reg || (req.brokerEpoch >= 0 && reg.brokerEpoch !== undefined && reg.brokerEpoch !== req.brokerEpoch)) {
        return { errorCode: ErrorCode.STALE_BROKER_EPOCH, errorMessage: `Broker ${req.brokerId} epoch ${req.brokerEpoch} is not the registered one.` };
      }
      const topic = await this.store.getTopic(req.topic);
      const replicas = topic?.replicas[req.partition];
      const cur = replicas && (await this.store.getPartition(req.topic, req.partition));
      if (!replicas || !cur) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
      const s = cur.state;
      // Kafka's order of checks (ReplicationControlManager.validateAlterPartitionData).
      if (req.leaderEpoch !== s.leaderEpoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, state: cur };
      if (req.brokerId !== s.leader) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Broker ${req.brokerId} is not the leader.`, state: cur };
      if (req.partitionEpoch !== s.partitionEpoch) return { errorCode: ErrorCode.INVALID_UPDATE_VERSION, state: cur };
      const newIsr = [...new Set(req.newIsr)];
      if (newIsr.length === 0 || !newIsr.includes(s.leader) || newIsr.some((id) => !replicas.includes(id))) {
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Invalid ISR ${JSON.stringify(req.newIsr)} for replicas ${JSON.stringify(replicas)}.`, state: cur };
      }
      const ineligible = newIsr.filter((id) => !s.isr.includes(id) && (!this.live.has(id) || this.shuttingDown.has(id)));
      if (ineligible.length > 0) {
        return { errorCode: ErrorCode.INELIGIBLE_REPLICA, errorMessage: `Replicas ${ineligible.join(',')} are not registered or are shutting down.`, state: cur };
      }
      if (sameMembers(newIsr, s.isr)) return { errorCode: ErrorCode.NONE, state: cur };
      const res = await this.store.casPartition(cur, { leader: s.leader, leaderEpoch: s.leaderEpoch, isr: newIsr }, this.fence);
      if (res.ok) {
        // The last new replica may just have caught up: finish its reassignment.
        const done = await this.maybeCompleteReassignment(req.topic, req.partition);
        return { errorCode: ErrorCode.NONE, state: done ?? res.state };
      }
      if (res.reason === 'fenced') this.markFenced();
      // Changed underneath (a leader election): the leader retries with what it learns.
      return { errorCode: ErrorCode.INVALID_UPDATE_VERSION, state: res.current };
    }, (r) => r);
  }

  // ---- controlled shutdown and elections -------------------------------------------------

  /**
   * ControlledShutdown: leadership moves off `brokerId` to another ISR member and it leaves the
   * ISRs it follows in. Partitions with nobody else to lead stay (returned as remaining); the
   * broker retries or shuts down anyway, as in Kafka.
   */
  controlledShutdown(brokerId: number, brokerEpoch = -1): Promise<ControllerResult & { remaining: { topic: string; partition: number }[]; waitable: number }> {
    /**
     * remaining: partitions still led by the broker (Kafka's answer); waitable: how many of them
     * another live replica may still take over once it catches up (worth a retry; the others go
     * leaderless when the broker leaves, as in KRaft).
     */
    type Result = ControllerResult & { remaining: { topic: string; partition: number }[]; waitable: number };
    return this.request<Result>(async () => {
      const reg = this.live.get(brokerId);
      if (!reg) return { errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, remaining: [], waitable: 0 };
      if (brokerEpoch >= 0 && reg.brokerEpoch !== undefined && reg.brokerEpoch !== brokerEpoch) return { errorCode: ErrorCode.STALE_BROKER_EPOCH, remaining: [], waitable: 0 };
      this.shuttingDown.add(brokerId);
      const topics = await this.topicMap();
      const { items } = await this.store.listPartitions();
      const remaining: { topic: string; partition: number }[] = [];
      let waitable = 0;
      for (const p of items) {
        if (p.state.leader !== brokerId && !p.state.isr.includes(brokerId)) continue;
        const replicas = topics.get(p.topic)?.replicas[p.partition] ?? [];
        const after = await this.updatePartition(p.topic, p.partition, (cur) => {
          const s = cur.state;
          if (s.leader === brokerId) {
            const next = controlledShutdownLeader(replicas, s.isr, this.liveSet(), this.shuttingDown);
            if (next === undefined) return undefined;
            return { leader: next, leaderEpoch: s.leaderEpoch + 1, isr: s.isr.filter((id) => id !== brokerId) };
          }
          if (!s.isr.includes(brokerId)) return undefined;
          return { leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr.filter((id) => id !== brokerId) };
        });
        // Still led here: worth waiting for only if another live replica (not shutting down) may
        // catch up into the ISR and take over; a partition nobody else can ever lead goes
        // leaderless when the broker's registration ends, as in KRaft.
        if (after && after.state.leader === brokerId) {
          remaining.push({ topic: p.topic, partition: p.partition });
          if (replicas.some((id) => id !== brokerId && this.live.has(id) && !this.shuttingDown.has(id))) waitable++;
        }
      }
      return { errorCode: ErrorCode.NONE, remaining, waitable };
    }, (r) => ({ ...r, remaining: [], waitable: 0 }));
  }

  /**
   * ElectLeaders. PREFERRED: the first assigned replica leads if it is alive and in the ISR
   * (ELECTION_NOT_NEEDED when it already does, PREFERRED_LEADER_NOT_AVAILABLE when it can't).
   * UNCLEAN: only for leaderless partitions, any live replica (ELIGIBLE_LEADERS_NOT_AVAILABLE).
   * `partitions` undefined = every partition (Kafka's null topic list).
   */
  electLeaders(type: ElectionType, partitions?: { topic: string; partition: number }[]): Promise<ElectionResult[]> {
    return this.request(
      async () => {
        const topics = await this.topicMap();
        const targets = partitions ?? (await this.store.listPartitions()).items.map((p) => ({ topic: p.topic, partition: p.partition }));
        const results: ElectionResult[] = [];
        for (const { topic, partition } of targets) {
          const replicas = topics.get(topic)?.replicas[partition];
          if (!replicas) {
            results.push({ topic, partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
            continue;
          }
          let errorCode: number = ErrorCode.NONE;
          const after = await this.updatePartition(topic, partition, (cur) => {
            const s = cur.state;
            const live = this.liveSet();
            if (type === 'preferred') {
              if (s.leader === replicas[0]) return void (errorCode = ErrorCode.ELECTION_NOT_NEEDED);
              const leader = preferredReplicaLeader(replicas, s.isr, live);
              if (leader === undefined) return void (errorCode = ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
              errorCode = ErrorCode.NONE;
              return { leader, leaderEpoch: s.leaderEpoch + 1, isr: s.isr };
            }
            if (s.leader !== NO_LEADER && live.has(s.leader)) return void (errorCode = ErrorCode.ELECTION_NOT_NEEDED);
            const elected = offlinePartitionLeader(replicas, s.isr, live, true);
            if (!elected) return void (errorCode = ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
            errorCode = ErrorCode.NONE;
            return { leader: elected.leader, leaderEpoch: s.leaderEpoch + 1, isr: elected.unclean ? [elected.leader] : s.isr.filter((id) => live.has(id)) };
          });
          results.push({ topic, partition, errorCode: after ? errorCode : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
        }
        return results;
      },
      // Not (or no longer) the controller: every partition gets the same error.
      (r) => (partitions ?? []).map((p) => ({ ...p, ...r })),
    );
  }

  /**
   * auto.leader.rebalance.enable (Kafka's checkAndTriggerAutoLeaderRebalance): every
   * `intervalMs`, a broker whose share of preferred-replica partitions led by someone else is above
   * `imbalancePercent` gets them back by preferred election (where it is alive and in the ISR).
   */
  startAutoLeaderRebalance(intervalMs: number, imbalancePercent: number): void {
    if (this.rebalanceTimer) return;
    this.rebalanceTimer = setInterval(() => {
      if (!this.isActive || this.queued > 0) return;
      this.enqueue(() => this.rebalanceLeaders(imbalancePercent)).catch((err: Error) => this.log('auto leader rebalance failed', { error: err.message }));
    }, Math.max(100, intervalMs));
    this.rebalanceTimer.unref();
  }

  private async rebalanceLeaders(imbalancePercent: number): Promise<void> {
    const topics = await this.topicMap();
    const { items } = await this.store.listPartitions();
    const byPreferred = new Map<number, { total: number; misplaced: VersionedPartitionState[] }>();
    for (const p of items) {
      const t = topics.get(p.topic);
      const preferred = t?.replicas[p.partition]?.[0];
      if (preferred === undefined || t!.reassigning?.[String(p.partition)]) continue;
      const e = byPreferred.get(preferred) ?? { total: 0, misplaced: [] };
      e.total++;
      if (p.state.leader !== preferred) e.misplaced.push(p);
      byPreferred.set(preferred, e);
    }
    for (const [broker, e] of byPreferred) {
      if (!this.live.has(broker) || this.shuttingDown.has(broker) || e.misplaced.length === 0) continue;
      if ((e.misplaced.length * 100) / e.total <= imbalancePercent) continue;
      for (const p of e.misplaced) {
        const replicas = topics.get(p.topic)!.replicas[p.partition]!;
        await this.updatePartition(p.topic, p.partition, (cur) => {
          if (cur.state.leader === replicas[0]) return undefined;
          const leader = preferredReplicaLeader(replicas, cur.state.isr, this.liveSet());
          return leader === undefined ? undefined : { leader, leaderEpoch: cur.state.leaderEpoch + 1, isr: cur.state.isr };
        });
      }
      this.log('auto leader rebalance', { brokerId: broker, partitions: e.misplaced.length });
    }
  }

  // ---- reassignment (AlterPartitionReassignments / ListPartitionReassignments) -----------

  alterPartitionReassignments(requests: ReassignmentRequest[]): Promise<ReassignmentResult[]> {
    return this.request<ReassignmentResult[]>(
      async () => {
        const results: ReassignmentResult[] = [];
        for (const req of requests) results.push({ topic: req.topic, partition: req.partition, ...(await reassignPartition(this.steps, req)) });
        return results;
      },
      (r) => requests.map((q) => ({ topic: q.topic, partition: q.partition, ...r })),
    );
  }

  /** ListPartitionReassignments (all partitions when `partitions` is undefined). */
  listPartitionReassignments(partitions?: { topic: string; partition: number }[]): Promise<OngoingReassignment[]> {
    return listReassignments(this.store, partitions);
  }

  private maybeCompleteReassignment(topic: string, partition: number): Promise<VersionedPartitionState | undefined> {
    return completeReassignmentIfCaughtUp(this.steps, topic, partition);
  }
}


function sameMembers(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

