// A transaction coordinator over an in-memory __transaction_state and real partition logs in a
// temp dir, with a settable clock, for the coordinator unit tests.
import { join } from 'node:path';
import { ErrorCode } from '../../../protocol/errors.js';
import { decodeRecordBatches } from '../../../protocol/records/record-codec.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { ProducerIdManager } from '../../../src/coordinator/txn/producer-ids.js';
import { DEFAULT_TXN_CONFIG, type TxnCoordinatorConfig } from '../../../src/coordinator/txn/txn-config.js';
import { TransactionCoordinator } from '../../../src/coordinator/txn/txn-coordinator.js';
import type { TxnPartitionWrites } from '../../../src/coordinator/txn/txn-core.js';
import { LogPartitionAccess } from '../../helpers/log-partition-access.js';
import type { CoordinatorRecord as TxnLogRecord, CoordinatorRecordLog as TxnRecordLog } from '../../../src/coordinator/runtime/record-log.js';
import { openLog, tempDir } from '../../storage/helpers/temp-log.js';
import { waitFor } from '../../helpers/wait.js';

export const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

export class MemoryTxnLog implements TxnRecordLog {
  readonly numPartitions = 2;
  readonly records = new Map<number, TxnLogRecord[]>();
  /** The next N appends fail with this code. */
  failNext = 0;
  failWith: number = ErrorCode.KAFKA_STORAGE_ERROR;
  /** When set, appends wait for it (to observe requests while a write is in flight). */
  gate: Promise<void> | null = null;

  async append(partition: number, records: TxnLogRecord[]): Promise<number> {
    if (this.gate) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      return this.failWith;
    }
    const list = this.records.get(partition) ?? [];
    list.push(...records);
    this.records.set(partition, list);
    return ErrorCode.NONE;
  }

  async replay(partition: number, onRecord: (r: TxnLogRecord) => void): Promise<void> {
    for (const r of this.records.get(partition) ?? []) onRecord(r);
  }

  coordinatorEpoch(): number {
    return 0;
  }
}

export interface Harness {
  tc: TransactionCoordinator;
  txnLog: MemoryTxnLog;
  clock: { now: number };
  logs: Map<string, PartitionLog>;
  dir: string;
  /** A new coordinator over the same __transaction_state, partition logs and producer-id file. */
  restart(): Promise<TransactionCoordinator>;
  /** Control batches (markers) in a partition: [type, producerId, epoch]. */
  markers(topic: string, partition: number): Promise<{ committed: boolean; producerId: number; epoch: number }[]>;
  cleanup(): Promise<void>;
}

export interface HarnessOptions {
  /** Wraps the partition layer the coordinator writes markers through (to inject leader answers). */
  wrapPartitions?(access: LogPartitionAccess): TxnPartitionWrites;
}

export async function harness(overrides: Partial<TxnCoordinatorConfig> = {}, partitions = ['t-0', 't-1', '__consumer_offsets-0'], opts: HarnessOptions = {}): Promise<Harness> {
  const tmp = await tempDir('tributary-txn-');
  const logs = new Map<string, PartitionLog>();
  for (const name of partitions) logs.set(name, await openLog(join(tmp.path, name), { segmentBytes: 1 << 20 }));
  const txnLog = new MemoryTxnLog();
  const clock = { now: 1_000_000 };
  const config: TxnCoordinatorConfig = { ...DEFAULT_TXN_CONFIG, retryBackoffMs: 10, ...overrides };
  const wrap = opts.wrapPartitions ?? ((access: LogPartitionAccess) => access);
  const make = async () => {
    const tc = new TransactionCoordinator({
      config,
      openLog: async () => txnLog,
      producerIds: await ProducerIdManager.load(join(tmp.path, 'producer-ids.json')),
      partitions: wrap(
        new LogPartitionAccess({
          partition: (topic, index) => {
            const log = logs.get(`${topic}-${index}`);
            return log ? { log, leaderEpoch: 0 } : undefined;
          },
        }),
      ),
      offsetsPartitions: () => 1,
      logger: SILENT,
      now: () => clock.now,
    });
    await tc.startup();
    return tc;
  };
  const h: Harness = {
    tc: await make(),
    txnLog,
    clock,
    logs,
    dir: tmp.path,
    async restart() {
      await h.tc.shutdown();
      h.tc = await make();
      return h.tc;
    },
    async markers(topic, partition) {
      const log = logs.get(`${topic}-${partition}`)!;
      const out: { committed: boolean; producerId: number; epoch: number }[] = [];
      const r = await log.read(0, 1 << 20, log.highWatermark, true);
      for (const b of decodeRecordBatches(r.records)) {
        if (b.control) out.push({ committed: b.records[0]!.key!.readInt16BE(2) === 1, producerId: b.producerId, epoch: b.producerEpoch });
      }
      return out;
    },
    async cleanup() {
      await h.tc.shutdown();
      for (const l of logs.values()) await l.close().catch(() => {});
      await tmp.cleanup();
    },
  };
  return h;
}

/** The shared waitFor, polling every 5 ms (these coordinators run on timers of a few ms). */
export const until = (cond: () => boolean, what = 'condition', timeoutMs = 5_000): Promise<void> => waitFor(cond, what, { timeoutMs, intervalMs: 5 });
