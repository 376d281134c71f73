// Test plumbing for the group coordinator: an in-memory __consumer_offsets, a coordinator over
// it, and small request builders. Used with vi.useFakeTimers().
import { ErrorCode } from '../../../protocol/errors.js';
import { encodeConsumerProtocolSubscription } from '../../../protocol/generated/consumer-protocol-subscription.js';
import { Writer } from '../../../protocol/wire/writer.js';
import { DEFAULT_GROUP_CONFIG, type GroupCoordinatorConfig } from '../../../src/coordinator/group/group-config.js';
import { GroupCoordinator, type JoinGroupParams } from '../../../src/coordinator/group/group-coordinator.js';
import type { CoordinatorRecord as OffsetsLogRecord, CoordinatorRecordLog as GroupRecordLog } from '../../../src/coordinator/runtime/record-log.js';

export class MemoryLog implements GroupRecordLog {
  readonly partitions: OffsetsLogRecord[][];
  /** When set, appends fail with this storage error instead of being stored. */
  failWith: number | null = null;
  appends = 0;

  constructor(readonly numPartitions = 3) {
    this.partitions = Array.from({ length: numPartitions }, () => []);
  }

  append(partition: number, records: OffsetsLogRecord[]): Promise<number> {
    this.appends++;
    if (this.failWith !== null) return Promise.resolve(this.failWith);
    this.partitions[partition]!.push(...records);
    return Promise.resolve(ErrorCode.NONE);
  }

  async replay(partition: number, onRecord: (r: OffsetsLogRecord) => void): Promise<void> {
    for (const r of this.partitions[partition]!) onRecord(r);
  }

  all(): OffsetsLogRecord[] {
    return this.partitions.flat();
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export const TEST_CONFIG: GroupCoordinatorConfig = {
  ...DEFAULT_GROUP_CONFIG,
  initialRebalanceDelayMs: 100,
  minSessionTimeoutMs: 1000,
  maxSessionTimeoutMs: 60_000,
};

export async function startCoordinator(config: Partial<GroupCoordinatorConfig> = {}, log = new MemoryLog()): Promise<{ gc: GroupCoordinator; log: MemoryLog }> {
  const gc = new GroupCoordinator({ config: { ...TEST_CONFIG, ...config }, log, logger: silent });
  await gc.startup();
  return { gc, log };
}

/** A ConsumerProtocolSubscription v0 with its int16 version prefix, as consumers send it. */
export function subscription(topics: string[]): Buffer {
  const w = new Writer();
  w.writeInt16(0);
  encodeConsumerProtocolSubscription(w, 0, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null });
  return w.toBuffer();
}

export function joinParams(over: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    requireKnownMemberId: false,
    supportsSkipAssignment: false,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 10_000,
    sessionTimeoutMs: 5_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    ...over,
  };
}
