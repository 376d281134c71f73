// Group members for the consumer-group benchmark: @platformatic/kafka consumers speaking either
// the KIP-848 protocol (groupProtocol 'consumer', ConsumerGroupHeartbeat) or the classic one
// (JoinGroup/SyncGroup/Heartbeat), wrapped to record what each delivered and when, and which
// partitions each thinks it owns. All members run in this process (one event loop): what is
// measured is the group as one application sees it, client work included.
import { performance } from 'node:perf_hooks';
import { Consumer, type MessagesStream } from '@platformatic/kafka';

export type GroupProtocol = 'consumer' | 'classic';

export interface MemberOptions {
  bootstrap: string;
  groupId: string;
  topic: string;
  protocol: GroupProtocol;
  /** Classic protocol only: the client's heartbeat interval (KIP-848 members use the broker's). */
  classicHeartbeatMs: number;
  /** Commit interval (autocommit), ms. */
  autocommitMs: number;
  clientId: string;
}

export class BenchMember {
  delivered = 0;
  /** performance.now() of the last delivery per partition. */
  readonly lastDelivery = new Map<number, number>();
  /** Called for every record: partition, offset, receive time (performance.now()). */
  onRecord: ((partition: number, offset: number, at: number) => void) | null = null;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  readonly errors: string[] = [];

  private constructor(
    readonly consumer: Consumer,
    readonly id: string,
    private readonly topic: string,
  ) {}

  /** `onRecord` is in place before the first delivery. */
  static async start(o: MemberOptions, onRecord: BenchMember['onRecord'] = null): Promise<BenchMember> {
    const common = { clientId: o.clientId, groupId: o.groupId, bootstrapBrokers: [o.bootstrap], maxWaitTime: 200, retries: 20, retryDelay: 100 };
    const consumer =
      o.protocol === 'consumer'
        ? new Consumer({ ...common, groupProtocol: 'consumer' })
        : new Consumer({ ...common, sessionTimeout: 45_000, rebalanceTimeout: 60_000, heartbeatInterval: o.classicHeartbeatMs });
    const m = new BenchMember(consumer, o.clientId, o.topic);
    m.onRecord = onRecord;
    const stream = await consumer.consume({ topics: [o.topic], mode: 'committed', fallbackMode: 'earliest', autocommit: o.autocommitMs, maxWaitTime: 200 });
    m.stream = stream;
    stream.on('data', (msg) => {
      const at = performance.now();
      m.delivered++;
      m.lastDelivery.set(msg.partition, at);
      m.onRecord?.(msg.partition, Number(msg.offset), at);
    });
    stream.on('error', (err: Error) => m.errors.push(err.message.split('\n')[0]!));
    consumer.on('error', (err: Error) => m.errors.push(err.message.split('\n')[0]!));
    return m;
  }

  /** Partitions of the benchmark topic this member currently believes it owns. */
  partitions(): number[] {
    return (this.consumer.assignments ?? [])
      .filter((a) => a.topic === this.topic)
      .flatMap((a) => a.partitions)
      .sort((a, b) => a - b);
  }

  /** Leaves the group (the client's LeaveGroup / heartbeat with epoch -1) and closes. */
  async stop(): Promise<void> {
    await this.stream?.close().catch(() => undefined);
    await this.consumer.close().catch(() => undefined);
  }
}

/** True when the members' assignments cover 0..n-1 exactly once and every member has something. */
export function fullyAssigned(members: BenchMember[], partitions: number): boolean {
  const all = members.flatMap((m) => m.partitions());
  if (all.length !== partitions || new Set(all).size !== partitions) return false;
  return members.every((m) => m.partitions().length > 0);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` every 5 ms; resolves with performance.now() when it holds, or null after `timeoutMs`. */
export async function when(cond: () => boolean, timeoutMs: number): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (cond()) return performance.now();
    await sleep(5);
  }
  return null;
}
