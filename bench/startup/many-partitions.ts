// 1,000 partitions (issue 14): broker RSS under a trickle of traffic, and restart time after a
// clean shutdown with ~10 GiB of log across them.
//
//   npm run bench:partitions -- [--gib 10] [--partitions 1000] [--runs 3] [--trickle-s 15]
//                               [--data /tmp/tributary-bench-partitions] [--out bench/results/many-partitions.json]
//
// The data set is built once (a broker is spawned, the topic created, every partition filled
// with 1 MiB batches, then a SIGTERM clean shutdown) and kept in --data for later runs; the
// size is scaled down, and says so, when the disk has less than twice the room.
// Each run then alternates, so machine load hits both alike:
//   empty  - a broker on an empty data dir (the cost of starting node + the broker itself);
//   loaded - a broker on the data set (clean shutdown before), then a trickle: one 1 KiB record to
//            every partition per second (10 Produce requests of 100 partitions), sampling RSS.
// Reported per start: wall time from spawn to the "listening" line, the child's CPU time at that
// moment (from /proc: far steadier than wall time on this shared machine), RSS and open fds.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnBroker, type SpawnedBroker } from '../../test/helpers/spawned-broker.js';
import { BenchConnection } from '../load-generator.js';
import { createTopics, produceResponseErrors, waitForLeaders } from '../lib/kafka-calls.js';
import { buildBenchBatch, buildSeqBatch, encodeProduceBody, PRODUCE_VERSION } from '../lib/payloads.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : dflt;
};
const PARTITIONS = Number(opt('partitions', '1000'));
let gib = Number(opt('gib', '10'));
const RUNS = Number(opt('runs', '3'));
const TRICKLE_S = Number(opt('trickle-s', '15'));
const DATA = opt('data', path.join(os.tmpdir(), 'tributary-bench-partitions'));
const OUT = opt('out', 'bench/results/many-partitions.json');
const TOPIC = 'many';
const MiB = 1024 * 1024;

function procFigures(pid: number): { cpuMs: number; rssMiB: number; hwmMiB: number; fds: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return {
    cpuMs: (Number(stat[11]) + Number(stat[12])) * 10,
    rssMiB: Math.round(kb('VmRSS') / 102.4) / 10,
    hwmMiB: Math.round(kb('VmHWM') / 102.4) / 10,
    fds: fs.readdirSync(`/proc/${pid}/fd`).length,
  };
}

async function build(): Promise<void> {
  const marker = path.join(DATA, '.bench-built');
  if (fs.existsSync(marker)) {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8')) as { gib: number; partitions: number };
    if (m.partitions === PARTITIONS && m.gib === gib) return;
  }
  fs.rmSync(DATA, { recursive: true, force: true });
  fs.mkdirSync(DATA, { recursive: true });
  const freeGiB = Number(execFileSync('df', ['--output=avail', '-B1G', DATA]).toString().split('\n')[1]);
  if (freeGiB < 2 * gib + 5) {
    const scaled = Math.max(1, Math.floor((freeGiB - 5) / 2));
    console.log(`only ${freeGiB} GiB free: building ${scaled} GiB instead of ${gib}`);
    gib = scaled;
  }
  console.log(`building ${gib} GiB across ${PARTITIONS} partitions in ${DATA}`);
  const broker = await spawnBroker({ dataDir: DATA, startTimeoutMs: 120_000 });
  const conn = await BenchConnection.connect('127.0.0.1', broker.port);
  // Creating 1,000 partitions (a dir, metadata file and fsyncs each) can outlast the request
  // timeout on a loaded machine: the leaders' check below is what waits for it.
  await createTopics(conn, [{ name: TOPIC, partitions: PARTITIONS }]).catch((e: Error) => console.log(`CreateTopics: ${e.message}; waiting for leaders`));
  await waitForLeaders(conn, [{ name: TOPIC, partitions: PARTITIONS }], 600_000);
  const batch = buildBenchBatch(MiB).bytes;
  const perPartition = Math.ceil((gib * 1024 * MiB) / PARTITIONS / batch.length);
  const PER_REQ = 8;
  const bodies: Buffer[] = [];
  for (let p = 0; p < PARTITIONS; p += PER_REQ) {
    const parts = [];
    for (let q = p; q < Math.min(PARTITIONS, p + PER_REQ); q++) parts.push({ index: q, records: batch });
    bodies.push(encodeProduceBody(TOPIC, parts, 1));
  }
  const t0 = performance.now();
  const total = perPartition * bodies.length;
  let sent = 0;
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (sent < total && sent - done < 4) {
        const body = bodies[sent % bodies.length]!;
        sent++;
        conn.send(0, PRODUCE_VERSION, body, (r) => {
          const errs = produceResponseErrors(r);
          if (errs.length) return reject(new Error(`produce: ${errs.join(',')}`));
          done++;
          if (done % 200 === 0) process.stdout.write(`\r${((done / total) * 100).toFixed(0)} %`);
          if (done === total) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  console.log(`\nwrote ${((perPartition * PARTITIONS * batch.length) / 1024 / MiB).toFixed(2)} GiB in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  conn.close();
  await broker.stop('SIGTERM');
  fs.writeFileSync(marker, JSON.stringify({ gib, partitions: PARTITIONS }));
}

interface StartFigures {
  /** Spawn to the "ready" line (serving: logs and coordinators loaded). "listening" comes earlier, at bind. */
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
  fds: number;
  /** The log manager's own figure ("loaded log dir" ms). */
  logLoadMs: number;
}

async function start(dataDir: string): Promise<{ broker: SpawnedBroker; fig: StartFigures }> {
  const t0 = performance.now();
  const broker = await spawnBroker({ dataDir, startTimeoutMs: 300_000 });
  while (!/"msg":"ready"/.test(broker.logs())) {
    if (performance.now() - t0 > 300_000) throw new Error('no ready line within 300 s');
    await new Promise((r) => setTimeout(r, 10));
  }
  const wallMs = Math.round(performance.now() - t0);
  const p = procFigures(broker.pid);
  // The line's fields come before "msg" (a regex expecting msg first matched nothing: NaN in earlier results).
  const loadLine = broker.logs().split('\n').find((l) => l.includes('"msg":"loaded log dir"'));
  const loadMs = loadLine ? Number((JSON.parse(loadLine) as { ms?: number }).ms ?? NaN) : NaN;
  return { broker, fig: { wallMs, cpuMs: p.cpuMs, rssMiB: p.rssMiB, fds: p.fds, logLoadMs: loadMs } };
}

async function trickle(broker: SpawnedBroker): Promise<{ rssMiB: number[]; hwmMiB: number; fds: number; cpuMsPerS: number }> {
  const conn = await BenchConnection.connect('127.0.0.1', broker.port);
  const bodies: Buffer[] = [];
  for (let p = 0; p < PARTITIONS; p += 100) {
    const parts = [];
    for (let q = p; q < Math.min(PARTITIONS, p + 100); q++) parts.push({ index: q, records: buildSeqBatch(q) });
    bodies.push(encodeProduceBody(TOPIC, parts, -1));
  }
  const rss: number[] = [];
  const cpu0 = procFigures(broker.pid).cpuMs;
  for (let s = 0; s < TRICKLE_S; s++) {
    const tick = performance.now();
    await Promise.all(
      bodies.map(
        (b) =>
          new Promise<void>((resolve, reject) =>
            conn.send(0, PRODUCE_VERSION, b, (r) => {
              const errs = produceResponseErrors(r);
              if (errs.length) reject(new Error(`trickle produce: ${errs.join(',')}`));
              else resolve();
            }),
          ),
      ),
    );
    rss.push(procFigures(broker.pid).rssMiB);
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - tick))));
  }
  const end = procFigures(broker.pid);
  conn.close();
  return { rssMiB: rss, hwmMiB: end.hwmMiB, fds: end.fds, cpuMsPerS: Math.round((end.cpuMs - cpu0) / TRICKLE_S) };
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;

await build();
const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-empty-'));
const empty: StartFigures[] = [];
const loaded: StartFigures[] = [];
const trickles: Awaited<ReturnType<typeof trickle>>[] = [];
for (let i = 0; i < RUNS; i++) {
  const e = await start(emptyDir);
  await e.broker.stop('SIGTERM');
  empty.push(e.fig);
  const l = await start(DATA);
  loaded.push(l.fig);
  console.log(`run ${i + 1}: empty ${JSON.stringify(e.fig)} loaded ${JSON.stringify(l.fig)}`);
  if (i === RUNS - 1 || i === 0) {
    const t = await trickle(l.broker);
    trickles.push(t);
    console.log(`  trickle: RSS ${t.rssMiB.join(' ')} MiB, peak ${t.hwmMiB} MiB, fds ${t.fds}, ${t.cpuMsPerS} ms CPU/s`);
  }
  await l.broker.stop('SIGTERM');
}
fs.rmSync(emptyDir, { recursive: true, force: true });
const du = execFileSync('du', ['-sb', DATA]).toString().split('\t')[0];
const result = {
  when: new Date().toISOString(),
  loadAverage: os.loadavg(),
  partitions: PARTITIONS,
  dataBytes: Number(du),
  runs: RUNS,
  empty,
  loaded,
  trickles,
  median: {
    emptyWallMs: median(empty.map((f) => f.wallMs)),
    emptyCpuMs: median(empty.map((f) => f.cpuMs)),
    loadedWallMs: median(loaded.map((f) => f.wallMs)),
    loadedCpuMs: median(loaded.map((f) => f.cpuMs)),
    loadedExtraWallMs: median(loaded.map((f, i) => f.wallMs - empty[i]!.wallMs)),
    loadedExtraCpuMs: median(loaded.map((f, i) => f.cpuMs - empty[i]!.cpuMs)),
    loadedRssMiB: median(loaded.map((f) => f.rssMiB)),
    loadedFds: median(loaded.map((f) => f.fds)),
    emptyLogLoadMs: median(empty.map((f) => f.logLoadMs)),
    loadedLogLoadMs: median(loaded.map((f) => f.logLoadMs)),
    trickleRssMaxMiB: Math.max(...trickles.flatMap((t) => t.rssMiB)),
  },
};
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result.median, null, 2));
