// One broker's part in a multi-broker cluster (issue 13), present only when
// `tributary.metadata.store` is set: it opens the metadata store, runs the broker's ClusterMember
// (registration bound to a lease, controller candidacy), and mirrors what the store holds — live
// brokers, topics, partition states — into plain maps the broker wiring turns into local topics
// and Partition leadership. Topic creation goes to the controller: directly when this broker is
// the controller, otherwise forwarded over the Kafka protocol (CreateTopics) to the controller's
// listener, as Kafka forwards it (KIP-590).
import { Admin } from '@platformatic/kafka';
import { ErrorCode } from '../../protocol/errors.js';
import type { Logger } from '../logging/logger.js';
import { ClusterMember } from './controller/cluster-member.js';
import { KvMetadataStore } from './metadata-store/kv-metadata-store.js';
import { MemoryKv, MemoryKvConnection } from './metadata-store/memory-kv.js';
import { openMetadataStore } from './metadata-store/open-store.js';
import type { BrokerRegistration, ClusterMetadataStore, TopicRecord, Unwatch, VersionedPartitionState } from './metadata-store/types.js';

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
  uncleanLeaderElectionEnable: boolean;
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
  /** memory:NAME only: this broker's own link to the shared store (tests cut it to simulate a partition). */
  private memoryLink: MemoryKvConnection | undefined;
  /** Store events are applied one at a time, in revision order (topics before their partitions). */
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ClusterNodeOptions) {}

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
        for (const p of parts.items) this.opts.onPartition(p);
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
    for (const t of topics.items) await this.opts.onTopic(t);
    this.unwatches.push(
      await store.watchTopics(topics.revision, (ev) => {
        this.serially(() => (ev.type === 'put' ? this.opts.onTopic(ev.value) : this.opts.onTopicDeleted(ev.key)));
      }),
    );
    const parts = await store.listPartitions();
    for (const p of parts.items) this.opts.onPartition(p);
    this.unwatches.push(
      await store.watchPartitions(parts.revision, (ev) => {
        if (ev.type === 'put') this.serially(async () => this.opts.onPartition(ev.value));
      }),
    );
    return clusterId;
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

  /** The live brokers, by id. */
  liveBrokers(): BrokerRegistration[] {
    return [...this.brokers.values()].sort((a, b) => a.brokerId - b.brokerId);
  }

  get currentControllerId(): number {
    return this.member?.controller ? this.brokerId : this.controllerId;
  }

  /** CreateTopics through the controller (rack-aware assignment over the live brokers). */
  async createTopic(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string>): Promise<ClusterCreateResult> {
    const controller = this.member?.controller;
    if (controller) {
      const r = await controller.createTopic(name, numPartitions, replicationFactor, configs);
      return r.errorMessage === undefined ? { errorCode: r.errorCode } : { errorCode: r.errorCode, errorMessage: r.errorMessage };
    }
    const target = this.brokers.get(this.controllerId);
    if (!target || target.listeners.length === 0) return { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'No controller is available.' };
    const l = target.listeners[0]!;
    const admin = new Admin({ clientId: `tributary-broker-${this.brokerId}`, bootstrapBrokers: [`${l.host}:${l.port}`], retries: 0 });
    try {
      await admin.createTopics({ topics: [name], partitions: numPartitions, replicas: replicationFactor, configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) });
      return { errorCode: ErrorCode.NONE };
    } catch (err) {
      const code = errorCodeOf(err);
      return { errorCode: code ?? ErrorCode.NOT_CONTROLLER, errorMessage: (err as Error).message };
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  /**
   * The leader changes a partition's ISR (Kafka's ZooKeeper-era Partition.updateIsr): a
   * compare-and-swap on the partition state, only while the store still names this broker as
   * leader at `leaderEpoch`. The new state comes back through the partition watch.
   */
  async alterIsr(topic: string, partition: number, leaderEpoch: number, newIsr: number[]): Promise<void> {
    const store = this.store;
    const key = `${topic}\0${partition}`;
    if (!store || this.closed || this.isrInFlight.has(key) || this.member?.sessionLost) return;
    this.isrInFlight.add(key);
    try {
      const cur = await store.getPartition(topic, partition);
      if (!cur || cur.state.leader !== this.brokerId || cur.state.leaderEpoch !== leaderEpoch) return;
      if (cur.state.isr.length === newIsr.length && cur.state.isr.every((id) => newIsr.includes(id))) return;
      const r = await store.casPartition(cur, { leader: this.brokerId, leaderEpoch, isr: newIsr });
      this.opts.logger.info(r.ok ? 'ISR changed' : 'ISR change lost a race', { topic, partition, isr: newIsr, from: cur.state.isr });
    } catch (err) {
      this.opts.logger.warn('ISR change failed', { topic, partition, error: (err as Error).message });
    } finally {
      this.isrInFlight.delete(key);
    }
  }

  /** memory:NAME only, for tests: cut (false) or restore (true) this broker's link to the store. */
  setStoreReachable(reachable: boolean): void {
    this.memoryLink?.setConnected(reachable);
  }

  /** Where a live broker is (its first listener). */
  endpointOf(brokerId: number): { host: string; port: number } | undefined {
    const l = this.brokers.get(brokerId)?.listeners[0];
    return l ? { host: l.host, port: l.port } : undefined;
  }

  /** Leaves as Kafka's controlled shutdown does not yet: the lease is revoked, so the controller reacts at once. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unwatches.splice(0)) await u().catch(() => undefined);
    await this.member?.stop();
    await this.store?.close();
  }

  /** kill -9 semantics: the lease is left to expire (the controller notices after the session timeout). */
  async crash(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unwatches.splice(0)) await u().catch(() => undefined);
    await this.member?.crash();
  }
}

/** The Kafka error code inside a @platformatic/kafka error (its ResponseError carries the per-topic errors). */
function errorCodeOf(err: unknown): number | undefined {
  const seen = new Set<unknown>();
  const walk = (e: unknown): number | undefined => {
    if (!e || typeof e !== 'object' || seen.has(e)) return undefined;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (typeof o.apiCode === 'number' && o.apiCode !== 0) return o.apiCode;
    if (typeof o.errorCode === 'number' && o.errorCode !== 0) return o.errorCode;
    for (const k of ['errors', 'cause', 'response']) {
      const v = o[k];
      if (Array.isArray(v)) for (const x of v) { const c = walk(x); if (c !== undefined) return c; }
      else if (v && typeof v === 'object') {
        const c = walk(v);
        if (c !== undefined) return c;
        for (const x of Object.values(v)) { const c2 = walk(x); if (c2 !== undefined) return c2; }
      }
    }
    return undefined;
  };
  return walk(err);
}
