// The coordinator runtime over real partition logs (through LogPartitionAccess, the test adapter
// the partition layer replaces): open/create, append + replay (transactional records at their
// marker), the one storage-error mapping, and load/unload of a coordinator's partitions with the
// answers a client sees meanwhile (COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR).
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import type { InternalPartitionAccess, InternalReadResult, TopicPartition } from '../../../src/cluster/partition-api.js';
import { OFFSETS_TOPIC, offsetsTopicSpec } from '../../../src/coordinator/common/internal-topics.js';
import { partitionForGroup } from '../../../src/coordinator/common/partition-for.js';
import { DEFAULT_GROUP_CONFIG } from '../../../src/coordinator/group/group-config.js';
import { GroupCoordinator } from '../../../src/coordinator/group/group-coordinator.js';
import { CoordinatorRuntime } from '../../../src/coordinator/runtime/coordinator-runtime.js';
import { LogPartitionAccess } from '../../helpers/log-partition-access.js';
import { PartitionStates } from '../../../src/coordinator/runtime/partition-states.js';
import { coordinatorWriteError, offsetCommitWriteError } from '../../../src/coordinator/runtime/write-errors.js';
import type { TopicRecord } from '../../../src/metadata/topic-registry.js';
import { openLog, tempDir } from '../../storage/helpers/temp-log.js';

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

/** Internal topics as real PartitionLogs in a temp dir. */
class LocalTopics {
  readonly logs = new Map<string, PartitionLog>();
  readonly records = new Map<string, TopicRecord>();
  readonly topics = { get: (name: string) => this.records.get(name) };
  constructor(private readonly dir: string) {}
  async createTopic(name: string, numPartitions: number): Promise<TopicRecord> {
    for (let p = 0; p < numPartitions; p++) this.logs.set(`${name}-${p}`, await openLog(join(this.dir, `${name}-${p}`), { segmentBytes: 1 << 20 }));
    const rec = { name, partitions: numPartitions } as unknown as TopicRecord;
    this.records.set(name, rec);
    return rec;
  }
  partition(topic: string, index: number) {
    const log = this.logs.get(`${topic}-${index}`);
    return log ? { log, leaderEpoch: 0 } : undefined;
  }
}

/** Reads wait for `gate` when set: observes a partition while its load is in progress. */
class GatedAccess implements InternalPartitionAccess {
  gate: Promise<void> | null = null;
  constructor(private readonly inner: InternalPartitionAccess) {}
  appendInternal = (tp: TopicPartition, r: Buffer) => this.inner.appendInternal(tp, r);
  appendMarker: InternalPartitionAccess['appendMarker'] = (tp, m) => this.inner.appendMarker(tp, m);
  offsets = (tp: TopicPartition) => this.inner.offsets(tp);
  async readInternal(tp: TopicPartition, from: number, max: number): Promise<InternalReadResult> {
    if (this.gate) await this.gate;
    return this.inner.readInternal(tp, from, max);
  }
}

let tmp: { path: string; cleanup: () => Promise<void> };
let topics: LocalTopics;
let access: GatedAccess;
let runtime: CoordinatorRuntime;

beforeEach(async () => {
  tmp = await tempDir('tributary-runtime-');
  topics = new LocalTopics(tmp.path);
  access = new GatedAccess(new LogPartitionAccess(topics));
  runtime = new CoordinatorRuntime({ access, topics, logger: SILENT });
});

afterEach(async () => {
  for (const l of topics.logs.values()) await l.close().catch(() => {});
  await tmp.cleanup();
});

const kv = (k: string, v: string | null) => ({ key: Buffer.from(k), value: v === null ? null : Buffer.from(v) });

describe('InternalTopicLog', () => {
  it('creates the topic once, appends in call order and replays every record', async () => {
    expect(await runtime.open(offsetsTopicSpec(2, 1 << 20), false)).toBeNull();
    const log = (await runtime.open(offsetsTopicSpec(2, 1 << 20)))!;
    expect(log.numPartitions).toBe(2);
    expect((await runtime.open(offsetsTopicSpec(5, 1 << 20)))!.numPartitions).toBe(2); // an existing topic keeps its count
    const a = log.append(1, [kv('a', '1'), kv('b', '1')]);
    const b = log.append(1, [kv('a', null)]);
    expect(await Promise.all([a, b])).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    const seen: [string, string | null][] = [];
    const open = await log.replay(1, (r) => seen.push([r.key.toString(), r.value?.toString() ?? null]));
    expect(seen).toEqual([['a', '1'], ['b', '1'], ['a', null]]);
    expect(open.size).toBe(0);
  });

  it('replays transactional records at their COMMIT marker, drops aborted ones, returns open ones', async () => {
    const log = (await runtime.open(offsetsTopicSpec(1, 1 << 20)))!;
    const tp = { topic: OFFSETS_TOPIC, partition: 0 };
    const txnBatch = (pid: number, key: string) =>
      buildRecordBatch({ producerId: pid, producerEpoch: 0, baseSequence: -1, transactional: true, records: [{ key: Buffer.from(key), value: Buffer.from('v'), timestamp: 1 }] });
    expect((await access.appendInternal(tp, txnBatch(7, 'committed'))).errorCode).toBe(ErrorCode.NONE);
    expect((await access.appendInternal(tp, txnBatch(8, 'aborted'))).errorCode).toBe(ErrorCode.NONE);
    expect((await access.appendInternal(tp, txnBatch(9, 'open'))).errorCode).toBe(ErrorCode.NONE);
    expect(await log.append(0, [kv('plain', 'v')])).toBe(ErrorCode.NONE);
    expect((await runtime.appendMarker(tp, { producerId: 8, producerEpoch: 0, coordinatorEpoch: 0, committed: false })).errorCode).toBe(ErrorCode.NONE);
    expect((await runtime.appendMarker(tp, { producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, committed: true })).errorCode).toBe(ErrorCode.NONE);
    const seen: string[] = [];
    const open = await log.replay(0, (r) => seen.push(r.key.toString()));
    expect(seen).toEqual(['plain', 'committed']); // at the marker's position, after 'plain'
    expect([...open.keys()]).toEqual([9]);
    expect(open.get(9)!.map((r) => r.key.toString())).toEqual(['open']);
  });

  it('a stale producer epoch is rejected by the partition (TxnOffsetCommit batches are epoch-checked)', async () => {
    await runtime.open(offsetsTopicSpec(1, 1 << 20));
    const tp = { topic: OFFSETS_TOPIC, partition: 0 };
    const batch = (epoch: number) => buildRecordBatch({ producerId: 3, producerEpoch: epoch, baseSequence: -1, transactional: true, records: [{ key: Buffer.from('k'), value: null, timestamp: 1 }] });
    expect((await access.appendInternal(tp, batch(2))).errorCode).toBe(ErrorCode.NONE);
    const stale = await access.appendInternal(tp, batch(1));
    expect(stale.errorCode).not.toBe(ErrorCode.NONE);
    expect(stale.baseOffset).toBe(-1);
  });

  it('maps storage outcomes to client errors in one place', async () => {
    const log = (await runtime.open(offsetsTopicSpec(1, 1 << 20)))!;
    expect(await log.append(5, [kv('k', 'v')])).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION); // no such partition
    expect(coordinatorWriteError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(coordinatorWriteError(ErrorCode.KAFKA_STORAGE_ERROR)).toBe(ErrorCode.NOT_COORDINATOR);
    expect(coordinatorWriteError(ErrorCode.NOT_LEADER_OR_FOLLOWER)).toBe(ErrorCode.NOT_COORDINATOR);
    expect(coordinatorWriteError(ErrorCode.RECORD_LIST_TOO_LARGE)).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(offsetCommitWriteError(ErrorCode.RECORD_LIST_TOO_LARGE)).toBe(ErrorCode.INVALID_COMMIT_OFFSET_SIZE);
    expect(offsetCommitWriteError(ErrorCode.NOT_ENOUGH_REPLICAS)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});

describe('PartitionStates', () => {
  it('loading → loaded; an unload during the load wins; a failed load leaves it unloaded', async () => {
    const s = new PartitionStates();
    expect(s.errorFor(0)).toBe(ErrorCode.NOT_COORDINATOR);
    let release!: () => void;
    const loading = s.load(0, () => new Promise<void>((r) => (release = r)));
    expect(s.errorFor(0)).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    release();
    expect(await loading).toBe(true);
    expect(s.errorFor(0)).toBe(ErrorCode.NONE);

    const overtaken = s.load(1, () => new Promise<void>((r) => (release = r)));
    expect(s.unload(1)).toBe(true);
    release();
    expect(await overtaken).toBe(false);
    expect(s.state(1)).toBe('unloaded');

    await expect(s.load(2, async () => Promise.reject(new Error('disk')))).rejects.toThrow('disk');
    expect(s.state(2)).toBe('unloaded');
  });
});

describe('group coordinator on the runtime', () => {
  const GROUP = 'g-runtime';
  const commit = (gc: GroupCoordinator, offset: number) =>
    gc.commitOffsets({ apiVersion: 8, groupId: GROUP, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null, commitTimestamp: -1 }] }] });
  const fetch = (gc: GroupCoordinator) => gc.fetchOffsets(GROUP, [{ name: 't', partitionIndexes: [0] }]);

  it('answers COORDINATOR_LOAD_IN_PROGRESS while loading, NOT_COORDINATOR once unloaded, and replays on load', async () => {
    const log = (await runtime.open(offsetsTopicSpec(3, 1 << 20)))!;
    const gc = new GroupCoordinator({ config: { ...DEFAULT_GROUP_CONFIG, offsetsTopicNumPartitions: 3 }, log, logger: SILENT });
    runtime.register(OFFSETS_TOPIC, gc);
    await gc.startup();
    try {
      expect((await commit(gc, 42))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
      const p = partitionForGroup(GROUP, 3);

      await runtime.unload(OFFSETS_TOPIC, p);
      expect(gc.group(GROUP)).toBeUndefined();
      expect(fetch(gc).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      expect((await commit(gc, 43))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      expect(gc.describeGroup(GROUP, 6).errorCode).toBe(ErrorCode.NOT_COORDINATOR);

      let open!: () => void;
      access.gate = new Promise((r) => (open = r));
      const loading = runtime.load(OFFSETS_TOPIC, p);
      await Promise.resolve();
      expect(fetch(gc).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      expect(gc.heartbeat({ groupId: GROUP, generationId: 1, memberId: 'm', groupInstanceId: null })).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      open();
      access.gate = null;
      await loading;
      const back = fetch(gc);
      expect(back.errorCode).toBe(ErrorCode.NONE);
      expect(back.topics[0]!.partitions[0]!.committedOffset).toBe(42);
      await expect(runtime.load(OFFSETS_TOPIC, 3)).rejects.toThrow(RangeError); // the topic has partitions 0-2
      await expect(runtime.load('__no_such_topic', 0)).rejects.toThrow('no coordinator registered');
    } finally {
      await gc.shutdown();
    }
  });
});

describe('cluster mode: coordinators follow leadership', () => {
  const GROUP = 'g-leader';
  const commit = (gc: GroupCoordinator, offset: number) =>
    gc.commitOffsets({ apiVersion: 8, groupId: GROUP, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null, commitTimestamp: -1 }] }] });
  const fetch = (gc: GroupCoordinator) => gc.fetchOffsets(GROUP, [{ name: 't', partitionIndexes: [0] }]);

  it('a new leader answers COORDINATOR_LOAD_IN_PROGRESS until its high watermark reaches the log end, then serves the replayed state; losing leadership unloads', async () => {
    // Written by a previous coordinator (the log a new leader inherits).
    const log = (await runtime.open(offsetsTopicSpec(3, 1 << 20)))!;
    const before = new GroupCoordinator({ config: { ...DEFAULT_GROUP_CONFIG, offsetsTopicNumPartitions: 3 }, log, logger: SILENT });
    runtime.register(OFFSETS_TOPIC, before);
    await before.startup();
    expect((await commit(before, 42))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    await before.shutdown();

    // The new leader's high watermark lags its log end until its followers fetched (held here).
    let held = true;
    const lagging: InternalPartitionAccess = {
      appendInternal: (tp, r) => access.appendInternal(tp, r),
      appendMarker: (tp, m) => access.appendMarker(tp, m),
      readInternal: (tp, f, m) => access.readInternal(tp, f, m),
      offsets: (tp) => {
        const o = access.offsets(tp);
        return o && held ? { ...o, highWatermark: 0 } : o;
      },
    };
    const clustered = new CoordinatorRuntime({ access: lagging, topics, logger: SILENT, clustered: true });
    const gc = new GroupCoordinator({ config: { ...DEFAULT_GROUP_CONFIG, offsetsTopicNumPartitions: 3 }, log: (await clustered.open(offsetsTopicSpec(3, 1 << 20)))!, logger: SILENT, followLeadership: true });
    clustered.register(OFFSETS_TOPIC, gc);
    await gc.startup();
    clustered.followLeadership();
    const until = async (what: string, check: () => boolean) => {
      for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
      if (!check()) throw new Error(`timed out: ${what}`);
    };
    try {
      const p = partitionForGroup(GROUP, 3);
      expect(fetch(gc).errorCode).toBe(ErrorCode.NOT_COORDINATOR);

      // Leadership lost again before the log was ready: back to NOT_COORDINATOR, nothing loaded.
      clustered.leadershipChanged(OFFSETS_TOPIC, p, true);
      await new Promise((r) => setTimeout(r, 50));
      expect(fetch(gc).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      clustered.leadershipChanged(OFFSETS_TOPIC, p, false);
      await until('unloaded', () => fetch(gc).errorCode === ErrorCode.NOT_COORDINATOR);
      expect(gc.group(GROUP)).toBeUndefined();

      clustered.leadershipChanged(OFFSETS_TOPIC, p, true);
      await new Promise((r) => setTimeout(r, 50));
      expect(fetch(gc).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      expect((await commit(gc, 43))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      held = false;
      await until('loaded', () => fetch(gc).errorCode === ErrorCode.NONE);
      expect(fetch(gc).topics[0]!.partitions[0]!.committedOffset).toBe(42);

      clustered.leadershipChanged(OFFSETS_TOPIC, p, false);
      await until('unloaded after the move', () => fetch(gc).errorCode === ErrorCode.NOT_COORDINATOR);
      expect(gc.group(GROUP)).toBeUndefined();
    } finally {
      await clustered.stopFollowing();
      await gc.shutdown();
    }
  });

  it('leadership that arrives before the partition is open here (etcd delivers the state before the topic) loads once it opens', async () => {
    const log = (await runtime.open(offsetsTopicSpec(3, 1 << 20)))!;
    const before = new GroupCoordinator({ config: { ...DEFAULT_GROUP_CONFIG, offsetsTopicNumPartitions: 3 }, log, logger: SILENT });
    runtime.register(OFFSETS_TOPIC, before);
    await before.startup();
    expect((await commit(before, 7))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    await before.shutdown();

    let open = false;
    const notYet: InternalPartitionAccess = {
      appendInternal: (tp, r) => access.appendInternal(tp, r),
      appendMarker: (tp, m) => access.appendMarker(tp, m),
      readInternal: (tp, f, m) => access.readInternal(tp, f, m),
      offsets: (tp) => (open ? access.offsets(tp) : undefined),
    };
    const clustered = new CoordinatorRuntime({ access: notYet, topics, logger: SILENT, clustered: true });
    const gc = new GroupCoordinator({ config: { ...DEFAULT_GROUP_CONFIG, offsetsTopicNumPartitions: 3 }, log: (await clustered.open(offsetsTopicSpec(3, 1 << 20)))!, logger: SILENT, followLeadership: true });
    clustered.register(OFFSETS_TOPIC, gc);
    await gc.startup();
    clustered.followLeadership();
    try {
      clustered.leadershipChanged(OFFSETS_TOPIC, partitionForGroup(GROUP, 3), true);
      await new Promise((r) => setTimeout(r, 50));
      expect(fetch(gc).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      open = true;
      for (let i = 0; i < 500 && fetch(gc).errorCode !== ErrorCode.NONE; i++) await new Promise((r) => setTimeout(r, 10));
      expect(fetch(gc).topics[0]!.partitions[0]!.committedOffset).toBe(7);
    } finally {
      await clustered.stopFollowing();
      await gc.shutdown();
    }
  });
});
