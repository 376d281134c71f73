// Results: the JSON document written to bench/results/, ratios, and the printed tables
// (the same markdown tables go into bench/README.md).
import type { RunFigures } from './lib/meter.js';
import type { TargetName } from './lib/targets.js';

export type ScenarioKind = 'produce' | 'fetch' | 'latency' | 'e2e' | 'client';

export type Outcome = RunFigures | { failed: string };

export interface ScenarioRecord {
  id: string;
  title: string;
  kind: ScenarioKind;
  params: Record<string, unknown>;
  /** Per target: the combined figures (best round / merged rounds, see lib/rounds.ts). */
  results: Partial<Record<TargetName, Outcome>>;
  /** Per target: every round, in the order run. */
  rounds: Partial<Record<TargetName, RunFigures[]>>;
  /**
   * broker / null: MiB/s for throughput kinds, p50/p99/p999 for latency kinds; with Kafka as a
   * target also broker / kafka as vsKafkaMibPerSec, vsKafkaP50, vsKafkaP99, vsKafkaCpuPerGiB.
   */
  ratio: Record<string, number>;
}

export interface BenchReport {
  meta: Record<string, unknown>;
  scenarios: ScenarioRecord[];
  /** Things the broker did that looked wrong (errors, stalls, crashes). */
  issues: string[];
  aims: { text: string; met: boolean | null }[];
}

export function ok(o: Outcome | undefined): o is RunFigures {
  return o !== undefined && !('failed' in o);
}

/** Target CPU seconds per GiB moved (produce: acknowledged, fetch: returned). */
export function cpuSecondsPerGiB(o: RunFigures): number {
  return o.cpu.targetPct / 100 / (o.throughput.mibPerSec / 1024);
}

export function computeRatio(s: ScenarioRecord): void {
  const n = s.results.null;
  const b = s.results.broker;
  const k = s.results.kafka;
  if (ok(b) && ok(k)) {
    if (s.kind === 'latency' || s.kind === 'e2e') {
      s.ratio.vsKafkaP50 = b.latency.p50Us / k.latency.p50Us;
      s.ratio.vsKafkaP99 = b.latency.p99Us / k.latency.p99Us;
      s.ratio.vsKafkaCpuPct = b.cpu.targetPct / k.cpu.targetPct;
    } else {
      s.ratio.vsKafkaMibPerSec = b.throughput.mibPerSec / k.throughput.mibPerSec;
      s.ratio.vsKafkaCpuPerGiB = cpuSecondsPerGiB(b) / cpuSecondsPerGiB(k);
    }
  }
  const bt = s.results['broker-tuned'];
  const kt = s.results['kafka-tuned'];
  if (ok(bt) && ok(kt)) {
    if (s.kind === 'latency' || s.kind === 'e2e') {
      s.ratio.tunedVsKafkaP50 = bt.latency.p50Us / kt.latency.p50Us;
      s.ratio.tunedVsKafkaP99 = bt.latency.p99Us / kt.latency.p99Us;
    } else {
      s.ratio.tunedVsKafkaMibPerSec = bt.throughput.mibPerSec / kt.throughput.mibPerSec;
    }
  }
  if (!ok(n) || !ok(b)) return;
  if (s.kind === 'latency' || s.kind === 'e2e') {
    s.ratio.p50 = b.latency.p50Us / n.latency.p50Us;
    s.ratio.p99 = b.latency.p99Us / n.latency.p99Us;
    s.ratio.p999 = b.latency.p999Us / n.latency.p999Us;
  } else {
    s.ratio.mibPerSec = b.throughput.mibPerSec / n.throughput.mibPerSec;
  }
}

const f1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '-');
const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '-');
const ms = (us: number): string => (Number.isFinite(us) ? (us / 1000).toFixed(us < 10_000 ? 2 : 1) : '-');
const int = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');

function errorsOf(o: Outcome | undefined): string {
  if (o === undefined) return 'not run';
  if (!ok(o)) return `FAILED: ${o.failed.split('\n')[0]}`;
  const e = Object.entries(o.errors);
  return e.length === 0 ? '' : e.map(([k, v]) => `${k} x${v}`).join(', ');
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function throughputTable(r: BenchReport): string {
  const rows = r.scenarios
    .filter((s) => s.kind === 'produce' || s.kind === 'fetch' || s.kind === 'client')
    .map((s) => {
      const n = s.results.null;
      const b = s.results.broker;
      return [
        s.title,
        ok(n) ? f1(n.throughput.mibPerSec) : '-',
        ok(b) ? f1(b.throughput.mibPerSec) : '-',
        s.ratio.mibPerSec !== undefined ? f2(s.ratio.mibPerSec) : '-',
        ok(b) ? int(b.throughput.recordsPerSec) : '-',
        ok(b) ? `${ms(b.latency.p50Us)} / ${ms(b.latency.p99Us)}` : '-',
        ok(b) ? `${Math.round(b.cpu.targetPct)} / ${Math.round(b.cpu.generatorPct)}` : '-',
        [n, b].map((o) => (ok(o) ? o.cpu.otherLoadCores.toFixed(1) : '-')).join(' / '),
        [errorsOf(n) && `null: ${errorsOf(n)}`, errorsOf(b) && `broker: ${errorsOf(b)}`].filter(Boolean).join('; '),
      ];
    });
  return table(
    ['scenario', 'null MiB/s', 'broker MiB/s', 'broker/null', 'broker records/s', 'broker req p50 / p99 ms', 'CPU% broker / gen', 'other load, cores (null / broker)', 'errors'],
    rows,
  );
}

export function latencyTable(r: BenchReport): string {
  const rows = r.scenarios
    .filter((s) => s.kind === 'latency' || s.kind === 'e2e')
    .map((s) => {
      const n = s.results.null;
      const b = s.results.broker;
      const triple = (o: Outcome | undefined): string =>
        ok(o) ? `${ms(o.latency.p50Us)} / ${ms(o.latency.p99Us)} / ${ms(o.latency.p999Us)}` : '-';
      const rate = ok(b) ? b.extra.targetMiBPerSec ?? '' : ok(n) ? n.extra.targetMiBPerSec ?? '' : '';
      return [
        s.title,
        String(s.params.rate ?? '') + (rate !== '' ? ` (${rate} MiB/s)` : ''),
        triple(n),
        triple(b),
        s.ratio.p99 !== undefined ? `${f1(s.ratio.p50!)} / ${f1(s.ratio.p99)} / ${f1(s.ratio.p999!)}` : '-',
        ok(b) ? String(b.latency.count) : '-',
        [n, b].map((o) => (ok(o) ? o.cpu.generatorLoopDelayP99Ms.toFixed(1) : '-')).join(' / '),
        [n, b].map((o) => (ok(o) ? o.cpu.otherLoadCores.toFixed(1) : '-')).join(' / '),
        [errorsOf(n) && `null: ${errorsOf(n)}`, errorsOf(b) && `broker: ${errorsOf(b)}`].filter(Boolean).join('; '),
      ];
    });
  return table(['scenario', 'rate req/s', 'null p50 / p99 / p999 ms', 'broker p50 / p99 / p999 ms', 'ratio p50 / p99 / p999', 'samples', 'gen loop delay p99 ms (null / broker)', 'other load, cores (null / broker)', 'errors'], rows);
}

/** Tributary (the broker) against Apache Kafka, same generator, same rounds. */
export function vsKafkaTable(r: BenchReport): string {
  const rows = r.scenarios
    .filter((s) => s.results.kafka !== undefined)
    .map((s) => {
      const b = s.results.broker;
      const k = s.results.kafka;
      const lat = s.kind === 'latency' || s.kind === 'e2e';
      const main = (o: Outcome | undefined): string =>
        !ok(o) ? '-' : lat ? `${ms(o.latency.p50Us)} / ${ms(o.latency.p99Us)} ms` : `${f1(o.throughput.mibPerSec)} MiB/s`;
      const ratio = lat
        ? s.ratio.vsKafkaP50 !== undefined ? `${f2(s.ratio.vsKafkaP50)} / ${f2(s.ratio.vsKafkaP99!)}` : '-'
        : s.ratio.vsKafkaMibPerSec !== undefined ? f2(s.ratio.vsKafkaMibPerSec) : '-';
      const cpu = (o: Outcome | undefined): string => (!ok(o) ? '-' : lat ? `${Math.round(o.cpu.targetPct)} %` : `${f1(cpuSecondsPerGiB(o))} s`);
      return [
        s.title,
        main(b),
        main(k),
        ratio,
        `${cpu(b)} / ${cpu(k)}`,
        [b, k].map((o) => (ok(o) && o.extra.targetRssMiB !== undefined ? String(o.extra.targetRssMiB) : '-')).join(' / '),
        [b, k].map((o) => (ok(o) ? o.cpu.otherLoadCores.toFixed(1) : '-')).join(' / '),
        [errorsOf(b) && `tributary: ${errorsOf(b)}`, errorsOf(k) && `kafka: ${errorsOf(k)}`].filter(Boolean).join('; '),
      ];
    });
  return table(
    ['scenario', 'Tributary', 'Kafka', 'Tributary/Kafka (latency: p50 / p99)', 'CPU per GiB (latency: CPU%) T / K', 'RSS MiB after, T / K', 'other load, cores (T / K)', 'errors'],
    rows,
  );
}

/** Default and tuned rows of both brokers side by side (`--tuned`), same rounds. */
export function tunedTable(r: BenchReport): string {
  const rows = r.scenarios
    .filter((s) => s.results['kafka-tuned'] !== undefined)
    .map((s) => {
      const lat = s.kind === 'latency' || s.kind === 'e2e';
      const main = (o: Outcome | undefined): string =>
        !ok(o) ? '-' : lat ? `${ms(o.latency.p50Us)} / ${ms(o.latency.p99Us)} ms` : `${f1(o.throughput.mibPerSec)} MiB/s`;
      const cpu = (o: Outcome | undefined): string => (!ok(o) ? '-' : lat ? `${Math.round(o.cpu.targetPct)} %` : `${f1(cpuSecondsPerGiB(o))} s`);
      const b = s.results.broker;
      const bt = s.results['broker-tuned'];
      const k = s.results.kafka;
      const kt = s.results['kafka-tuned'];
      const ratio = lat
        ? s.ratio.tunedVsKafkaP50 !== undefined ? `${f2(s.ratio.tunedVsKafkaP50)} / ${f2(s.ratio.tunedVsKafkaP99!)}` : '-'
        : s.ratio.tunedVsKafkaMibPerSec !== undefined ? f2(s.ratio.tunedVsKafkaMibPerSec) : '-';
      return [
        s.title,
        main(b),
        main(bt),
        main(k),
        main(kt),
        ratio,
        `${cpu(bt)} / ${cpu(kt)}`,
        [bt, kt].map((o) => (ok(o) && o.extra.targetRssMiB !== undefined ? String(o.extra.targetRssMiB) : '-')).join(' / '),
        [b, bt, k, kt].map((o) => (ok(o) ? o.cpu.otherLoadCores.toFixed(1) : '-')).join(' / '),
        [errorsOf(bt) && `tributary tuned: ${errorsOf(bt)}`, errorsOf(kt) && `kafka tuned: ${errorsOf(kt)}`].filter(Boolean).join('; '),
      ];
    });
  return table(
    ['scenario', 'Tributary', 'Tributary tuned', 'Kafka', 'Kafka tuned', 'tuned T/K (latency: p50 / p99)', 'CPU per GiB (latency: CPU%), tuned T / K', 'RSS MiB after, tuned T / K', 'other load, cores (T / T tuned / K / K tuned)', 'errors'],
    rows,
  );
}

export function renderReport(r: BenchReport): string {
  const out = [throughputTable(r), '', latencyTable(r), ''];
  if (r.scenarios.some((s) => s.results.kafka !== undefined)) {
    out.push(vsKafkaTable(r), '');
    const st = r.meta.startMs as Record<string, number> | undefined;
    if (st?.broker !== undefined && st.kafka !== undefined) out.push(`start-up to first answer, ms: Tributary ${st.broker}, Kafka ${st.kafka} (incl. storage format)`, '');
  }
  if (r.scenarios.some((s) => s.results['kafka-tuned'] !== undefined)) out.push(tunedTable(r), `tuned settings: ${JSON.stringify(r.meta.tuned)}`, '');
  if (r.aims.length) {
    out.push('Aims:');
    for (const a of r.aims) out.push(`  [${a.met === null ? ' ? ' : a.met ? 'met' : 'MISSED'}] ${a.text}`);
    out.push('');
  }
  if (r.issues.length) {
    out.push('Issues seen during the run:');
    for (const i of r.issues) out.push(`  - ${i}`);
    out.push('');
  }
  return out.join('\n');
}
