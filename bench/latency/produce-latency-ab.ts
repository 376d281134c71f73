// The bench's produce-latency rows (scenarios/produce-latency.ts: one connection, one 16 KiB batch
// per request, open loop at 2048 requests/s) against the null sink, this checkout's broker and
// another checkout's broker (`--base-root DIR`: `git archive <commit> | tar -x -C DIR` plus a
// node_modules link) in the same run, the order alternating per round; samples of all rounds
// merged per target, as `npm run bench` merges latency rounds.
//
//   npx tsx bench/latency/produce-latency-ab.ts --base-root DIR [--rounds 4] [--acks 1,-1]
//       [--rate 2048] [--batch-bytes 16384] [--seconds 3] [--trace-gc] [--throughput]
//
// --throughput: instead, the closed-loop "produce 16KiB batches" row (2 connections, 4 partitions,
// 5 in flight; best round per target, and broker CPU seconds per GiB).
//
// --trace-gc starts both brokers with --trace-gc and prints their Mark-Compacts and scavenges
// during each round (warm-up included; issue 14: the 16 KiB rows' p99 was made of Mark-Compacts);
// --keep keeps the work dir with the brokers' logs. Each broker idles ~7 s while the two other
// targets run: long enough for V8's memory reducer (Mark-Compact (reduce)) to shrink its young
// generation back to the minimum, so the rounds after such a pause scavenge every ~0.1-0.2 s
// (0.3-0.9 ms each) until it has grown again. That is this alternation, not the broker's steady
// state: compare scavenge counts of the same round number only.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchConnection } from '../load-generator.js';
import { createTopics, waitForLeaders } from '../lib/kafka-calls.js';
import type { RunFigures } from '../lib/meter.js';
import { combineRounds } from '../lib/rounds.js';
import { startBroker, startNullSink, type Target } from '../lib/targets.js';
import { runProduceLatency } from '../scenarios/produce-latency.js';
import { runProduceThroughput } from '../scenarios/produce-throughput.js';

const { values: args } = parseArgs({
  options: {
    'base-root': { type: 'string' },
    rounds: { type: 'string', default: '4' },
    acks: { type: 'string', default: '1,-1' },
    rate: { type: 'string', default: '2048' },
    'batch-bytes': { type: 'string', default: '16384' },
    seconds: { type: 'string', default: '3' },
    'trace-gc': { type: 'boolean', default: false },
    throughput: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
if (!args['base-root']) throw new Error('usage: npx tsx bench/latency/produce-latency-ab.ts --base-root DIR [--rounds N] [--acks 1,-1] [--trace-gc]');

interface Side {
  name: string;
  t: Target;
  log: string;
}

/**
 * Mark-Compacts and scavenges of the broker's main isolate logged since byte `from` of its log.
 * Worker threads log their own collections (another isolate address); the main isolate is the
 * one that logged first (the broker's start-up).
 */
function gcSince(log: string, from: number): { mc: number; scavenges: number } {
  const text = readFileSync(log, 'latin1');
  const main = /^\[\d+:(0x[0-9a-f]+)\]/m.exec(text)?.[1];
  const c = { mc: 0, scavenges: 0 };
  for (const l of text.slice(from).split('\n')) {
    if (main === undefined || /^\[\d+:(0x[0-9a-f]+)\]/.exec(l)?.[1] !== main) continue;
    if (l.includes('Mark-Compact')) c.mc++;
    else if (l.includes('Scavenge')) c.scavenges++;
  }
  return c;
}

const work = mkdtempSync(path.join(os.tmpdir(), 'latency-ab-'));
const sides: Side[] = [];
try {
  const nullLog = path.join(work, 'null.log');
  sides.push({ name: 'null', log: nullLog, t: await startNullSink({ partitions: 4, fetchBatchBytes: 256 * 1024, fetchLogBytes: 16 * 1024 * 1024, logFile: nullLog }) });
  for (const [name, root] of [['broker', undefined], ['base', path.resolve(args['base-root'])]] as const) {
    const log = path.join(work, `${name}.log`);
    const t = await startBroker({ name: 'broker', logDir: path.join(work, `${name}-data`), logFile: log, overrides: [], nodeFlags: args['trace-gc'] ? ['--trace-gc'] : [], root });
    sides.push({ name, t, log });
  }
  const rounds = Number(args.rounds);
  const seconds = Number(args.seconds);
  for (const acks of args.acks!.split(',').map(Number)) {
    const topic = `latency-ab-acks${acks === -1 ? 'all' : acks}`;
    const per = new Map<string, RunFigures[]>();
    const gc = new Map<string, { mc: number; scavenges: number }>();
    for (const s of sides) {
      const c = await BenchConnection.connect(s.t.host, s.t.port, 'bench-setup');
      await createTopics(c, [{ name: topic, partitions: 4 }]);
      if (s.name !== 'null') await waitForLeaders(c, [{ name: topic, partitions: 4 }]);
      c.close();
    }
    for (let round = 0; round < rounds; round++) {
      // null, broker, base / base, broker, null / ...: neither broker always runs first.
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const s of order) {
        const from = statSync(s.log).size;
        const batchBytes = Number(args['batch-bytes']);
        const f = args.throughput
          ? await runProduceThroughput(s.t, { topic, partitions: 4, connections: 2, batchBytes, acks, inflight: 5, warmupMs: 500, measureMs: seconds * 1000 })
          : await runProduceLatency(s.t, { topic, partition: 0, batchBytes, acks, rate: Number(args.rate), warmupMs: 500, measureMs: seconds * 1000, maxInflight: 1000 });
        await new Promise((r) => setTimeout(r, 100)); // the log pipe catches up
        (per.get(s.name) ?? per.set(s.name, []).get(s.name)!).push(f);
        const g = gcSince(s.log, from);
        const sum = gc.get(s.name) ?? { mc: 0, scavenges: 0 };
        gc.set(s.name, { mc: sum.mc + g.mc, scavenges: sum.scavenges + g.scavenges });
        const l = f.latency;
        const mib = f.throughput.mibPerSec;
        if (args.throughput) console.log(`acks=${acks} round ${round + 1} ${s.name.padEnd(6)} ${mib.toFixed(1)} MiB/s, CPU ${((f.cpu.targetPct / 100 / mib) * 1024).toFixed(2)} s/GiB (other load ${f.cpu.otherLoadCores.toFixed(1)} cores, load avg ${os.loadavg()[0]!.toFixed(1)})`);
        else console.log(
          `acks=${acks} round ${round + 1} ${s.name.padEnd(6)} p50 ${(l.p50Us / 1000).toFixed(2)} p99 ${(l.p99Us / 1000).toFixed(2)} p999 ${(l.p999Us / 1000).toFixed(2)} ms` +
            `${args['trace-gc'] && s.name !== 'null' ? `, ${g.mc} Mark-Compacts / ${g.scavenges} scavenges` : ''}` +
            ` (other load ${f.cpu.otherLoadCores.toFixed(1)} cores, gen loop p99 ${f.cpu.generatorLoopDelayP99Ms.toFixed(1)} ms, load avg ${os.loadavg()[0]!.toFixed(1)})`,
        );
      }
    }
    if (args.throughput) {
      console.log(`\nacks=${acks}, ${rounds} rounds of ${seconds} s, best round:`);
      for (const s of sides) {
        const m = combineRounds(false, per.get(s.name)!);
        const mib = m.throughput.mibPerSec;
        console.log(`  ${s.name.padEnd(6)} ${mib.toFixed(1)} MiB/s, CPU ${((m.cpu.targetPct / 100 / mib) * 1024).toFixed(2)} s/GiB, other load ${m.cpu.otherLoadCores.toFixed(2)} cores`);
      }
      continue;
    }
    console.log(`\nacks=${acks}, ${rounds} rounds of ${seconds} s, samples merged:`);
    const nullP99 = combineRounds(true, per.get('null')!).latency.p99Us;
    for (const s of sides) {
      const m = combineRounds(true, per.get(s.name)!);
      const l = m.latency;
      const g = gc.get(s.name)!;
      console.log(
        `  ${s.name.padEnd(6)} p50 ${(l.p50Us / 1000).toFixed(2)} / p99 ${(l.p99Us / 1000).toFixed(2)} / p999 ${(l.p999Us / 1000).toFixed(2)} ms, p99 / null ${(l.p99Us / nullP99).toFixed(1)}, ` +
          `${m.latency.count} samples, other load ${m.cpu.otherLoadCores.toFixed(2)} cores, CPU ${m.cpu.targetPct.toFixed(0)} %` +
          `${args['trace-gc'] && s.name !== 'null' ? `, ${g.mc} Mark-Compacts / ${g.scavenges} scavenges in ${rounds * (seconds + 0.5)} s` : ''}`,
      );
    }
    console.log('');
  }
} finally {
  for (const s of sides) await s.t.stop();
  if (!args.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work} (broker logs)`);
}
