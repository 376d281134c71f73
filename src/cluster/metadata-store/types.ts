// What the cluster metadata store holds, and the interface brokers and the controller use. The
// shape follows Kafka's ZooKeeper-era layout (/brokers/ids, /controller, /controller_epoch,
// /brokers/topics/<t>/partitions/<p>/state, /config) with etcd in ZooKeeper's place.
import type { LeaseSession } from './lease-session.js';

export interface BrokerListener {
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

/**
 * A broker's registration. As a live broker (listBrokers / watchBrokers) it is bound to the
 * broker's lease and vanishes when the lease ends; the same registration is also kept in the
 * broker registry (listRegisteredBrokers), which outlives the lease as KRaft's does: a stopped
 * broker stays registered, fenced (no live lease), until UnregisterBroker removes it.
 */
export interface BrokerRegistration {
  brokerId: number;
  listeners: BrokerListener[];
  rack: string | null;
  /** The registration's create revision, like Kafka's broker epoch (czxid): new on every rejoin. */
  brokerEpoch?: number;
  /** Random per broker process (Kafka's incarnation id): a restart registers a new one. */
  incarnationId?: string;
}

/** A registry entry: a registered broker and whether it is fenced (no live lease). */
export interface RegisteredBroker extends BrokerRegistration {
  fenced: boolean;
}

export interface ControllerRecord {
  brokerId: number;
  epoch: number;
}

/**
 * Proof of being the controller, carried by every controller write. A write commits only if the
 * controller key still is the one this broker created (same create revision: its lease is alive)
 * and the controller epoch is still ours; otherwise it is refused as fenced.
 */
export interface ControllerFence {
  brokerId: number;
  epoch: number;
  createRevision: number;
}

export interface TopicRecord {
  name: string;
  topicId: string;
  /** replicas[p] = the assigned brokers of partition p, preferred leader first. */
  replicas: number[][];
  configs: Record<string, string>;
  /**
   * Partitions being reassigned (KIP-455), by partition number: while present, replicas[p] is the
   * full set (target first, then the replicas being removed).
   */
  reassigning?: Record<string, Reassignment>;
}

export interface Reassignment {
  /** The replicas before the reassignment (a cancel restores them). */
  original: number[];
  /** The replicas after it. */
  target: number[];
}

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  /** Bumped by the store on every change; AlterPartition requests name the epoch they saw. */
  partitionEpoch: number;
  /** The controller epoch of the controller that wrote this state (as in Kafka's ZK state znode). */
  controllerEpoch: number;
}

export interface VersionedPartitionState {
  topic: string;
  partition: number;
  state: PartitionState;
  /** The store revision of this state: the compare-and-swap token. */
  revision: number;
}

export type ConfigResourceType = 'topic' | 'broker';

/**
 * A keyed section of cluster-wide records that any broker may write (last write wins per key):
 * ACLs, SCRAM credentials, client quotas — what Kafka's ZooKeeper-era brokers kept under /config
 * and /kafka-acl and every broker applied through a watch.
 */
export type SecuritySection = 'acls' | 'scram' | 'client_quotas' | 'delegation_tokens';

export interface SectionEntry {
  key: string;
  value: string;
  /** The store revision of this value: a watch event at or below it is already applied. */
  revision: number;
}

/** One change of a section: `value: null` deletes the key. */
export interface SectionChange {
  key: string;
  value: string | null;
}

export interface Listing<T> {
  items: T[];
  /** Watch from here to see every later change, without gap or repeat. */
  revision: number;
}

export type WatchEvent<T, K> = { type: 'put'; value: T; revision: number } | { type: 'delete'; key: K; revision: number };

export type Unwatch = () => Promise<void>;

export type CasResult =
  | { ok: true; state: VersionedPartitionState }
  /** conflict: someone changed the state first (current is the state now); missing: no such partition. */
  | { ok: false; reason: 'conflict' | 'missing' | 'fenced'; current?: VersionedPartitionState };

export type WriteResult = 'ok' | 'exists' | 'missing' | 'fenced';

/** The result of one election attempt. */
export type CampaignResult = { elected: true; fence: ControllerFence } | { elected: false; controller: ControllerRecord | undefined };

export interface ClusterMetadataStore {
  readonly kind: 'memory' | 'etcd';

  /** Creates the cluster id if none exists; returns the cluster's id either way. */
  ensureClusterId(proposed: string): Promise<string>;

  /** A new lease-backed session (registration and controller election hang off it). */
  openSession(ttlMs: number): Promise<LeaseSession>;
  /** Registers a broker under the session's lease. 'exists' when that id is registered by another live session. */
  registerBroker(session: LeaseSession, reg: BrokerRegistration): Promise<WriteResult>;
  /** The live (unfenced) brokers: those whose lease-bound registration exists. */
  listBrokers(): Promise<Listing<BrokerRegistration>>;
  /** Every registered broker, live or fenced (the broker registry), by id. */
  listRegisteredBrokers(): Promise<RegisteredBroker[]>;
  /**
   * UnregisterBroker: removes a broker's registration from the registry (and its live
   * registration, if it is running: the broker registers again). 'missing' when not registered.
   */
  unregisterBroker(brokerId: number, fence: ControllerFence): Promise<WriteResult>;
  watchBrokers(afterRevision: number, listener: (ev: WatchEvent<BrokerRegistration, number>) => void): Promise<Unwatch>;

  /** One lease-guarded create-if-absent transaction that also bumps the controller epoch. */
  campaign(session: LeaseSession, brokerId: number): Promise<CampaignResult>;
  getController(): Promise<(ControllerRecord & { createRevision: number }) | undefined>;
  watchController(afterRevision: number, listener: (ev: WatchEvent<ControllerRecord, null>) => void): Promise<Unwatch>;
  /** Gives up the controllership (only if the key is still ours). */
  resign(fence: ControllerFence): Promise<void>;

  createTopic(topic: TopicRecord, states: PartitionState[], fence: ControllerFence): Promise<WriteResult>;
  /** Adds partitions (CreatePartitions): the new replicas and initial states, atomically with the topic record. */
  addPartitions(name: string, expectedPartitions: number, newReplicas: number[][], states: PartitionState[], fence: ControllerFence): Promise<WriteResult>;
  deleteTopic(name: string, fence: ControllerFence): Promise<WriteResult>;
  /** The topic record and its revision, the token for updateTopic. */
  getTopicVersioned(name: string): Promise<{ topic: TopicRecord; revision: number } | undefined>;
  /** Replaces a topic record if it is still at `revision` ('exists' = changed meanwhile). Partition count changes go through addPartitions. */
  updateTopic(revision: number, next: TopicRecord, fence: ControllerFence): Promise<WriteResult>;
  getTopic(name: string): Promise<TopicRecord | undefined>;
  listTopics(): Promise<Listing<TopicRecord>>;
  watchTopics(afterRevision: number, listener: (ev: WatchEvent<TopicRecord, string>) => void): Promise<Unwatch>;

  getPartition(topic: string, partition: number): Promise<VersionedPartitionState | undefined>;
  listPartitions(topic?: string): Promise<Listing<VersionedPartitionState>>;
  /**
   * Replaces a partition's state only if it is still at `expected.revision` (and, with a fence,
   * only if the writer is still the controller). The store sets partitionEpoch = previous + 1.
   */
  casPartition(expected: VersionedPartitionState, next: Omit<PartitionState, 'partitionEpoch' | 'controllerEpoch'>, fence?: ControllerFence): Promise<CasResult>;
  watchPartitions(afterRevision: number, listener: (ev: WatchEvent<VersionedPartitionState, { topic: string; partition: number }>) => void): Promise<Unwatch>;

  getConfigs(type: ConfigResourceType, name: string): Promise<Record<string, string>>;
  /** Replaces the dynamic configs of a resource (an empty map deletes them). */
  setConfigs(type: ConfigResourceType, name: string, configs: Record<string, string>, fence?: ControllerFence): Promise<WriteResult>;
  watchConfigs(afterRevision: number, listener: (ev: WatchEvent<{ type: ConfigResourceType; name: string; configs: Record<string, string> }, { type: ConfigResourceType; name: string }>) => void): Promise<Unwatch>;

  listSection(section: SecuritySection): Promise<Listing<SectionEntry>>;
  /** Applies every change in one transaction; resolves with the revision it committed at. */
  writeSection(section: SecuritySection, changes: readonly SectionChange[]): Promise<number>;
  watchSection(section: SecuritySection, afterRevision: number, listener: (ev: SectionChange & { revision: number }) => void): Promise<Unwatch>;

  close(): Promise<void>;
}
