// Broker memory after large-batch produce (issue 14), several broker variants in the same run.
//
//   npx tsx bench/memory/produce-rss.ts [--variant 'name;semi=16;env=K=V;root=DIR;flag=--x'] ...
//                                       [--rounds 2] [--sizes 1MiB,256KiB] [--acks 1]
//                                       [--warmup-ms 1000] [--measure-ms 4000] [--idle-ms 6000]
//                                       [--probe] [--trim]
//
// Each variant is one broker process (bin/tributary.js start, temp log dir) with its own node
// flags (`semi`: --max-semi-space-size in MiB; none by default, i.e. Node's 16 MiB, as users run it),
// environment (`env`, repeatable) and checkout (`root`). Per round, variants in alternating
// order, per batch size: the generator's closed-loop produce (bench/scenarios/produce-throughput:
// 2 connections, 4 partitions, 5 in flight) for warmup + measure, then the broker idles for
// `idle-ms`. RSS is sampled every 100 ms from /proc: peak during the scenario, at its end, and
// after 1, 3 and `idle-ms` of idle. With --probe, each broker also loads mem-probe.mjs and the
// report adds process.memoryUsage() (heap, external, arrayBuffers), the frame pool's free bytes
// and the anonymous RSS at the same moments. Results: bench/results/produce-rss-latest.json.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchConnection } from '../load-generator.js';
import { createTopics, waitForLeaders } from '../lib/kafka-calls.js';
import { sleep } from '../lib/meter.js';
import { REPO_ROOT, startBroker, type Target } from '../lib/targets.js';
import { runProduceThroughput } from '../scenarios/produce-throughput.js';

const { values: args } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '2' },
    sizes: { type: 'string', default: '1MiB,256KiB' },
    acks: { type: 'string', default: '1' },
    'warmup-ms': { type: 'string', default: '1000' },
    'measure-ms': { type: 'string', default: '4000' },
    'idle-ms': { type: 'string', default: '6000' },
    probe: { type: 'boolean', default: false },
    trim: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(REPO_ROOT, 'bench', 'results', 'produce-rss-latest.json') },
  },
});

interface Variant {
  name: string;
  semi?: number;
  env: Record<string, string>;
  flags: string[];
  root?: string;
}

function parseVariant(spec: string): Variant {
  const [name, ...parts] = spec.split(';');
  const v: Variant = { name: name!, env: {}, flags: [] };
  for (const p of parts) {
    const k = p.slice(0, p.indexOf('='));
    const val = p.slice(p.indexOf('=') + 1);
    if (k === 'semi') v.semi = Number(val);
    else if (k === 'env') v.env[val.slice(0, val.indexOf('='))] = val.slice(val.indexOf('=') + 1);
    else if (k === 'root') v.root = val;
    else if (k === 'flag') v.flags.push(val);
    else throw new Error(`unknown variant key ${k} in ${spec}`);
  }
  return v;
}

const variants = (args.variant!.length ? args.variant! : ['current']).map(parseVariant);
const sizes = args.sizes!.split(',').map((s) => {
  const m = /^(\d+)(KiB|MiB)$/.exec(s);
  if (!m) throw new Error(`size ${s}: use e.g. 256KiB or 1MiB`);
  return { name: s, bytes: Number(m[1]) * (m[2] === 'MiB' ? 1024 * 1024 : 1024) };
});
const acksList = args.acks!.split(',').map(Number);
const rounds = Number(args.rounds);
const warmupMs = Number(args['warmup-ms']);
const measureMs = Number(args['measure-ms']);
const idleMs = Number(args['idle-ms']);
const MiB = 1024 * 1024;
const workDir = mkdtempSync(path.join(os.tmpdir(), 'tributary-rss-'));
const probeScript = path.join(REPO_ROOT, 'bench', 'memory', 'mem-probe.mjs');

function procStatus(pid: number, key: string): number {
  try {
    const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The probe's last line (process.memoryUsage etc.), if the broker runs it. */
function probeLine(file: string): Record<string, number> | null {
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]!) as Record<string, number>;
  } catch {
    return null;
  }
}

const mib = (n: number | undefined): number | null => (n === undefined || Number.isNaN(n) ? null : Math.round(n / MiB));

interface Sample {
  rssMiB: number | null;
  probe?: Record<string, number | null>;
}

function sample(t: Target, probeFile: string): Sample {
  const s: Sample = { rssMiB: mib(procStatus(t.pid, 'VmRSS')) };
  const p = args.probe ? probeLine(probeFile) : null;
  if (p) {
    s.probe = {
      heapTotal: mib(p.heapTotal),
      external: mib(p.external),
      arrayBuffers: mib(p.arrayBuffers),
      newSpace: mib(p.newSpace),
      anon: mib(p.anon),
      poolFree: mib(p.poolFree),
    };
  }
  return s;
}

interface Row {
  variant: string;
  round: number;
  size: string;
  acks: number;
  mibPerSec: number;
  cpuPct: number;
  errors: Record<string, number>;
  peakRssMiB: number;
  end: Sample;
  idle1s: Sample;
  idle3s: Sample;
  idleEnd: Sample;
  /** --trim: after glibc's malloc_trim(0), called in the broker through gdb (diagnosis only). */
  afterTrim?: Sample;
}

/** Calls malloc_trim(0) inside `pid` (gdb attaches for a moment); false when gdb is missing. */
function mallocTrim(pid: number): boolean {
  try {
    execFileSync('gdb', ['-p', String(pid), '-batch', '-ex', 'call (int) malloc_trim(0)'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

const rows: Row[] = [];
const brokers = new Map<string, { t: Target; probeFile: string }>();

async function main(): Promise<void> {
  for (const v of variants) {
    // Kept after the run (the whole time series, for a closer look).
    const probeFile = path.join(os.tmpdir(), `tributary-rss-${process.pid}-${v.name}.probe.jsonl`);
    const env = { ...v.env };
    if (args.probe) {
      env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${probeScript}`.trim();
      env.TRIBUTARY_MEM_PROBE = probeFile;
    }
    const t = await startBroker({
      logDir: path.join(workDir, `${v.name}-data`),
      logFile: path.join(workDir, `${v.name}.log`),
      overrides: [],
      env,
      nodeFlags: [...(v.semi !== undefined ? [`--max-semi-space-size=${v.semi}`] : []), ...v.flags],
      root: v.root,
    });
    brokers.set(v.name, { t, probeFile });
    console.log(`${v.name}: pid ${t.pid}, RSS after start ${mib(t.rssBytes())} MiB`);
  }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const size of sizes) {
      for (const acks of acksList) {
        for (const v of order) {
          const { t, probeFile } = brokers.get(v.name)!;
          const topic = `rss-${size.name}-acks${acks === -1 ? 'all' : acks}`;
          const setup = await BenchConnection.connect(t.host, t.port, 'bench-setup');
          try {
            await createTopics(setup, [{ name: topic, partitions: 4 }]);
            await waitForLeaders(setup, [{ name: topic, partitions: 4 }]);
          } finally {
            setup.close();
          }
          let peak = 0;
          const timer = setInterval(() => (peak = Math.max(peak, procStatus(t.pid, 'VmRSS'))), 100);
          const res = await runProduceThroughput(t, { topic, partitions: 4, connections: 2, batchBytes: size.bytes, acks, inflight: 5, warmupMs, measureMs });
          clearInterval(timer);
          const end = sample(t, probeFile);
          await sleep(1000);
          const idle1s = sample(t, probeFile);
          await sleep(2000);
          const idle3s = sample(t, probeFile);
          await sleep(Math.max(0, idleMs - 3000));
          const idleEnd = sample(t, probeFile);
          let afterTrim: Sample | undefined;
          if (args.trim && mallocTrim(t.pid)) {
            await sleep(300);
            afterTrim = sample(t, probeFile);
          }
          const row: Row = {
            variant: v.name,
            round: round + 1,
            size: size.name,
            acks,
            mibPerSec: Math.round(res.throughput.mibPerSec * 10) / 10,
            cpuPct: Math.round(res.cpu.targetPct),
            errors: res.errors,
            peakRssMiB: mib(peak)!,
            end,
            idle1s,
            idle3s,
            idleEnd,
            afterTrim,
          };
          rows.push(row);
          const pr = (s: Sample) => `${s.rssMiB}${s.probe ? ` [ext ${s.probe.external} ab ${s.probe.arrayBuffers} heap ${s.probe.heapTotal} anon ${s.probe.anon} pool ${s.probe.poolFree}]` : ''}`;
          console.log(
            `r${round + 1} ${size.name} acks=${acks} ${v.name}: ${row.mibPerSec} MiB/s, CPU ${row.cpuPct} %, other ${res.cpu.otherLoadCores.toFixed(1)} cores, RSS peak ${row.peakRssMiB}, end ${pr(end)}, +1s ${pr(idle1s)}, +3s ${pr(idle3s)}, +${idleMs / 1000}s ${pr(idleEnd)}${afterTrim ? `, malloc_trim ${pr(afterTrim)}` : ''}${Object.keys(res.errors).length ? ` errors ${JSON.stringify(res.errors)}` : ''}`,
          );
        }
      }
    }
  }
}

try {
  await main();
} finally {
  for (const { t } of brokers.values()) await t.stop().catch(() => {});
  writeFileSync(args.out!, `${JSON.stringify({ date: new Date().toISOString(), loadavg: os.loadavg(), variants, rows }, null, 2)}\n`);
  console.log(`results: ${path.relative(REPO_ROOT, args.out!)}`);
  if (args.probe) for (const { probeFile } of brokers.values()) console.log(`probe: ${probeFile}`);
  rmSync(workDir, { recursive: true, force: true });
}
