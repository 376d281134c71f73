// Test plumbing for the KIP-848 consumer group coordinator: a classic coordinator over an
// in-memory __consumer_offsets, a fake topic registry, and a simulated member that behaves like a
// well-written client (it revokes what the coordinator stops listing before the next heartbeat).
import { ErrorCode } from '../../../protocol/errors.js';
import { GroupCoordinator } from '../../../src/coordinator/group/group-coordinator.js';
import { DEFAULT_CONSUMER_GROUP_CONFIG, type ConsumerGroupConfig } from '../../../src/coordinator/consumer/consumer-config.js';
import { ConsumerGroupCoordinator, type ConsumerHeartbeatOutcome, type ConsumerHeartbeatParams } from '../../../src/coordinator/consumer/consumer-coordinator.js';
import type { TopicInfo, TopicsView } from '../../../src/coordinator/consumer/consumer-core.js';
import type { TopicPartitionsList } from '../../../src/coordinator/consumer/assignment.js';
import { MemoryLog, TEST_CONFIG } from '../group/helpers.js';

export { MemoryLog } from '../group/helpers.js';

export class FakeTopics implements TopicsView {
  private readonly byName = new Map<string, TopicInfo>();
  private next = 1;

  create(name: string, partitions: number): TopicInfo {
    // 16 bytes as base64url, like Kafka's Uuid: deterministic per creation.
    const id = Buffer.alloc(16, this.next++).toString('base64url');
    const t = { name, id, partitions };
    this.byName.set(name, t);
    return t;
  }

  setPartitions(name: string, partitions: number): void {
    this.byName.get(name)!.partitions = partitions;
  }

  delete(name: string): void {
    this.byName.delete(name);
  }

  get(name: string): TopicInfo | undefined {
    return this.byName.get(name);
  }

  getById(id: string): TopicInfo | undefined {
    return [...this.byName.values()].find((t) => t.id === id);
  }

  all(): TopicInfo[] {
    return [...this.byName.values()];
  }

  id(name: string): string {
    return this.byName.get(name)!.id;
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export interface Harness {
  gc: GroupCoordinator;
  cc: ConsumerGroupCoordinator;
  log: MemoryLog;
  topics: FakeTopics;
  /** A new coordinator pair replaying the same log (a broker restart). */
  restart(): Promise<Harness>;
}

export async function startHarness(config: Partial<ConsumerGroupConfig> = {}, log = new MemoryLog(), topics = new FakeTopics()): Promise<Harness> {
  const gc = new GroupCoordinator({ config: { ...TEST_CONFIG, initialRebalanceDelayMs: 0 }, log, logger: silent });
  const cc = new ConsumerGroupCoordinator({ config: { ...DEFAULT_CONSUMER_GROUP_CONFIG, ...config }, topics, classic: gc, logger: silent });
  await gc.startup();
  await cc.startup();
  return {
    gc,
    cc,
    log,
    topics,
    async restart() {
      await cc.shutdown();
      await gc.shutdown();
      return startHarness(config, log, topics);
    },
  };
}

export function hbParams(over: Partial<ConsumerHeartbeatParams> = {}): ConsumerHeartbeatParams {
  return {
    groupId: 'g',
    memberId: '',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['t'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    ...over,
  };
}

/** Partition numbers of `topicId` in a list, sorted. */
export function parts(list: TopicPartitionsList[] | null | undefined, topicId: string): number[] {
  return [...(list?.find((t) => t.topicId === topicId)?.partitions ?? [])].sort((a, b) => a - b);
}

/** A consumer: remembers its id, epoch and owned partitions, and adopts each assignment it is sent. */
export class SimMember {
  epoch = 0;
  owned: TopicPartitionsList[] = [];
  last: ConsumerHeartbeatOutcome | null = null;

  constructor(
    public h: Harness,
    public memberId: string,
    public base: Partial<ConsumerHeartbeatParams> = {},
  ) {}

  async beat(over: Partial<ConsumerHeartbeatParams> = {}): Promise<ConsumerHeartbeatOutcome> {
    const r = await this.h.cc.heartbeat(hbParams({ ...this.base, memberId: this.memberId, memberEpoch: this.epoch, topicPartitions: this.owned, ...over }));
    this.last = r;
    if (r.errorCode === ErrorCode.NONE) {
      if (r.memberId) this.memberId = r.memberId;
      this.epoch = r.memberEpoch;
      if (r.assignment) this.owned = r.assignment.topicPartitions;
    }
    return r;
  }

  partitions(topicId: string): number[] {
    return parts(this.owned, topicId);
  }
}

/** Heartbeats every member round-robin until nothing changes (at most `rounds` rounds). */
export async function settle(members: SimMember[], rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const before = JSON.stringify(members.map((m) => [m.epoch, m.owned]));
    for (const m of members) await m.beat();
    if (JSON.stringify(members.map((m) => [m.epoch, m.owned])) === before) return;
  }
}
