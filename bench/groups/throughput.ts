// Group consumption throughput: N members of one fresh group read a pre-produced topic to the
// end. The rate is taken from the moment the group is settled (every member owns partitions,
// none twice, as the members see it) to the last distinct record: what the group sustains once
// formed. Before that, early members may already read (KIP-848 hands partitions to the first
// member at once and moves them as others arrive); the time to settle and what was read by
// then are reported too, as are duplicates (records delivered twice because a partition moved
// before its offset was committed) and the broker's CPU over the run.
import { performance } from 'node:perf_hooks';
import type { Target } from '../lib/targets.js';
import { BenchMember, fullyAssigned, sleep, type GroupProtocol } from './members.js';

export interface GroupThroughputParams {
  bootstrap: string;
  topic: string;
  partitions: number;
  recordsPerPartition: number;
  recordBytes: number;
  protocol: GroupProtocol;
  consumers: number;
  classicHeartbeatMs: number;
  timeoutMs: number;
}

export interface GroupThroughputResult {
  protocol: GroupProtocol;
  consumers: number;
  records: number;
  /** From starting the members to the group's first delivered record (join + first fetch). */
  firstRecordMs: number | null;
  /** From starting the members to the group being settled. */
  settledMs: number | null;
  /** Distinct records delivered before the group settled (not in the rate). */
  readBeforeSettled: number;
  /** Settled to last distinct record. */
  consumeSeconds: number | null;
  recordsPerSec: number | null;
  mibPerSec: number | null;
  duplicates: number;
  /** Distinct records each member delivered. */
  perMember: number[];
  brokerCpuPct: number | null;
  completed: boolean;
  errors: string[];
}

export async function runGroupThroughput(target: Target, o: GroupThroughputParams, groupId: string): Promise<GroupThroughputResult> {
  const total = o.partitions * o.recordsPerPartition;
  const seen = Array.from({ length: o.partitions }, () => new Uint8Array(o.recordsPerPartition));
  let distinct = 0;
  let duplicates = 0;
  let first: number | null = null;
  let last: number | null = null;
  const cpu0 = target.cpuSeconds();
  const t0 = performance.now();
  const perMember = Array.from({ length: o.consumers }, () => 0);
  // The topic holds exactly these records, so (partition, offset) identifies each one.
  const onRecord = (member: number) => (partition: number, offset: number, at: number) => {
    first ??= at;
    const bits = seen[partition];
    if (!bits || offset < 0 || offset >= bits.length) return;
    if (bits[offset]) {
      duplicates++;
      return;
    }
    bits[offset] = 1;
    distinct++;
    perMember[member]!++;
    if (distinct === total) last = at;
  };
  const members = await Promise.all(
    Array.from({ length: o.consumers }, (_, i) =>
      BenchMember.start({ bootstrap: o.bootstrap, groupId, topic: o.topic, protocol: o.protocol, classicHeartbeatMs: o.classicHeartbeatMs, autocommitMs: 1000, clientId: `bench-${o.protocol}-${i}` }, onRecord(i)),
    ),
  );
  const deadline = t0 + o.timeoutMs;
  let settled: number | null = null;
  let readBeforeSettled = 0;
  while (distinct < total && performance.now() < deadline) {
    if (settled === null && fullyAssigned(members, o.partitions)) {
      settled = performance.now();
      readBeforeSettled = distinct;
    }
    await sleep(settled === null ? 2 : 20);
  }
  const t1 = performance.now();
  const cpu1 = target.cpuSeconds();
  const errors = [...new Set(members.flatMap((m) => m.errors))].slice(0, 5);
  await Promise.all(members.map((m) => m.stop()));
  const consumeSeconds = settled !== null && last !== null && last > settled ? (last - settled) / 1000 : null;
  const counted = total - readBeforeSettled;
  return {
    protocol: o.protocol,
    consumers: o.consumers,
    records: total,
    firstRecordMs: first !== null ? Math.round(first - t0) : null,
    settledMs: settled !== null ? Math.round(settled - t0) : null,
    readBeforeSettled,
    consumeSeconds,
    recordsPerSec: consumeSeconds ? Math.round(counted / consumeSeconds) : null,
    mibPerSec: consumeSeconds ? Number(((counted * o.recordBytes) / consumeSeconds / 1048576).toFixed(1)) : null,
    duplicates,
    perMember,
    brokerCpuPct: Number.isFinite(cpu1 - cpu0) ? Math.round(((cpu1 - cpu0) / ((t1 - t0) / 1000)) * 100) : null,
    completed: distinct === total,
    errors,
  };
}
