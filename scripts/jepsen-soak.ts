// Long run of the Jepsen-style failover workload (test/cluster/jepsen-workload.ts): three broker
// processes over a real etcd, RF 3 min.insync.replicas=2, acks=all producers (idempotent and not)
// and a transactional one, the leader of the busiest partition kill -9'd and restarted N times;
// then everything is read back and checked. Exit 0 when no violation was found.
//
//   npx tsx scripts/jepsen-soak.ts --cycles 100 [--no-txn] [--json out.json]
import fs from 'node:fs';
import { summarize } from '../test/cluster/jepsen-checker.js';
import { runWorkload } from '../test/cluster/jepsen-workload.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const cycles = Number(arg('--cycles') ?? 50);
if (!Number.isInteger(cycles) || cycles < 1) {
  console.error('--cycles N: a positive integer');
  process.exit(2);
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

const report = await runWorkload({ cycles, transactions: !process.argv.includes('--no-txn'), log: (m) => console.log(m) });
const figures = {
  cycles: report.cycles.length,
  durationS: Math.round(report.durationMs / 1000),
  acked: report.acked,
  failedSends: report.failedSends,
  sendErrors: report.result.ok ? undefined : report.sendErrors,
  reads: report.reads,
  txns: report.txns,
  abortedSeenUncommitted: report.abortedSeenUncommitted,
  divergence: report.divergence.length > 0 ? report.divergence : undefined,
  committedMissingUncommitted: report.committedMissingUncommitted.length > 0 ? report.committedMissingUncommitted : undefined,
  electionMs: { p50: pct(report.cycles.map((c) => c.electionMs), 50), p99: pct(report.cycles.map((c) => c.electionMs), 99) },
  failoverToAckMs: { p50: pct(report.cycles.map((c) => c.firstAckMs), 50), p99: pct(report.cycles.map((c) => c.firstAckMs), 99) },
  startMs: { p50: pct(report.cycles.map((c) => c.startMs ?? -1), 50), p99: pct(report.cycles.map((c) => c.startMs ?? -1), 99) },
  rejoinMs: { p50: pct(report.cycles.map((c) => c.rejoinMs), 50), p99: pct(report.cycles.map((c) => c.rejoinMs), 99) },
  victims: report.cycles.reduce<Record<number, number>>((m, c) => ((m[c.victim] = (m[c.victim] ?? 0) + 1), m), {}),
};
console.log(JSON.stringify(figures, null, 2));
console.log(summarize(report.result));
// With transactions on, a run in which none completed checked nothing about them: a failure.
const txnsChecked = process.argv.includes('--no-txn') || report.txns.committed + report.txns.aborted > 0;
if (!txnsChecked) console.log(`no transaction completed; the transactional producer's first errors:\n${report.txnErrors.join('\n')}`);
const out = arg('--json');
if (out) fs.writeFileSync(out, JSON.stringify({ figures, result: report.result, txnErrors: report.txnErrors }, null, 2));
process.exit(report.result.ok && report.divergence.length === 0 && txnsChecked ? 0 : 1);
