// The ClusterMetadataStore, written once over the KvBackend contract (kv.ts), so the in-memory
// and etcd backends share every rule: key layout, election, fencing, compare-and-swap.
// Key layout and the reasoning behind it: README.md in this folder.
import type { KvBackend, KvCompare, KvEntry, KvOp, KvWatchEvent } from './kv.js';
import { LeaseSession } from './lease-session.js';
import type {
  BrokerRegistration,
  CampaignResult,
  CasResult,
  ClusterMetadataStore,
  ConfigResourceType,
  ControllerFence,
  ControllerRecord,
  Listing,
  PartitionState,
  RegisteredBroker,
  SectionChange,
  SectionEntry,
  SecuritySection,
  TopicRecord,
  Unwatch,
  VersionedPartitionState,
  WatchEvent,
  WriteResult,
} from './types.js';

// Concurrent epoch bumps can make a campaign's compare fail without anyone holding the key;
// a handful of rounds settles it.
const MAX_CAMPAIGN_ROUNDS = 8;

export class KvMetadataStore implements ClusterMetadataStore {
  readonly kind: 'memory' | 'etcd';
  private readonly k: ReturnType<typeof keyLayout>;

  /**
   * @param root key prefix, e.g. '/tributary/' (one etcd can hold several clusters).
   * @param ownsBackend close the backend on close() (false for a MemoryKv shared by brokers).
   */
  constructor(
    private readonly kv: KvBackend,
    root = '/tributary/',
    private readonly ownsBackend = true,
  ) {
    this.kind = kv.kind;
    this.k = keyLayout(root.endsWith('/') ? root : `${root}/`);
  }

  async ensureClusterId(proposed: string): Promise<string> {
    const res = await this.kv.txn([{ key: this.k.clusterId, target: 'create', value: 0 }], [{ type: 'put', key: this.k.clusterId, value: proposed }], [this.k.clusterId]);
    return res.succeeded ? proposed : res.entries.get(this.k.clusterId)!.value;
  }

  openSession(ttlMs: number): Promise<LeaseSession> {
    return LeaseSession.open(this.kv, ttlMs);
  }

  // ---- brokers ---------------------------------------------------------------------------

  async registerBroker(session: LeaseSession, reg: BrokerRegistration): Promise<WriteResult> {
    const key = this.k.broker(reg.brokerId);
    const fields = { brokerId: reg.brokerId, listeners: reg.listeners, rack: reg.rack, ...(reg.incarnationId ? { incarnationId: reg.incarnationId } : {}) };
    const value = JSON.stringify(fields);
    // The live registration (bound to the lease) and the registry entry (not bound: it outlives
    // the broker, fenced) are written in one transaction, so a live broker is always registered.
    const ops: KvOp[] = [
      { type: 'put', key, value, lease: session.id },
      { type: 'put', key: this.k.registeredBroker(reg.brokerId), value },
    ];
    const created = await this.kv.txn([{ key, target: 'create', value: 0 }], ops, [key]);
    if (created.succeeded) return 'ok';
    // The same session may update its own registration; another live session owning the id is
    // Kafka's "broker id already registered" (NodeExists on /brokers/ids/<id>).
    const updated = await this.kv.txn([{ key, target: 'lease', value: session.id }], ops);
    return updated.succeeded ? 'ok' : 'exists';
  }

  async listBrokers(): Promise<Listing<BrokerRegistration>> {
    const { entries, revision } = await this.kv.range(this.k.brokersPrefix);
    return { items: entries.map(decodeBroker), revision };
  }

  async listRegisteredBrokers(): Promise<RegisteredBroker[]> {
    const [registry, live] = await Promise.all([this.kv.range(this.k.registeredPrefix), this.kv.range(this.k.brokersPrefix)]);
    const byId = new Map<number, RegisteredBroker>();
    for (const e of registry.entries) {
      const reg = JSON.parse(e.value) as BrokerRegistration;
      byId.set(reg.brokerId, { ...reg, fenced: true });
    }
    // A live broker is unfenced (its live registration is the newer one if both exist).
    for (const e of live.entries) {
      const reg = decodeBroker(e);
      byId.set(reg.brokerId, { ...reg, fenced: false });
    }
    return [...byId.values()].sort((a, b) => a.brokerId - b.brokerId);
  }

  async unregisterBroker(brokerId: number, fence: ControllerFence): Promise<WriteResult> {
    const registryKey = this.k.registeredBroker(brokerId);
    const liveKey = this.k.broker(brokerId);
    const [registered, live] = await Promise.all([this.kv.get(registryKey), this.kv.get(liveKey)]);
    if (!registered && !live) return 'missing';
    const ops: KvOp[] = [];
    if (registered) ops.push({ type: 'delete', key: registryKey });
    if (live) ops.push({ type: 'delete', key: liveKey });
    const res = await this.kv.txn(this.fenceCompares(fence), ops, this.fenceKeys);
    return res.succeeded ? 'ok' : 'fenced';
  }

  watchBrokers(afterRevision: number, listener: (ev: WatchEvent<BrokerRegistration, number>) => void): Promise<Unwatch> {
    return this.kv.watch(this.k.brokersPrefix, afterRevision, (ev) => {
      if (ev.type === 'put') listener({ type: 'put', value: decodeBroker(entryOf(ev)), revision: ev.revision });
      else listener({ type: 'delete', key: Number(ev.key.slice(this.k.brokersPrefix.length)), revision: ev.revision });
    });
  }

  // ---- controller ------------------------------------------------------------------------

  async campaign(session: LeaseSession, brokerId: number): Promise<CampaignResult> {
    for (let round = 0; round < MAX_CAMPAIGN_ROUNDS; round++) {
      if (session.lost) return { elected: false, controller: await this.getController() };
      const epochEntry = await this.kv.get(this.k.controllerEpoch);
      const epoch = epochEntry ? Number(epochEntry.value) : 0;
      const next: ControllerRecord = { brokerId, epoch: epoch + 1 };
      // Create-if-absent under our lease, and bump the epoch, in one transaction: the epoch
      // compare makes two contenders that read the same epoch unable to both win.
      const res = await this.kv.txn(
        [
          { key: this.k.controller, target: 'create', value: 0 },
          { key: this.k.controllerEpoch, target: 'mod', value: epochEntry?.modRevision ?? 0 },
        ],
        [
          { type: 'put', key: this.k.controller, value: JSON.stringify(next), lease: session.id },
          { type: 'put', key: this.k.controllerEpoch, value: String(next.epoch) },
        ],
        [this.k.controller],
      );
      if (res.succeeded) return { elected: true, fence: { brokerId, epoch: next.epoch, createRevision: res.revision } };
      const holder = res.entries.get(this.k.controller);
      if (holder) return { elected: false, controller: JSON.parse(holder.value) as ControllerRecord };
    }
    return { elected: false, controller: await this.getController() };
  }

  async getController(): Promise<(ControllerRecord & { createRevision: number }) | undefined> {
    const e = await this.kv.get(this.k.controller);
    return e && { ...(JSON.parse(e.value) as ControllerRecord), createRevision: e.createRevision };
  }

  watchController(afterRevision: number, listener: (ev: WatchEvent<ControllerRecord, null>) => void): Promise<Unwatch> {
    // The prefix would also match controller_epoch; only the controller key itself is reported.
    return this.kv.watch(this.k.controller, afterRevision, (ev) => {
      if (ev.key !== this.k.controller) return;
      if (ev.type === 'put') listener({ type: 'put', value: JSON.parse(ev.value!) as ControllerRecord, revision: ev.revision });
      else listener({ type: 'delete', key: null, revision: ev.revision });
    });
  }

  async resign(fence: ControllerFence): Promise<void> {
    await this.kv.txn(this.fenceCompares(fence), [{ type: 'delete', key: this.k.controller }]);
  }

  private fenceCompares(fence: ControllerFence | undefined): KvCompare[] {
    if (!fence) return [];
    return [
      { key: this.k.controller, target: 'create', value: fence.createRevision },
      { key: this.k.controllerEpoch, target: 'value', value: String(fence.epoch) },
    ];
  }

  private isFenced(fence: ControllerFence | undefined, entries: Map<string, KvEntry>): boolean {
    if (!fence) return false;
    const c = entries.get(this.k.controller);
    const e = entries.get(this.k.controllerEpoch);
    return c?.createRevision !== fence.createRevision || e?.value !== String(fence.epoch);
  }

  private get fenceKeys(): string[] {
    return [this.k.controller, this.k.controllerEpoch];
  }

  // ---- topics ----------------------------------------------------------------------------

  async createTopic(topic: TopicRecord, states: PartitionState[], fence: ControllerFence): Promise<WriteResult> {
    const key = this.k.topic(topic.name);
    const ops: KvOp[] = [{ type: 'put', key, value: JSON.stringify(topic) }];
    states.forEach((s, p) => ops.push({ type: 'put', key: this.k.partition(topic.name, p), value: JSON.stringify({ ...s, controllerEpoch: fence.epoch }) }));
    const res = await this.kv.txn([...this.fenceCompares(fence), { key, target: 'create', value: 0 }], ops, [...this.fenceKeys, key]);
    if (res.succeeded) return 'ok';
    return this.isFenced(fence, res.entries) ? 'fenced' : 'exists';
  }

  async addPartitions(name: string, expectedPartitions: number, newReplicas: number[][], states: PartitionState[], fence: ControllerFence): Promise<WriteResult> {
    const key = this.k.topic(name);
    const entry = await this.kv.get(key);
    if (!entry) return 'missing';
    const topic = JSON.parse(entry.value) as TopicRecord;
    if (topic.replicas.length !== expectedPartitions) return 'exists';
    const next: TopicRecord = { ...topic, replicas: [...topic.replicas, ...newReplicas] };
    const ops: KvOp[] = [{ type: 'put', key, value: JSON.stringify(next) }];
    states.forEach((s, i) =>
      ops.push({ type: 'put', key: this.k.partition(name, expectedPartitions + i), value: JSON.stringify({ ...s, controllerEpoch: fence.epoch }) }),
    );
    const res = await this.kv.txn([...this.fenceCompares(fence), { key, target: 'mod', value: entry.modRevision }], ops, [...this.fenceKeys, key]);
    if (res.succeeded) return 'ok';
    if (this.isFenced(fence, res.entries)) return 'fenced';
    return res.entries.has(key) ? 'exists' : 'missing';
  }

  async deleteTopic(name: string, fence: ControllerFence): Promise<WriteResult> {
    const key = this.k.topic(name);
    const entry = await this.kv.get(key);
    if (!entry) return 'missing';
    const topic = JSON.parse(entry.value) as TopicRecord;
    const ops: KvOp[] = [{ type: 'delete', key }, { type: 'delete', key: this.k.config('topic', name) }];
    for (let p = 0; p < topic.replicas.length; p++) ops.push({ type: 'delete', key: this.k.partition(name, p) });
    const res = await this.kv.txn([...this.fenceCompares(fence), { key, target: 'mod', value: entry.modRevision }], ops, [...this.fenceKeys, key]);
    if (res.succeeded) return 'ok';
    if (this.isFenced(fence, res.entries)) return 'fenced';
    return res.entries.has(key) ? this.deleteTopic(name, fence) : 'missing';
  }

  async getTopicVersioned(name: string): Promise<{ topic: TopicRecord; revision: number } | undefined> {
    const e = await this.kv.get(this.k.topic(name));
    return e && { topic: JSON.parse(e.value) as TopicRecord, revision: e.modRevision };
  }

  async updateTopic(revision: number, next: TopicRecord, fence: ControllerFence): Promise<WriteResult> {
    const key = this.k.topic(next.name);
    const res = await this.kv.txn([...this.fenceCompares(fence), { key, target: 'mod', value: revision }], [{ type: 'put', key, value: JSON.stringify(next) }], [
      ...this.fenceKeys,
      key,
    ]);
    if (res.succeeded) return 'ok';
    if (this.isFenced(fence, res.entries)) return 'fenced';
    return res.entries.has(key) ? 'exists' : 'missing';
  }

  async getTopic(name: string): Promise<TopicRecord | undefined> {
    const e = await this.kv.get(this.k.topic(name));
    return e && (JSON.parse(e.value) as TopicRecord);
  }

  async listTopics(): Promise<Listing<TopicRecord>> {
    const { entries, revision } = await this.kv.range(this.k.topicsPrefix);
    return { items: entries.map((e) => JSON.parse(e.value) as TopicRecord), revision };
  }

  watchTopics(afterRevision: number, listener: (ev: WatchEvent<TopicRecord, string>) => void): Promise<Unwatch> {
    return this.kv.watch(this.k.topicsPrefix, afterRevision, (ev) => {
      if (ev.type === 'put') listener({ type: 'put', value: JSON.parse(ev.value!) as TopicRecord, revision: ev.revision });
      else listener({ type: 'delete', key: ev.key.slice(this.k.topicsPrefix.length), revision: ev.revision });
    });
  }

  // ---- partition states ------------------------------------------------------------------

  async getPartition(topic: string, partition: number): Promise<VersionedPartitionState | undefined> {
    const e = await this.kv.get(this.k.partition(topic, partition));
    return e && this.decodePartition(e);
  }

  async listPartitions(topic?: string): Promise<Listing<VersionedPartitionState>> {
    const prefix = topic === undefined ? this.k.partitionsPrefix : `${this.k.partitionsPrefix}${topic}/`;
    const { entries, revision } = await this.kv.range(prefix);
    const items = entries.map((e) => this.decodePartition(e));
    items.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    return { items, revision };
  }

  async casPartition(expected: VersionedPartitionState, next: Omit<PartitionState, 'partitionEpoch' | 'controllerEpoch'>, fence?: ControllerFence): Promise<CasResult> {
    const key = this.k.partition(expected.topic, expected.partition);
    const state: PartitionState = {
      leader: next.leader,
      leaderEpoch: next.leaderEpoch,
      isr: [...next.isr],
      partitionEpoch: expected.state.partitionEpoch + 1,
      controllerEpoch: fence?.epoch ?? expected.state.controllerEpoch,
    };
    const res = await this.kv.txn(
      [...this.fenceCompares(fence), { key, target: 'mod', value: expected.revision }],
      [{ type: 'put', key, value: JSON.stringify(state) }],
      [...this.fenceKeys, key],
    );
    if (res.succeeded) return { ok: true, state: { topic: expected.topic, partition: expected.partition, state, revision: res.revision } };
    if (this.isFenced(fence, res.entries)) return { ok: false, reason: 'fenced' };
    const cur = res.entries.get(key);
    return cur ? { ok: false, reason: 'conflict', current: this.decodePartition(cur) } : { ok: false, reason: 'missing' };
  }

  watchPartitions(
    afterRevision: number,
    listener: (ev: WatchEvent<VersionedPartitionState, { topic: string; partition: number }>) => void,
  ): Promise<Unwatch> {
    return this.kv.watch(this.k.partitionsPrefix, afterRevision, (ev) => {
      if (ev.type === 'put') listener({ type: 'put', value: this.decodePartition(entryOf(ev)), revision: ev.revision });
      else listener({ type: 'delete', key: this.partitionOf(ev.key), revision: ev.revision });
    });
  }

  private partitionOf(key: string): { topic: string; partition: number } {
    const rest = key.slice(this.k.partitionsPrefix.length);
    const slash = rest.lastIndexOf('/');
    return { topic: rest.slice(0, slash), partition: Number(rest.slice(slash + 1)) };
  }

  private decodePartition(e: KvEntry): VersionedPartitionState {
    return { ...this.partitionOf(e.key), state: JSON.parse(e.value) as PartitionState, revision: e.modRevision };
  }

  // ---- dynamic configs -------------------------------------------------------------------

  async getConfigs(type: ConfigResourceType, name: string): Promise<Record<string, string>> {
    const e = await this.kv.get(this.k.config(type, name));
    return e ? (JSON.parse(e.value) as Record<string, string>) : {};
  }

  async setConfigs(type: ConfigResourceType, name: string, configs: Record<string, string>, fence?: ControllerFence): Promise<WriteResult> {
    const key = this.k.config(type, name);
    const op: KvOp = Object.keys(configs).length === 0 ? { type: 'delete', key } : { type: 'put', key, value: JSON.stringify(configs) };
    const res = await this.kv.txn(this.fenceCompares(fence), [op], this.fenceKeys);
    return res.succeeded ? 'ok' : 'fenced';
  }

  watchConfigs(
    afterRevision: number,
    listener: (ev: WatchEvent<{ type: ConfigResourceType; name: string; configs: Record<string, string> }, { type: ConfigResourceType; name: string }>) => void,
  ): Promise<Unwatch> {
    return this.kv.watch(this.k.configsPrefix, afterRevision, (ev) => {
      const rest = ev.key.slice(this.k.configsPrefix.length);
      const slash = rest.indexOf('/');
      const id = { type: rest.slice(0, slash) as ConfigResourceType, name: rest.slice(slash + 1) };
      if (ev.type === 'put') listener({ type: 'put', value: { ...id, configs: JSON.parse(ev.value!) as Record<string, string> }, revision: ev.revision });
      else listener({ type: 'delete', key: id, revision: ev.revision });
    });
  }

  // ---- security sections (ACLs, SCRAM credentials, client quotas) ------------------------

  async listSection(section: SecuritySection): Promise<Listing<SectionEntry>> {
    const prefix = this.k.section(section);
    const { entries, revision } = await this.kv.range(prefix);
    return { items: entries.map((e) => ({ key: decodeURIComponent(e.key.slice(prefix.length)), value: e.value, revision: e.modRevision })), revision };
  }

  async writeSection(section: SecuritySection, changes: readonly SectionChange[]): Promise<number> {
    const prefix = this.k.section(section);
    // Keys are arbitrary strings (user names, JSON): encoded so none can reach outside the section.
    // etcd refuses a transaction naming one key twice: the last change of a key wins.
    const last = new Map(changes.map((c) => [c.key, c.value]));
    const ops: KvOp[] = [...last].map(([k, value]) => ({ key: k, value })).map((c) => {
      const key = prefix + encodeURIComponent(c.key);
      return c.value === null ? { type: 'delete', key } : { type: 'put', key, value: c.value };
    });
    const res = await this.kv.txn([], ops);
    return res.revision;
  }

  watchSection(section: SecuritySection, afterRevision: number, listener: (ev: SectionChange & { revision: number }) => void): Promise<Unwatch> {
    const prefix = this.k.section(section);
    return this.kv.watch(prefix, afterRevision, (ev) => {
      listener({ key: decodeURIComponent(ev.key.slice(prefix.length)), value: ev.type === 'put' ? ev.value! : null, revision: ev.revision });
    });
  }

  async close(): Promise<void> {
    if (this.ownsBackend) await this.kv.close();
  }
}

function keyLayout(root: string) {
  return {
    clusterId: `${root}cluster_id`,
    brokersPrefix: `${root}brokers/ids/`,
    broker: (id: number) => `${root}brokers/ids/${id}`,
    // The broker registry: not bound to a lease (a stopped broker stays registered, fenced).
    registeredPrefix: `${root}brokers/registered/`,
    registeredBroker: (id: number) => `${root}brokers/registered/${id}`,
    controller: `${root}controller`,
    controllerEpoch: `${root}controller_epoch`,
    topicsPrefix: `${root}topics/`,
    topic: (name: string) => `${root}topics/${name}`,
    partitionsPrefix: `${root}partitions/`,
    partition: (topic: string, p: number) => `${root}partitions/${topic}/${p}`,
    configsPrefix: `${root}configs/`,
    config: (type: ConfigResourceType, name: string) => `${root}configs/${type}/${name}`,
    // Trailing slash: 'scram/' must not match a longer section name.
    section: (section: SecuritySection) => `${root}security/${section}/`,
  };
}

function entryOf(ev: KvWatchEvent): KvEntry {
  return { key: ev.key, value: ev.value!, createRevision: ev.createRevision ?? 0, modRevision: ev.revision, lease: '0' };
}

function decodeBroker(e: KvEntry): BrokerRegistration {
  const reg = JSON.parse(e.value) as BrokerRegistration;
  return e.createRevision > 0 ? { ...reg, brokerEpoch: e.createRevision } : reg;
}
