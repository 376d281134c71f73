// Transactional throughput: records/s of transactional producers committing 10, 100 and 1000
// records per transaction, beside non-transactional (plain and idempotent) producers, all in the
// same run against the same broker process.
//
//   npx tsx bench/txn/txn-throughput.ts [--seconds 6] [--producers 4] [--sizes 10,100,1000]
//                                       [--record-bytes 1024] [--rounds 2] [--no-save] [--profile]
//                                       [--only plain,txn-100] [--broker-override key=value ...]
//                                       [--rdkafka] [--base-root DIR] [--tv2]
//
// Each producer is one connection owning one partition of the scenario's topic (acks=-1):
//   plain        Produce only, batches of 100 records, up to 5 requests in flight
//   idempotent   the same with a producer id and sequences (the producer-state check)
//   txn-N        InitProducerId once, then per transaction: AddPartitionsToTxn (wait),
//                ceil(N/100) batches of min(N,100) records (pipelined, up to 5 in flight),
//                EndTxn(commit) (wait) — what a Java/librdkafka transactional producer does.
//                Records count once their transaction's EndTxn succeeded.
//   txn2-N       the same with transaction version 2 (KIP-890 part 2, what Kafka 4 Java clients
//                use): no AddPartitionsToTxn — Produce v12 adds the partition — and EndTxn v5,
//                which bumps the epoch (the next transaction uses the id/epoch it returns,
//                sequences from 0). One round trip per transaction fewer.
// Requests are raw (no client library): batches are patched from one pre-built template per
// size (producer id, epoch, sequence, CRC), so the generator spends little CPU per record. The
// best round per scenario is kept (disturbance only lowers throughput). Results are printed and
// written to bench/txn/results/latest.json.
//
// --rdkafka adds rdk-plain and rdk-txn-N: the same workload from librdkafka (bench/txn/rdk-txn.c,
// one process per producer), to check that the raw generator is not what limits the figures.
// --base-root DIR runs every scenario against a second broker started from another checkout
// (`git archive <commit> | tar -x -C DIR` plus a node_modules link) in the same rounds, order
// alternating, for before/after; its rows are suffixed " (base)".
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { crc32c } from '@node-rs/crc32';
import { errorName } from '../../protocol/errors.js';
import { decodeAddPartitionsToTxnResponse, encodeAddPartitionsToTxnRequest } from '../../protocol/generated/add-partitions-to-txn.js';
import { decodeDeleteTopicsResponse, encodeDeleteTopicsRequest } from '../../protocol/generated/delete-topics.js';
import { decodeEndTxnResponse, encodeEndTxnRequest } from '../../protocol/generated/end-txn.js';
import { decodeInitProducerIdResponse, encodeInitProducerIdRequest } from '../../protocol/generated/init-producer-id.js';
import { encodeProduceRequest } from '../../protocol/generated/produce.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { OFF_BASE_SEQUENCE, OFF_CRC, OFF_PRODUCER_EPOCH, OFF_PRODUCER_ID, writeInt64 } from '../../protocol/records/batch-header.js';
import { Writer } from '../../protocol/wire/writer.js';
import { BenchConnection } from '../load-generator.js';
import { createTopics, produceResponseErrors } from '../lib/kafka-calls.js';
import { PRODUCE_VERSION } from '../lib/payloads.js';
import { REPO_ROOT, startBroker, type Target } from '../lib/targets.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '6' },
    producers: { type: 'string', default: '4' },
    sizes: { type: 'string', default: '10,100,1000' },
    'record-bytes': { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '2' },
    'no-save': { type: 'boolean', default: false },
    /** Extra broker config, repeatable (e.g. transaction.state.log.num.partitions=1). */
    'broker-override': { type: 'string', multiple: true, default: [] },
    /** Only these scenarios (comma-separated names, e.g. txn-10); the % column then needs plain. */
    only: { type: 'string' },
    /** Broker CPU profile (--cpu-prof) into bench/txn/results/profiles/. */
    profile: { type: 'boolean', default: false },
    rdkafka: { type: 'boolean', default: false },
    'base-root': { type: 'string' },
    /** Adds txn2-N scenarios (transaction version 2) for every size (also when --only names one). */
    tv2: { type: 'boolean', default: false },
  },
});

const SECONDS = Number(args.seconds);
const PRODUCERS = Number(args.producers);
const SIZES = args.sizes!.split(',').map(Number);
const RECORD_BYTES = Number(args['record-bytes']);
const ROUNDS = Number(args.rounds);
let TOPIC = 'txn-bench';
const MAX_BATCH_RECORDS = 100;
const MAX_INFLIGHT = 5;
const WARMUP_MS = 1000;

// ---- request encoding -------------------------------------------------------------------------

function body(encode: (w: Writer) => void): Buffer {
  const w = new Writer(256);
  encode(w);
  return Buffer.from(w.toBuffer());
}

/**
 * Produce v9 bodies for one partition: the batch of `n` records sits between a constant prefix
 * (request fields up to the records length) and a constant suffix (tagged fields), so a body is
 * one copy of a pre-built template with producer id, epoch, sequence and CRC patched in. Every
 * scenario builds its bodies this way, so the generator's cost per record is the same in all.
 */
function bodyTemplate(partition: number, n: number, transactional: boolean, transactionalId: string | null, version = PRODUCE_VERSION) {
  const value = Buffer.alloc(RECORD_BYTES, 0x61);
  const batch = buildRecordBatch({ producerId: 0, producerEpoch: 0, baseSequence: 0, transactional, records: Array.from({ length: n }, () => ({ key: null, value })) });
  const whole = body((w) => encodeProduceRequest(w, version, { transactionalId, acks: -1, timeoutMs: 30_000, topicData: [{ name: TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionData: [{ index: partition, records: batch }] }] }));
  const at = whole.indexOf(batch.subarray(0, 64));
  if (at < 0) throw new Error('batch not found in its produce body');
  return {
    records: n,
    stamp(pid: number, epoch: number, seq: number): Buffer {
      const b = Buffer.from(whole);
      writeInt64(b, at + OFF_PRODUCER_ID, pid);
      b.writeInt16BE(epoch, at + OFF_PRODUCER_EPOCH);
      b.writeInt32BE(seq, at + OFF_BASE_SEQUENCE);
      b.writeUInt32BE(crc32c(b.subarray(at + 21, at + batch.length)) >>> 0, at + OFF_CRC);
      return b;
    },
  };
}

function send<T>(conn: BenchConnection, apiKey: number, version: number, b: Buffer, decode: (r: import('../../protocol/wire/reader.js').Reader, v: number) => T): Promise<T> {
  return conn.request(apiKey, version, b, decode);
}

async function initProducerId(conn: BenchConnection, transactionalId: string | null): Promise<{ pid: number; epoch: number }> {
  const r = await send(conn, 22, 4, body((w) => encodeInitProducerIdRequest(w, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false })), decodeInitProducerIdResponse);
  if (r.errorCode !== 0) throw new Error(`InitProducerId: ${errorName(r.errorCode)}`);
  return { pid: r.producerId, epoch: r.producerEpoch };
}

// ---- one producer loop ------------------------------------------------------------------------

type Mode = { kind: 'plain' } | { kind: 'idempotent' } | { kind: 'txn'; perTxn: number; tv2?: boolean } | { kind: 'rdk'; perTxn: number | null };

/** Transaction version 2 (KIP-890 part 2): the Produce that adds the partition, the EndTxn that bumps the epoch. */
const TV2_PRODUCE_VERSION = 12;
const TV2_END_TXN_VERSION = 5;

interface Counter {
  records: number;
  txns: number;
  /** Per-transaction phase times in ms (txn scenarios, measured window only): AddPartitionsToTxn, the produce requests, EndTxn. */
  phases: { add: number[]; produce: number[]; end: number[] } | null;
}

/** Produces batches on `conn` until `stop()`, keeping up to MAX_INFLIGHT requests in flight; resolves when all are answered. */
function pipeline(conn: BenchConnection, total: number, next: () => Buffer, done: (ok: boolean) => void, stop: () => boolean, version = PRODUCE_VERSION): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = 0;
    const pump = () => {
      while (sent < total && conn.inflight < MAX_INFLIGHT && !stop()) {
        sent++;
        conn.send(0, version, next(), (r) => {
          answered++;
          const errs = produceResponseErrors(r);
          if (errs.length > 0) return reject(new Error(`produce: ${errs.join(',')}`));
          done(true);
          if (answered === sent && (sent === total || stop())) resolve();
          else pump();
        });
      }
      if (sent === 0) resolve();
    };
    pump();
  });
}

async function runProducer(conn: BenchConnection, index: number, mode: Mode, counter: Counter, stop: () => boolean): Promise<void> {
  const partition = index;
  if (mode.kind === 'plain') {
    const tpl = bodyTemplate(partition, MAX_BATCH_RECORDS, false, null);
    await pipeline(conn, Infinity, () => tpl.stamp(-1, -1, -1), () => void (counter.records += tpl.records), stop);
    return;
  }
  if (mode.kind === 'idempotent') {
    const { pid, epoch } = await initProducerId(conn, null);
    const tpl = bodyTemplate(partition, MAX_BATCH_RECORDS, false, null);
    let seq = 0;
    await pipeline(conn, Infinity, () => tpl.stamp(pid, epoch, (seq += tpl.records) - tpl.records), () => void (counter.records += tpl.records), stop);
    return;
  }
  if (mode.kind !== 'txn') throw new Error(`${mode.kind} is not a generator scenario`);
  const txnId = `bench-${mode.perTxn}-${index}-${Date.now()}`;
  let { pid, epoch } = await initProducerId(conn, txnId);
  const perBatch = Math.min(mode.perTxn, MAX_BATCH_RECORDS);
  const batches = Math.ceil(mode.perTxn / perBatch);
  if (mode.tv2) {
    const tpl = bodyTemplate(partition, perBatch, true, txnId, TV2_PRODUCE_VERSION);
    while (!stop()) {
      const t1 = performance.now();
      let seq = 0;
      await pipeline(conn, batches, () => tpl.stamp(pid, epoch, (seq += perBatch) - perBatch), () => {}, () => false, TV2_PRODUCE_VERSION);
      const t2 = performance.now();
      const endBody = body((w) => encodeEndTxnRequest(w, TV2_END_TXN_VERSION, { transactionalId: txnId, producerId: pid, producerEpoch: epoch, committed: true }));
      const end = await send(conn, 26, TV2_END_TXN_VERSION, endBody, decodeEndTxnResponse);
      if (end.errorCode !== 0) throw new Error(`EndTxn v5: ${errorName(end.errorCode)}`);
      ({ producerId: pid, producerEpoch: epoch } = end); // the next transaction's id and epoch
      const t3 = performance.now();
      counter.records += batches * perBatch;
      counter.txns++;
      if (counter.phases) {
        counter.phases.add.push(0);
        counter.phases.produce.push(t2 - t1);
        counter.phases.end.push(t3 - t2);
      }
    }
    return;
  }
  const tpl = bodyTemplate(partition, perBatch, true, txnId);
  const addBody = body((w) =>
    encodeAddPartitionsToTxnRequest(w, 3, { transactions: [], v3AndBelowTransactionalId: txnId, v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [partition] }] }),
  );
  const endBody = body((w) => encodeEndTxnRequest(w, 3, { transactionalId: txnId, producerId: pid, producerEpoch: epoch, committed: true }));
  let seq = 0;
  while (!stop()) {
    const t0 = performance.now();
    const add = await send(conn, 24, 3, addBody, decodeAddPartitionsToTxnResponse);
    const addErr = add.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode;
    if (addErr !== 0) throw new Error(`AddPartitionsToTxn: ${errorName(addErr)}`);
    const t1 = performance.now();
    await pipeline(conn, batches, () => tpl.stamp(pid, epoch, (seq += perBatch) - perBatch), () => {}, () => false);
    const t2 = performance.now();
    const end = await send(conn, 26, 3, endBody, decodeEndTxnResponse);
    if (end.errorCode !== 0) throw new Error(`EndTxn: ${errorName(end.errorCode)}`);
    const t3 = performance.now();
    counter.records += batches * perBatch;
    counter.txns++;
    if (counter.phases) {
      counter.phases.add.push(t1 - t0);
      counter.phases.produce.push(t2 - t1);
      counter.phases.end.push(t3 - t2);
    }
  }
}

// ---- scenarios ---------------------------------------------------------------------------------

interface Result {
  scenario: string;
  recordsPerSec: number;
  mibPerSec: number;
  txnsPerSec: number;
  brokerCpuPct: number;
  /** This process (the generator) over the window. */
  generatorCpuPct: number;
  /** Broker CPU per transaction (txn scenarios): load-insensitive, unlike records/s. */
  brokerCpuMsPerTxn?: number;
  /** Median / p99 ms of each phase of a transaction as the producer sees it. */
  phaseMs?: { add: [number, number]; produce: [number, number]; end: [number, number] };
}

function pct(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 100) / 100;
}

/**
 * Each scenario writes to a fresh topic that is deleted afterwards: the page cache of deleted
 * files is dropped, not written back, so one scenario's gigabytes of dirty pages do not slow the
 * next one down (without this the order of the scenarios decides the figures).
 */
async function runScenario(broker: Target, name: string, mode: Mode, round: number): Promise<Result> {
  TOPIC = `txn-bench-${name}-${round}`;
  const setup = await BenchConnection.connect(broker.host, broker.port, 'txn-bench-setup');
  await createTopics(setup, [{ name: TOPIC, partitions: PRODUCERS }]);
  try {
    return mode.kind === 'rdk' ? await measureRdkafka(broker, name, mode.perTxn) : await measure(broker, name, mode);
  } finally {
    await setup.request(20, 4, body((w) => encodeDeleteTopicsRequest(w, 4, { topics: [], topicNames: [TOPIC], timeoutMs: 30_000 })), decodeDeleteTopicsResponse);
    setup.close();
  }
}

async function measure(broker: Target, name: string, mode: Mode): Promise<Result> {
  const conns = await Promise.all(Array.from({ length: PRODUCERS }, (_, i) => BenchConnection.connect(broker.host, broker.port, `txn-bench-${i}`)));
  const counter: Counter = { records: 0, txns: 0, phases: null };
  let stopped = false;
  const loops = conns.map((c, i) => runProducer(c, i, mode, counter, () => stopped));
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const r0 = counter.records;
  const t0Txns = counter.txns;
  const cpu0 = broker.cpuSeconds();
  const gen0 = process.cpuUsage();
  if (mode.kind === 'txn') counter.phases = { add: [], produce: [], end: [] };
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const seconds = (performance.now() - t0) / 1000;
  const records = counter.records - r0;
  const txns = counter.txns - t0Txns;
  const cpuSeconds = broker.cpuSeconds() - cpu0;
  const cpu = cpuSeconds / seconds;
  const gen = process.cpuUsage(gen0);
  const phases = counter.phases;
  counter.phases = null;
  stopped = true;
  await Promise.all(loops);
  for (const c of conns) c.close();
  return {
    scenario: name,
    recordsPerSec: Math.round(records / seconds),
    mibPerSec: Math.round(((records * RECORD_BYTES) / seconds / (1024 * 1024)) * 10) / 10,
    txnsPerSec: Math.round(txns / seconds),
    brokerCpuPct: Math.round(cpu * 100),
    generatorCpuPct: Math.round(((gen.user + gen.system) / 1e6 / seconds) * 100),
    ...(phases && txns > 0
      ? {
          brokerCpuMsPerTxn: Math.round((cpuSeconds * 1000 * 1000) / txns) / 1000,
          phaseMs: { add: [pct(phases.add, 0.5), pct(phases.add, 0.99)], produce: [pct(phases.produce, 0.5), pct(phases.produce, 0.99)], end: [pct(phases.end, 0.5), pct(phases.end, 0.99)] },
        }
      : {}),
  };
}

// ---- librdkafka producers -----------------------------------------------------------------------

let rdkBin: string | null = null;

function compileRdkafka(dir: string): string {
  const bin = path.join(dir, 'rdk-txn');
  try {
    execFileSync('gcc', ['-O2', '-Wall', '-o', bin, path.join(REPO_ROOT, 'bench', 'txn', 'rdk-txn.c'), '-lrdkafka'], { stdio: 'inherit' });
  } catch {
    throw new Error('compiling bench/txn/rdk-txn.c failed: needs gcc and librdkafka-dev (apt-get install librdkafka-dev)');
  }
  return bin;
}

function runRdk(args: string[]): Promise<{ records: number; txns: number; seconds: number; cpuSeconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(rdkBin!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`rdk-txn ${args.join(' ')} exited ${code}: ${err.slice(-500)}`));
      resolve(JSON.parse(line));
    });
  });
}

/** PRODUCERS librdkafka processes, one partition each; broker CPU over their measured window. */
async function measureRdkafka(broker: Target, name: string, perTxn: number | null): Promise<Result> {
  let cpu0 = 0;
  const warm = setTimeout(() => (cpu0 = broker.cpuSeconds()), WARMUP_MS);
  const t0 = performance.now();
  const runs = await Promise.all(
    Array.from({ length: PRODUCERS }, (_, i) =>
      runRdk([`${broker.host}:${broker.port}`, TOPIC, String(i), perTxn === null ? 'plain' : 'txn', String(perTxn ?? 0), String(SECONDS), String(RECORD_BYTES), `rdk-${name}-${i}-${Date.now()}`]),
    ),
  );
  clearTimeout(warm);
  const cpuSeconds = broker.cpuSeconds() - cpu0;
  const seconds = Math.max(...runs.map((r) => r.seconds));
  const records = runs.reduce((n, r) => n + r.records, 0);
  const txns = runs.reduce((n, r) => n + r.txns, 0);
  const wall = (performance.now() - t0) / 1000 - WARMUP_MS / 1000;
  return {
    scenario: name,
    recordsPerSec: Math.round(records / seconds),
    mibPerSec: Math.round(((records * RECORD_BYTES) / seconds / (1024 * 1024)) * 10) / 10,
    txnsPerSec: Math.round(txns / seconds),
    brokerCpuPct: Math.round((cpuSeconds / wall) * 100),
    generatorCpuPct: Math.round((runs.reduce((n, r) => n + r.cpuSeconds, 0) / seconds) * 100),
    ...(txns > 0 ? { brokerCpuMsPerTxn: Math.round((cpuSeconds * 1e6) / txns) / 1000 } : {}),
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tributary-txn-bench-'));
  const profileDir = path.join(REPO_ROOT, 'bench', 'txn', 'results', 'profiles');
  if (args.profile) mkdirSync(profileDir, { recursive: true });
  if (args.rdkafka) rdkBin = compileRdkafka(dataDir);
  const start = (tag: string, root?: string) =>
    startBroker({
      root,
      logDir: path.join(dataDir, `data-${tag}`),
      logFile: path.join(dataDir, `broker-${tag}.log`),
      overrides: ['offsets.topic.num.partitions=4', 'transaction.state.log.num.partitions=4', ...args['broker-override']!],
      nodeFlags: args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    });
  const brokers: [string, Target][] = [['', await start('this')]];
  if (args['base-root']) brokers.push([' (base)', await start('base', path.resolve(args['base-root']))]);
  const results = new Map<string, Result>();
  try {
    const scenarios: [string, Mode][] = [
      ['plain', { kind: 'plain' }],
      ['idempotent', { kind: 'idempotent' }],
      ...SIZES.map((n): [string, Mode] => [`txn-${n}`, { kind: 'txn', perTxn: n }]),
      ...(args.tv2 || args.only?.includes('txn2-') ? SIZES.map((n): [string, Mode] => [`txn2-${n}`, { kind: 'txn', perTxn: n, tv2: true }]) : []),
      ...(args.rdkafka ? [['rdk-plain', { kind: 'rdk', perTxn: null }] as [string, Mode], ...SIZES.map((n): [string, Mode] => [`rdk-txn-${n}`, { kind: 'rdk', perTxn: n }])] : []),
    ];
    const only = args.only ? new Set(args.only.split(',')) : null;
    const selected = only ? scenarios.filter(([name]) => only.has(name)) : scenarios;
    const plan = selected.flatMap(([name, mode]) => brokers.map(([suffix, b]) => ({ name: name + suffix, mode, broker: b })));
    for (let round = 0; round < ROUNDS; round++) {
      for (const { name, mode, broker } of round % 2 === 0 ? plan : [...plan].reverse()) {
        const r = await runScenario(broker, name.replace(/ \(base\)$/, ''), mode, round);
        r.scenario = name;
        const best = results.get(name);
        if (!best || r.recordsPerSec > best.recordsPerSec) results.set(name, r);
        const extra = r.phaseMs ? `, ${r.brokerCpuMsPerTxn} broker CPU ms/txn, add/produce/end p50 ${r.phaseMs.add[0]}/${r.phaseMs.produce[0]}/${r.phaseMs.end[0]} ms` : '';
        console.error(`round ${round + 1} ${name}: ${r.recordsPerSec} records/s (broker CPU ${r.brokerCpuPct}%, generator ${r.generatorCpuPct}%${extra})`);
      }
    }
  } finally {
    for (const [, b] of brokers) await b.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  // Each row against the plain row of its own broker and client (rdk-* against rdk-plain).
  const plainOf = (name: string) => {
    const base = name.endsWith(' (base)') ? ' (base)' : '';
    return results.get((name.startsWith('rdk-') ? 'rdk-plain' : 'plain') + base)?.recordsPerSec ?? NaN;
  };
  const rows = [...results.values()].map((r) => ({ ...r, vsPlain: Math.round((r.recordsPerSec / plainOf(r.scenario)) * 1000) / 10 }));
  console.log(`\nTransactional throughput — ${PRODUCERS} producers, ${RECORD_BYTES}-byte records, acks=-1, best of ${ROUNDS} rounds of ${SECONDS}s\n`);
  console.log('| scenario | records/s | MiB/s | txns/s | % of plain | broker CPU % | generator CPU % | broker CPU ms/txn | add / produce / end p50 ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    const ph = r.phaseMs ? `${r.phaseMs.add[0]} / ${r.phaseMs.produce[0]} / ${r.phaseMs.end[0]}` : '';
    console.log(`| ${r.scenario} | ${r.recordsPerSec} | ${r.mibPerSec} | ${r.txnsPerSec || ''} | ${r.vsPlain} | ${r.brokerCpuPct} | ${r.generatorCpuPct} | ${r.brokerCpuMsPerTxn ?? ''} | ${ph} |`);
  }
  if (!args['no-save']) {
    const dir = path.join(REPO_ROOT, 'bench', 'txn', 'results');
    mkdirSync(dir, { recursive: true });
    const report = {
      date: new Date().toISOString(),
      producers: PRODUCERS,
      recordBytes: RECORD_BYTES,
      seconds: SECONDS,
      rounds: ROUNDS,
      brokerOverrides: args['broker-override'],
      cpus: os.cpus().length,
      results: rows,
    };
    const name = args.only || args['broker-override']!.length > 0 || PRODUCERS !== 4 || args['base-root'] || args.rdkafka || args.tv2 ? `run-${Date.now()}.json` : 'latest.json';
    writeFileSync(path.join(dir, name), JSON.stringify(report, null, 2) + '\n');
  }
}

await main();
