// What one small Produce request costs the broker, in figures machine load does not move much:
// heap bytes allocated, scavenges and Mark-Compacts per 10,000 requests, CPU µs per request
// (issue 14: the produce-ack p99 at 40,000 one-record requests/s is made of the broker's GC pauses
// and busy loop, and on a shared 2-vCPU machine the latency itself is mostly other people's load).
//
//   npx tsx bench/latency/per-request.ts [--requests N] [--window W] [--base-root DIR] [--rounds R]
//                                        [--batch-bytes B] [--override k=v]
//
// Each broker (this checkout, and with --base-root another one, e.g. `git archive` of the commit
// before a change with node_modules linked) is the real CLI started with --trace-gc and
// bench/lib/alloc-probe.mjs. A raw connection (bench/load-generator.ts: no client library in the
// figures) keeps W one-record (1 KiB) acks=all Produce requests in flight, as a producer sending
// one message at a time does (--batch-bytes B: one B-byte batch of 1 KiB records per request
// instead, the produce-latency scenario's 16 KiB requests with B=16384; --override: broker config
// for every broker). Per round and broker, alternating the order:
//   warm-up   max(N, --warmup 70000) requests (JIT; the 64 MiB tail cache full, so the measured
//             requests evict as a long run does)
//   measured  N requests: CPU from /proc, GC lines (--trace-gc-nvp) from the broker's log:
//             scavenges, Mark-Compacts, pauses, and bytes promoted to the old generation (what
//             drives Mark-Compacts; load-independent, unlike the counts over a short run)
//   sampled   N requests under V8's sampling heap profiler (objects freed since included):
//             bytes allocated per request, and the allocation sites that dominate
// Prints one line per round and target, and the top allocation sites of the last round.
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchConnection } from '../load-generator.js';
import { createTopics, produceResponseErrors, waitForLeaders } from '../lib/kafka-calls.js';
import { buildSeqBatch, encodeProduceBody, PRODUCE_VERSION } from '../lib/payloads.js';
import { REPO_ROOT, startBroker, type Target } from '../lib/targets.js';
import { prepareRequests } from '../scenarios/produce-throughput.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '70000' },
    window: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '2' },
    'base-root': { type: 'string' },
    top: { type: 'string', default: '15' },
    'batch-bytes': { type: 'string' },
    override: { type: 'string', multiple: true, default: [] },
  },
});
const N = Number(args.requests);
const WINDOW = Number(args.window);
/** Enough 1 KiB requests to fill the default 64 MiB tail cache, so the measured ones evict. */
const WARMUP = Math.max(N, Number(args.warmup));
const TOPIC = 'per-request';
const PROBE = path.join(REPO_ROOT, 'bench', 'lib', 'alloc-probe.mjs');

interface Site {
  bytes: number;
  frames: string;
}

interface RoundResult {
  target: string;
  round: number;
  cpuUsPerRequest: number;
  scavengesPer10k: number;
  markCompactsPer10k: number;
  gcPauseMsPer10k: number;
  promotedBytesPerRequest: number;
  heapBytesPerRequest: number;
  sites: Site[];
}

/** Sends `n` Produce requests keeping `window` in flight; rejects on any partition error. */
function produce(conn: BenchConnection, body: Buffer, n: number, window: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let done = 0;
    const onResponse = (r: Parameters<Parameters<BenchConnection['send']>[3] & object>[0]): void => {
      const errors = produceResponseErrors(r);
      if (errors.length > 0) return reject(new Error(`produce failed: ${errors.join(', ')}`));
      if (++done === n) return resolve();
      if (sent < n) {
        sent++;
        conn.send(0, PRODUCE_VERSION, body, onResponse);
      }
    };
    for (; sent < Math.min(window, n); sent++) conn.send(0, PRODUCE_VERSION, body, onResponse);
  });
}

/** GC lines (--trace-gc-nvp: one `key=value` line per collection) since `from`. */
function gcSince(logFile: string, from: number): { scavenges: number; markCompacts: number; pauseMs: number; promotedBytes: number } {
  const text = readFileSync(logFile, 'latin1').slice(from);
  let scavenges = 0;
  let markCompacts = 0;
  let pauseMs = 0;
  let promotedBytes = 0;
  for (const line of text.split('\n')) {
    const gc = / gc=(\w+) /.exec(line)?.[1];
    if (gc === undefined) continue;
    if (gc === 's') scavenges++;
    else if (gc === 'mc' || gc === 'ms') markCompacts++;
    else continue;
    pauseMs += Number(/ pause=([0-9.]+)/.exec(line)?.[1] ?? 0);
    // Bytes a scavenge moved into the old generation: what later costs Mark-Compacts.
    if (gc === 's') promotedBytes += Number(/ promoted=([0-9]+)/.exec(line)?.[1] ?? 0);
  }
  return { scavenges, markCompacts, pauseMs, promotedBytes };
}

async function waitForLine(logFile: string, from: number, line: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (readFileSync(logFile, 'latin1').slice(from).includes(line)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no "${line}" in ${logFile}`);
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** Bytes per allocation site (function and its two callers), largest first. */
function sitesOf(profile: { head: ProfileNode }): { total: number; sites: Site[] } {
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (n: ProfileNode, stack: string[]): void => {
    const cf = n.callFrame;
    const here = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(src|storage|protocol|node_modules)\//, '$1/').replace(/^node:/, '')}`;
    const s = [here, ...stack].slice(0, 3);
    if (n.selfSize > 0) {
      total += n.selfSize;
      const k = s.join(' < ');
      bySite.set(k, (bySite.get(k) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, s);
  };
  walk(profile.head, []);
  return { total, sites: [...bySite].map(([frames, bytes]) => ({ frames, bytes })).sort((a, b) => b.bytes - a.bytes) };
}

async function measure(name: string, t: Target, logFile: string, profileFile: string, body: Buffer, round: number): Promise<RoundResult> {
  const conn = await BenchConnection.connect(t.host, t.port, 'per-request-bench');
  try {
    await produce(conn, body, WARMUP, WINDOW); // warm-up: JIT, and the tail cache full (its steady state)
    const gcFrom = statSync(logFile).size;
    const cpu0 = t.cpuSeconds();
    await produce(conn, body, N, WINDOW);
    const cpu = t.cpuSeconds() - cpu0;
    await new Promise((r) => setTimeout(r, 200)); // the log pipe catches up
    const gc = gcSince(logFile, gcFrom);
    rmSync(profileFile, { force: true });
    process.kill(t.pid, 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 100));
    await produce(conn, body, N, WINDOW);
    const profFrom = statSync(logFile).size;
    process.kill(t.pid, 'SIGUSR2');
    await waitForLine(logFile, profFrom, 'ALLOC_PROFILE');
    const { total, sites } = existsSync(profileFile) ? sitesOf(JSON.parse(readFileSync(profileFile, 'utf8'))) : { total: NaN, sites: [] };
    return {
      target: name,
      round,
      cpuUsPerRequest: Math.round((cpu / N) * 1e6 * 10) / 10,
      scavengesPer10k: Math.round((gc.scavenges / N) * 1e4 * 10) / 10,
      markCompactsPer10k: Math.round((gc.markCompacts / N) * 1e4 * 10) / 10,
      gcPauseMsPer10k: Math.round((gc.pauseMs / N) * 1e4 * 10) / 10,
      promotedBytesPerRequest: Math.round((gc.promotedBytes / N) * 10) / 10,
      heapBytesPerRequest: Math.round(total / N),
      sites: sites.slice(0, Number(args.top)).map((s) => ({ ...s, bytes: Math.round(s.bytes / N) })),
    };
  } finally {
    conn.close();
  }
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'tributary-per-request-'));
  const targets = new Map<string, { t: Target; log: string; profile: string }>();
  try {
    const roots: [string, string | undefined][] = [['broker', undefined]];
    if (args['base-root']) roots.push(['base', path.resolve(args['base-root'])]);
    for (const [name, root] of roots) {
      const log = path.join(workDir, `${name}.log`);
      const profile = path.join(workDir, `${name}.heapprofile`);
      const t = await startBroker({ logDir: path.join(workDir, `${name}-data`), logFile: log, overrides: args.override!, nodeFlags: ['--trace-gc', '--trace-gc-nvp', '--import', PROBE], env: { TRIBUTARY_ALLOC_PROFILE: profile }, root });
      const conn = await BenchConnection.connect(t.host, t.port);
      await createTopics(conn, [{ name: TOPIC, partitions: 1 }]);
      await waitForLeaders(conn, [{ name: TOPIC, partitions: 1 }]);
      conn.close();
      targets.set(name, { t, log, profile });
    }
    const body = args['batch-bytes']
      ? prepareRequests(TOPIC, [0], Number(args['batch-bytes']), -1)[0]!.body
      : encodeProduceBody(TOPIC, [{ index: 0, records: buildSeqBatch(1) }], -1);
    const results: RoundResult[] = [];
    const names = [...targets.keys()];
    for (let round = 0; round < Number(args.rounds); round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const { t, log, profile } = targets.get(name)!;
        const r = await measure(name, t, log, profile, body, round);
        results.push(r);
        console.log(
          `round ${round} ${name.padEnd(6)} ${N} requests (window ${WINDOW}): heap ${r.heapBytesPerRequest} B/request, CPU ${r.cpuUsPerRequest} µs/request, ` +
            `promoted to the old generation ${r.promotedBytesPerRequest} B/request, ` +
            `per 10k requests: ${r.scavengesPer10k} scavenges, ${r.markCompactsPer10k} Mark-Compacts, ${r.gcPauseMsPer10k} ms GC pause (load ${os.loadavg()[0]!.toFixed(1)})`,
        );
      }
    }
    for (const name of names) {
      const last = results.filter((r) => r.target === name).pop()!;
      console.log(`\n${name}: allocation sites, bytes per request (function < caller < caller)`);
      for (const s of last.sites) console.log(`${String(s.bytes).padStart(6)}  ${s.frames}`);
    }
  } finally {
    for (const { t } of targets.values()) await t.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
