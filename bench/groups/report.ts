// The consumer-group benchmark's JSON shape and its Markdown tables (also used for bench/README.md:
// `npx tsx bench/groups/report.ts bench/results/groups-latest.json` re-prints them).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RebalanceResult } from './rebalance.js';
import type { GroupThroughputResult } from './throughput.js';

export interface GroupsReport {
  meta: Record<string, unknown>;
  throughput: GroupThroughputResult[];
  rebalance: (RebalanceResult & { profile: string; brokerHeartbeatMs: number })[];
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toLocaleString('en-US'));

export function renderGroupsReport(r: GroupsReport): string {
  const out: string[] = [];
  out.push('| protocol | consumers | records/s (settled group) | MiB/s | first record / settled after ms | read before settled | duplicates | records per member | broker CPU% | errors |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const t of r.throughput) {
    out.push(
      `| ${t.protocol} | ${t.consumers} | ${fmt(t.recordsPerSec)} | ${fmt(t.mibPerSec)} | ${fmt(t.firstRecordMs)} / ${fmt(t.settledMs)} | ${fmt(t.readBeforeSettled)} | ${fmt(t.duplicates)} | ${t.perMember.map(fmt).join(' / ')} | ${fmt(t.brokerCpuPct)} | ${t.completed ? '' : 'incomplete; '}${t.errors.join('; ')} |`,
    );
  }
  out.push('');
  out.push('| protocol | heartbeat interval ms | event | all assigned ms, median / max | consuming again ms, median / max | longest partition stall ms, median / max | cycles | errors |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const mm = (x: { median: number; max: number } | null) => (x === null ? 'timed out' : `${fmt(x.median)} / ${fmt(x.max)}`);
  for (const b of r.rebalance) {
    const hb = b.protocol === 'consumer' ? `${b.brokerHeartbeatMs} (broker)` : `${b.classicHeartbeatMs} (client)`;
    for (const e of b.summary) out.push(`| ${b.protocol} | ${hb} | ${e.event} | ${mm(e.assignedMs)} | ${mm(e.resumedMs)} | ${mm(e.maxStallMs)} | ${e.samples} | ${b.errors.join('; ')} |`);
  }
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(renderGroupsReport(JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as GroupsReport));
}
