// One broker's part in a multi-broker cluster (issue 13), present only when
// `tributary.metadata.store` is set: it opens the metadata store, runs the broker's ClusterMember
// (registration bound to a lease, controller candidacy), and mirrors what the store holds — live
// brokers, topics, partition states — into plain maps the broker wiring turns into local topics
// and Partition leadership. Topic creation goes to the controller: directly when this broker is
// the controller, otherwise forwarded over the Kafka protocol (CreateTopics) to the controller's
// listener, as Kafka forwards it (KIP-590).
import { ErrorCode } from '../../protocol/errors.js';
import type { Logger } from '../logging/logger.js';
import type { AlterPartitionResponse } from '../../protocol/generated/alter-partition.js';
import type { IncrementalAlterConfigsResponse } from '../../protocol/generated/incremental-alter-configs.js';
import type { CreateTopicsResponse } from '../../protocol/generated/create-topics.js';
import type { BrokerHeartbeatResponse } from '../../protocol/generated/broker-heartbeat.js';
import type { EnvelopeRequest, EnvelopeResponse } from '../../protocol/generated/envelope.js';
import { ClusterMember } from './controller/cluster-member.js';
import type { Controller } from './controller/controller.js';
import { ControllerChannel } from './controller/controller-channel.js';
import { KvMetadataStore } from './metadata-store/kv-metadata-store.js';
import { MemoryKv, MemoryKvConnection } from './metadata-store/memory-kv.js';
import { openMetadataStore } from './metadata-store/open-store.js';
import type { InterBrokerEndpoint, InterBrokerSecurity } from './inter-broker-security.js';
import type { InterBrokerAuthStats } from './replication/replica-fetchers.js';
import type { BrokerRegistration, ClusterMetadataStore, PartitionState, RegisteredBroker, TopicRecord, Unwatch, VersionedPartitionState } from './metadata-store/types.js';

/** API keys and versions of the broker-to-controller requests (Kafka's: AlterPartition, BrokerHeartbeat; forwarded admin requests). */
const ALTER_PARTITION = { key: 56, version: 2 };
const BROKER_HEARTBEAT = { key: 63, version: 0 };
const INCREMENTAL_ALTER_CONFIGS = { key: 44, version: 1 };
const OP_SET = 0;
const OP_DELETE = 1;
const CREATE_TOPICS = { key: 19, version: 7 };
const ENVELOPE = { key: 58, version: 0 };
const RESOURCE_TOPIC = 2;
/** How long a broker-to-controller request may take, retries to a new controller included. */
const CONTROLLER_REQUEST_TIMEOUT_MS = 15_000;
/** ISR changes are retried by the leader's next check anyway: one attempt is bounded tighter. */
const ALTER_PARTITION_TIMEOUT_MS = 5_000;
/** A replica refused as INELIGIBLE_REPLICA is not proposed for that partition's ISR again before this. */
const INELIGIBLE_BACKOFF_MS = 1_000;

/** In-process stores by name (`memory:NAME`): several brokers in one process share one. */
const sharedMemoryStores = new Map<string, MemoryKv>();

/** The shared in-memory backend named `name` (tests use it to cut or restore the store). */
export function sharedMemoryKv(name: string): MemoryKv {
  let kv = sharedMemoryStores.get(name);
  if (!kv) {
    kv = new MemoryKv();
    sharedMemoryStores.set(name, kv);
  }
  return kv;
}

export interface ClusterNodeOptions {
  storeUrl: string;
  root: string;
  sessionTtlMs: number;
  registration: BrokerRegistration;
  /** How to reach peers: their endpoint of the inter-broker listener, with its TLS/SASL (default: first listener, plain TCP). */
  interBroker?: InterBrokerSecurity;
  uncleanLeaderElectionEnable: boolean;
  /** auto.leader.rebalance.enable with its interval and threshold (absent = off). */
  autoLeaderRebalance?: { intervalMs: number; imbalancePercent: number };
  /** controlled.shutdown.enable / .max.retries / .retry.backoff.ms */
  controlledShutdown: { enable: boolean; maxRetries: number; backoffMs: number };
  logger: Logger;
  /** A topic record appeared or changed in the store. */
  onTopic(topic: TopicRecord): Promise<void>;
  onTopicDeleted(name: string): Promise<void>;
  /** A partition's leader, epoch or ISR changed in the store. */
  onPartition(state: VersionedPartitionState): void;
  /** The lease is lost (store unreachable for the session timeout): stop acting as leader at once. */
  onSessionLost(): void;
}

export interface ClusterCreateResult {
  errorCode: number;
  errorMessage?: string;
}

export class ClusterNode {
  private store: ClusterMetadataStore | undefined;
  private member: ClusterMember | undefined;
  private readonly brokers = new Map<number, BrokerRegistration>();
  private readonly unwatches: Unwatch[] = [];
  private controllerId = -1;
  private closed = false;
  private readonly isrInFlight = new Set<string>();
  /**
   * Replicas the controller refused into an ISR (INELIGIBLE_REPLICA: shutting down, not
   * registered), by partition: not proposed again before the time noted, as Kafka's leader skips
   * ineligible replicas instead of asking on every follower fetch.
   */
  private readonly ineligible = new Map<string, { ids: number[]; untilMs: number }>();
  /** memory:NAME only: this broker's own link to the shared store (tests cut it to simulate a partition). */
  private memoryLink: MemoryKvConnection | undefined;
  /** Store events are applied one at a time, in revision order (topics before their partitions). */
  private applying: Promise<void> = Promise.resolve();
  /** The newest partition states applied here (AlterPartition names their partition epoch). */
  private readonly partitionStates = new Map<string, PartitionState>();
  private readonly topicIds = new Map<string, string>();
  private readonly channel: ControllerChannel;

  constructor(private readonly opts: ClusterNodeOptions) {
    this.channel = new ControllerChannel(
      {
        current: () => {
          const id = this.controllerId;
          const e = id >= 0 ? this.endpointOf(id) : undefined;
          return e ? { brokerId: id, ...e } : undefined;
        },
      },
      `tributary-broker-${opts.registration.brokerId}`,
      opts.logger,
    );
  }

  /** Failed logins of this broker's controller channel (TLS or SASL refused by the controller). */
  get controllerAuthStats(): InterBrokerAuthStats {
    return this.channel.authStats;
  }

  /** The inter-broker listener (the first listener when none is configured: tests). */
  get interBrokerListenerName(): string {
    return this.opts.interBroker?.listenerName ?? this.opts.registration.listeners[0]?.name ?? 'PLAINTEXT';
  }

  forwardEnvelope(envelope: EnvelopeRequest, innerNotController: (res: EnvelopeResponse) => boolean, timeoutMs = CONTROLLER_REQUEST_TIMEOUT_MS): Promise<EnvelopeResponse> {
    return this.channel.send<EnvelopeResponse>(ENVELOPE.key, ENVELOPE.version, envelope, timeoutMs, (r) => r.errorCode === ErrorCode.NOT_CONTROLLER || innerNotController(r));
  }

  /** This broker's active controller, when it is the controller. */
  get controller(): Controller | undefined {
    return this.member?.controller;
  }

  /**
   * KIP-590 forwarding: sends a client's admin request, as it came, to the controller and returns
   * its answer (re-sent to a new controller when the answer is NOT_CONTROLLER).
   */
  forward<T>(apiKey: number, version: number, body: object, timeoutMs = CONTROLLER_REQUEST_TIMEOUT_MS): Promise<T> {
    return this.channel.send<T>(apiKey, version, body, timeoutMs);
  }

  /**
   * A partition state from the store (watch, listing) or from the controller's AlterPartition
   * answer: applied unless this broker already applied a newer one (partition epochs only grow
   * within one incarnation of a topic; `force` re-applies after a rejoin).
   */
  private applyPartition(v: VersionedPartitionState, force = false): void {
    const key = `${v.topic}\0${v.partition}`;
    const known = this.partitionStates.get(key);
    if (!force && known && known.partitionEpoch > v.state.partitionEpoch) return;
    this.partitionStates.set(key, v.state);
    this.opts.onPartition(v);
  }

  get brokerId(): number {
    return this.opts.registration.brokerId;
  }

  async start(proposedClusterId: string): Promise<string> {
    const { storeUrl, root } = this.opts;
    const memory = /^memory:(.+)$/.exec(storeUrl.trim());
    // Each broker gets its own connection to a shared in-memory store, so one can be cut alone.
    if (memory) this.memoryLink = new MemoryKvConnection(sharedMemoryKv(memory[1]!));
    this.store = this.memoryLink ? new KvMetadataStore(this.memoryLink, root, false) : await openMetadataStore(storeUrl, { root });
    const store = this.store;
    const clusterId = await store.ensureClusterId(proposedClusterId);
    const log = this.opts.logger;
    this.member = new ClusterMember({
      store,
      registration: this.opts.registration,
      sessionTtlMs: this.opts.sessionTtlMs,
      uncleanLeaderElectionEnable: this.opts.uncleanLeaderElectionEnable,
      ...(this.opts.autoLeaderRebalance ? { autoLeaderRebalance: this.opts.autoLeaderRebalance } : {}),
      log: (msg, fields) => log.info(msg, fields),
    });
    this.member.on('elected', () => log.info('elected controller', { nodeId: this.brokerId }));
    this.member.on('sessionLost', (reason) => {
      // No split brain: another broker may be elected leader once our lease can have expired.
      log.warn('metadata store session lost: no longer leading any partition', { reason });
      this.opts.onSessionLost();
    });
    // Back with a new session: the partition states are read again (they may not have changed,
    // e.g. when no other broker could take over, and the watch only reports changes).
    this.member.on('rejoined', () => {
      log.info('rejoined the cluster');
      this.serially(async () => {
        const parts = await this.store!.listPartitions();
        for (const p of parts.items) this.applyPartition(p, true);
      });
    });
    await this.member.start();

    const brokers = await store.listBrokers();
    for (const b of brokers.items) this.brokers.set(b.brokerId, b);
    this.unwatches.push(
      await store.watchBrokers(brokers.revision, (ev) => {
        if (ev.type === 'put') this.brokers.set(ev.value.brokerId, ev.value);
        else this.brokers.delete(ev.key);
      }),
    );
    const ctl = await store.getController();
    this.controllerId = ctl?.brokerId ?? -1;
    this.unwatches.push(await store.watchController(brokers.revision, (ev) => (this.controllerId = ev.type === 'put' ? ev.value.brokerId : -1)));

    const topics = await store.listTopics();
    for (const t of topics.items) await this.onTopic(t);
    this.unwatches.push(
      await store.watchTopics(topics.revision, (ev) => {
        this.serially(() => (ev.type === 'put' ? this.onTopic(ev.value) : this.onTopicDeleted(ev.key)));
      }),
    );
    const parts = await store.listPartitions();
    for (const p of parts.items) this.applyPartition(p);
    this.unwatches.push(
      await store.watchPartitions(parts.revision, (ev) => {
        if (ev.type === 'put') this.serially(async () => this.applyPartition(ev.value));
      }),
    );
    return clusterId;
  }

  private async onTopic(t: TopicRecord): Promise<void> {
    const prevId = this.topicIds.get(t.name);
    // A new incarnation of the name: its partition epochs start again from 0.
    if (prevId !== undefined && prevId !== t.topicId) this.forgetPartitions(t.name);
    this.topicIds.set(t.name, t.topicId);
    await this.opts.onTopic(t);
  }

  private async onTopicDeleted(name: string): Promise<void> {
    this.topicIds.delete(name);
    this.forgetPartitions(name);
    await this.opts.onTopicDeleted(name);
  }

  private forgetPartitions(topic: string): void {
    for (const key of this.partitionStates.keys()) if (key.startsWith(`${topic}\0`)) this.partitionStates.delete(key);
    for (const key of this.ineligible.keys()) if (key.startsWith(`${topic}\0`)) this.ineligible.delete(key);
  }

  private serially(work: () => Promise<void>): void {
    this.applying = this.applying.then(work).catch((err: Error) => this.opts.logger.error('applying cluster metadata failed', { error: err.message }));
  }

  /** Resolves once every store event seen so far has been applied locally. */
  settled(): Promise<void> {
    return this.applying;
  }

  /** Extra watches over the store (security metadata: security-metadata.ts), ended with this node. */
  async watchStore(start: (store: ClusterMetadataStore) => Promise<Unwatch[]>): Promise<void> {
    if (!this.store) throw new Error('cluster node not started');
    this.unwatches.push(...(await start(this.store)));
  }

  /** The broker registry from the store: live and fenced (stopped, not unregistered) brokers, by id. */
  registeredBrokers(): Promise<RegisteredBroker[]> {
    if (!this.store) return Promise.reject(new Error('cluster node not started'));
    return this.store.listRegisteredBrokers();
  }

  /** The live brokers, by id. */
  liveBrokers(): BrokerRegistration[] {
    return [...this.brokers.values()].sort((a, b) => a.brokerId - b.brokerId);
  }

  get currentControllerId(): number {
    return this.member?.controller ? this.brokerId : this.controllerId;
  }

  /**
   * CreateTopics through the controller (rack-aware assignment over the live brokers, or the
   * manual `assignment`): directly when this broker is the controller, else forwarded as
   * CreateTopics (re-sent to a new controller when an election races it).
   */
  async createTopic(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string>, assignment?: number[][]): Promise<ClusterCreateResult> {
    const controller = this.member?.controller;
    if (controller) {
      const r = await controller.createTopic(name, numPartitions, replicationFactor, configs, assignment);
      return r.errorMessage === undefined ? { errorCode: r.errorCode } : { errorCode: r.errorCode, errorMessage: r.errorMessage };
    }
    try {
      const res = await this.forward<CreateTopicsResponse>(CREATE_TOPICS.key, CREATE_TOPICS.version, {
        topics: [
          {
            name,
            numPartitions: assignment ? -1 : numPartitions,
            replicationFactor: assignment ? -1 : replicationFactor,
            assignments: (assignment ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
            configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
          },
        ],
        timeoutMs: CONTROLLER_REQUEST_TIMEOUT_MS,
        validateOnly: false,
      });
      const t = res.topics[0];
      if (!t) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
      return t.errorMessage ? { errorCode: t.errorCode, errorMessage: t.errorMessage } : { errorCode: t.errorCode };
    } catch (err) {
      return { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: (err as Error).message };
    }
  }

  /**
   * The leader asks the controller for an ISR change (Kafka's AlterPartition, KIP-497): it names
   * the partition epoch it saw; the controller validates and writes by CAS; the state it answers
   * with is applied here at once (the store's watch brings the same state too). Directly when
   * this broker is the controller, else over the wire. Failures are retried by the leader's next
   * ISR check (every fetch for expansion, every replica.lag.time.max.ms / 2 for shrinking).
   */
  async alterIsr(topic: string, partition: number, leaderEpoch: number, newIsr: number[]): Promise<void> {
    const key = `${topic}\0${partition}`;
    const known = this.partitionStates.get(key);
    if (!this.store || this.closed || this.isrInFlight.has(key) || this.member?.sessionLost || !known) return;
    if (known.leader !== this.brokerId || known.leaderEpoch !== leaderEpoch) return;
    if (known.isr.length === newIsr.length && known.isr.every((id) => newIsr.includes(id))) return;
    const added = newIsr.filter((id) => !known.isr.includes(id));
    const refused = this.ineligible.get(key);
    if (refused) {
      if (refused.untilMs <= Date.now()) this.ineligible.delete(key);
      else if (added.some((id) => refused.ids.includes(id))) return;
    }
    this.isrInFlight.add(key);
    const log = this.opts.logger;
    try {
      const brokerEpoch = this.member?.brokerEpoch ?? -1;
      const controller = this.member?.controller;
      let errorCode: number;
      if (controller) {
        const r = await controller.alterPartition({ brokerId: this.brokerId, brokerEpoch, topic, partition, leaderEpoch, partitionEpoch: known.partitionEpoch, newIsr });
        errorCode = r.errorCode;
        if (r.state && !this.closed) this.serially(async () => this.applyPartition(r.state!));
      } else {
        const topicId = this.topicIds.get(topic);
        if (!topicId) return;
        const res = await this.channel.send<AlterPartitionResponse>(
          ALTER_PARTITION.key,
          ALTER_PARTITION.version,
          {
            brokerId: this.brokerId,
            brokerEpoch,
            topics: [{ topicId, partitions: [{ partitionIndex: partition, leaderEpoch, newIsr, newIsrWithEpochs: [], leaderRecoveryState: 0, partitionEpoch: known.partitionEpoch }] }],
          },
          ALTER_PARTITION_TIMEOUT_MS,
          (r) => r.errorCode === ErrorCode.NOT_CONTROLLER || r.topics.some((t) => t.partitions.some((p) => p.errorCode === ErrorCode.NOT_CONTROLLER)),
        );
        const p = res.topics[0]?.partitions[0];
        errorCode = res.errorCode !== ErrorCode.NONE ? res.errorCode : (p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
        if (p && errorCode === ErrorCode.NONE && this.topicIds.get(topic) === topicId && !this.closed) {
          const state: PartitionState = { leader: p.leaderId, leaderEpoch: p.leaderEpoch, isr: p.isr, partitionEpoch: p.partitionEpoch, controllerEpoch: known.controllerEpoch };
          this.serially(async () => this.applyPartition({ topic, partition, state, revision: -1 }));
        }
      }
      if (errorCode === ErrorCode.INELIGIBLE_REPLICA && added.length > 0) this.ineligible.set(key, { ids: added, untilMs: Date.now() + INELIGIBLE_BACKOFF_MS });
      if (errorCode === ErrorCode.NONE) log.info('ISR changed', { topic, partition, isr: newIsr, from: known.isr });
      else log.info('ISR change refused by the controller', { topic, partition, isr: newIsr, errorCode });
    } catch (err) {
      log.warn('ISR change failed', { topic, partition, error: (err as Error).message });
    } finally {
      this.isrInFlight.delete(key);
    }
  }

  /**
   * AlterConfigs / IncrementalAlterConfigs on a topic in cluster mode: `set` and `remove` change
   * the topic's overrides in the store (directly when this broker is the controller, else
   * forwarded as IncrementalAlterConfigs SET/DELETE, which carries exactly that delta).
   */
  async alterTopicConfigs(name: string, set: Record<string, string>, remove: string[]): Promise<ClusterCreateResult> {
    const controller = this.member?.controller;
    if (controller) {
      const r = await controller.alterTopicConfigs(name, set, remove);
      return r.errorMessage === undefined ? { errorCode: r.errorCode } : { errorCode: r.errorCode, errorMessage: r.errorMessage };
    }
    try {
      const ops = [
        ...Object.entries(set).map(([n, value]) => ({ name: n, configOperation: OP_SET, value })),
        ...remove.map((n) => ({ name: n, configOperation: OP_DELETE, value: null })),
      ];
      const res = await this.forward<IncrementalAlterConfigsResponse>(INCREMENTAL_ALTER_CONFIGS.key, INCREMENTAL_ALTER_CONFIGS.version, {
        resources: [{ resourceType: RESOURCE_TOPIC, resourceName: name, configs: ops }],
        validateOnly: false,
      });
      const r = res.responses[0];
      return r ? { errorCode: r.errorCode, ...(r.errorMessage ? { errorMessage: r.errorMessage } : {}) } : { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
    } catch (err) {
      return { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: (err as Error).message };
    }
  }

  /**
   * Controlled shutdown (controlled.shutdown.enable): asks the controller to move every
   * leadership off this broker and take it out of the ISRs before it leaves, retrying while
   * partitions remain that nobody else can lead yet; then applies the store's states here, so this
   * broker answers NOT_LEADER_OR_FOLLOWER (with the new leader) from now on. Over the wire as
   * KRaft does it: BrokerHeartbeat with wantShutDown, answered shouldShutDown once nothing is led here.
   */
  async controlledShutdown(): Promise<boolean> {
    const cfg = this.opts.controlledShutdown;
    if (!cfg.enable || this.closed || !this.store || this.member?.sessionLost) return false;
    const log = this.opts.logger;
    let done = false;
    for (let attempt = 0; attempt <= cfg.maxRetries && !done && !this.closed; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, cfg.backoffMs));
      try {
        const brokerEpoch = this.member?.brokerEpoch ?? -1;
        const controller = this.member?.controller;
        if (controller) {
          const r = await controller.controlledShutdown(this.brokerId, brokerEpoch);
          done = r.errorCode === ErrorCode.NONE && r.waitable === 0;
          if (!done) log.info('controlled shutdown: partitions still led here', { errorCode: r.errorCode, remaining: r.remaining.length });
        } else {
          const res = await this.channel.send<BrokerHeartbeatResponse>(
            BROKER_HEARTBEAT.key,
            BROKER_HEARTBEAT.version,
            { brokerId: this.brokerId, brokerEpoch, currentMetadataOffset: -1, wantFence: false, wantShutDown: true },
            CONTROLLER_REQUEST_TIMEOUT_MS,
            (r) => r.errorCode === ErrorCode.NOT_CONTROLLER,
          );
          done = res.errorCode === ErrorCode.NONE && res.shouldShutDown;
          if (!done) log.info('controlled shutdown: not yet', { errorCode: res.errorCode });
        }
      } catch (err) {
        log.warn('controlled shutdown request failed', { error: (err as Error).message });
      }
    }
    // The controller has written the new states: apply them now rather than when the watch brings them.
    try {
      const parts = await this.store.listPartitions();
      this.serially(async () => {
        for (const p of parts.items) this.applyPartition(p);
      });
      await this.settled();
    } catch (err) {
      log.warn('controlled shutdown: reading partition states failed', { error: (err as Error).message });
    }
    log.info(done ? 'controlled shutdown succeeded' : 'controlled shutdown incomplete, shutting down anyway');
    return done;
  }

  /** memory:NAME only, for tests: cut (false) or restore (true) this broker's link to the store. */
  setStoreReachable(reachable: boolean): void {
    this.memoryLink?.setConnected(reachable);
  }

  /** Where a live broker is: its endpoint of the inter-broker listener, and how to secure the connection. */
  endpointOf(brokerId: number): InterBrokerEndpoint | undefined {
    const listeners = this.brokers.get(brokerId)?.listeners;
    const security = this.opts.interBroker;
    const l = security ? listeners?.find((x) => x.name === security.listenerName) : listeners?.[0];
    return l ? { host: l.host, port: l.port, security: security ?? null } : undefined;
  }

  /** Leaves the cluster (after controlledShutdown, when enabled): the lease is revoked, so the controller reacts at once. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channel.close();
    for (const u of this.unwatches.splice(0)) await u().catch(() => undefined);
    await this.member?.stop();
    await this.store?.close();
  }

  /** kill -9 semantics: the lease is left to expire (the controller notices after the session timeout). */
  async crash(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channel.close();
    for (const u of this.unwatches.splice(0)) await u().catch(() => undefined);
    await this.member?.crash();
  }
}
