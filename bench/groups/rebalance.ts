// Rebalance time: a group of two members consumes a topic that a producer keeps writing to
// (every partition gets a record every few ms); then a third member joins, and later leaves,
// `cycles` times (a new member each time). For each event, measured from the event (the join
// call / the leave call):
//
//   assigned  the members' own views of their assignments cover every partition exactly once,
//             with every member owning something
//   resumed   after that, every partition has delivered a record to the member that owns it
//   max stall the longest gap between two deliveries of one partition around the event (how
//             long consumption of some partition stopped; about 4 ms when nothing happens)
import { performance } from 'node:perf_hooks';
import { Producer } from '@platformatic/kafka';
import { BenchMember, fullyAssigned, sleep, when, type GroupProtocol } from './members.js';

export interface RebalanceParams {
  bootstrap: string;
  topic: string;
  partitions: number;
  protocol: GroupProtocol;
  classicHeartbeatMs: number;
  /** Records per second across all partitions. */
  produceRate: number;
  /** Join/leave cycles: the heartbeat phase at the event makes single samples noisy. */
  cycles: number;
  timeoutMs: number;
}

export interface RebalanceEvent {
  event: 'join' | 'leave';
  assignedMs: number | null;
  resumedMs: number | null;
  maxStallMs: number | null;
}

export interface RebalanceSummary {
  event: 'join' | 'leave';
  samples: number;
  /** Median and worst over the cycles (null if some cycle timed out). */
  assignedMs: { median: number; max: number } | null;
  resumedMs: { median: number; max: number } | null;
  maxStallMs: { median: number; max: number } | null;
}

export interface RebalanceResult {
  protocol: GroupProtocol;
  classicHeartbeatMs: number;
  events: RebalanceEvent[];
  summary: RebalanceSummary[];
  errors: string[];
}

function medianMax(values: (number | null)[]): { median: number; max: number } | null {
  if (values.length === 0 || values.some((v) => v === null)) return null;
  const v = (values as number[]).slice().sort((a, b) => a - b);
  return { median: v[Math.floor((v.length - 1) / 2)]!, max: v[v.length - 1]! };
}

export function summarize(events: RebalanceEvent[]): RebalanceSummary[] {
  return (['join', 'leave'] as const).map((event) => {
    const e = events.filter((x) => x.event === event);
    return { event, samples: e.length, assignedMs: medianMax(e.map((x) => x.assignedMs)), resumedMs: medianMax(e.map((x) => x.resumedMs)), maxStallMs: medianMax(e.map((x) => x.maxStallMs)) };
  });
}

/** Tracks per-partition delivery gaps from `since` on. */
class StallMeter {
  private readonly last = new Map<number, number>();
  since = Infinity;
  until = Infinity;
  maxGap = 0;

  record(partition: number, at: number): void {
    const prev = this.last.get(partition);
    this.last.set(partition, at);
    if (prev !== undefined && at >= this.since && prev <= this.until) this.maxGap = Math.max(this.maxGap, at - prev);
  }

  begin(at: number): void {
    this.since = at;
    this.until = Infinity;
    this.maxGap = 0;
  }

  /** Closes the window; a partition still silent counts up to `at`. */
  end(at: number, partitions: number): number {
    this.until = at;
    for (let p = 0; p < partitions; p++) this.maxGap = Math.max(this.maxGap, at - Math.max(this.last.get(p) ?? this.since, this.since));
    return this.maxGap;
  }
}

export async function runRebalance(o: RebalanceParams, groupId: string): Promise<RebalanceResult> {
  const producer = new Producer({ clientId: 'bench-groups-producer', bootstrapBrokers: [o.bootstrap], acks: 1, idempotent: false, autocreateTopics: false });
  const value = Buffer.alloc(64, 7);
  let producing = true;
  const perTick = Math.max(1, Math.round((o.produceRate / 1000) * 10 / o.partitions));
  const produceLoop = (async () => {
    while (producing) {
      const t = performance.now();
      const messages = [];
      for (let p = 0; p < o.partitions; p++) for (let i = 0; i < perTick; i++) messages.push({ topic: o.topic, partition: p, value });
      await producer.send({ messages }).catch(() => undefined);
      await sleep(Math.max(0, 10 - (performance.now() - t)));
    }
  })();

  const stalls = new StallMeter();
  const start = (i: number) =>
    BenchMember.start(
      { bootstrap: o.bootstrap, groupId, topic: o.topic, protocol: o.protocol, classicHeartbeatMs: o.classicHeartbeatMs, autocommitMs: 1000, clientId: `bench-rebalance-${i}` },
      (partition, _offset, at) => stalls.record(partition, at),
    );
  /** Every partition delivered, after `since`, a record to the member that now owns it. */
  const resumedAfter = (members: BenchMember[], since: number) => () =>
    Array.from({ length: o.partitions }, (_, p) => p).every((p) => {
      const owner = members.find((m) => m.partitions().includes(p));
      return owner !== undefined && (owner.lastDelivery.get(p) ?? 0) > since;
    });

  const events: RebalanceEvent[] = [];
  const members: BenchMember[] = [];
  try {
    members.push(await start(0), await start(1));
    const settled = await when(() => fullyAssigned(members, o.partitions), o.timeoutMs);
    if (settled === null) throw new Error('the first two members never split the partitions');
    await when(resumedAfter(members, settled), o.timeoutMs);
    await sleep(2000);

    const plan = Array.from({ length: o.cycles }, () => ['join', 'leave'] as const).flat();
    for (const [i, event] of plan.entries()) {
      const t0 = performance.now();
      stalls.begin(t0);
      if (event === 'join') members.push(await start(2 + i));
      else await members.pop()!.stop();
      const assigned = await when(() => fullyAssigned(members, o.partitions), o.timeoutMs);
      const resumed = assigned === null ? null : await when(resumedAfter(members, assigned), o.timeoutMs);
      const maxStall = stalls.end(resumed ?? performance.now(), o.partitions);
      events.push({
        event,
        assignedMs: assigned === null ? null : Math.round(assigned - t0),
        resumedMs: resumed === null ? null : Math.round(resumed - t0),
        maxStallMs: resumed === null ? null : Math.round(maxStall),
      });
      await sleep(2000);
    }
  } finally {
    producing = false;
    await produceLoop;
    await producer.close().catch(() => undefined);
    await Promise.all(members.map((m) => m.stop()));
  }
  return { protocol: o.protocol, classicHeartbeatMs: o.classicHeartbeatMs, events, summary: summarize(events), errors: [...new Set(members.flatMap((m) => m.errors))].slice(0, 5) };
}
