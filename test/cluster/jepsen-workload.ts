// The Jepsen-style failover workload (issue 13), shared by the suite test (jepsen-failover.test.ts)
// and the soak script (scripts/jepsen-soak.ts): on a three-process cluster over etcd, a topic with
// RF 3 and min.insync.replicas=2; kafkajs producers with acks=all — one idempotent, one not — log
// every acknowledged record with its offset; a transactional producer commits and aborts
// transactions on a second topic; meanwhile the nemesis kill -9s the leader of the busiest
// partition, waits for a new leader, restarts the victim and waits for it to rejoin every ISR.
// Afterwards consumers read everything (read_committed, and read_uncommitted on the transactional
// topic to prove aborted data was really written) and jepsen-checker.ts judges the history.
import fs from 'node:fs/promises';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { check, valueOf, type Ack, type CheckResult, type Read, type Txn } from './jepsen-checker.js';
import { startProcessCluster, type ProcessCluster } from './jepsen-cluster.js';
import { divergence } from './replica-divergence.js';

export const DATA_TOPIC = 'jepsen';
export const TXN_TOPIC = 'jepsen-txn';
const PARTITIONS = 4;
/** Partition 0 gets half the traffic: the "busiest partition" the nemesis goes after. */
const SKEW = [0, 0, 0, 1, 2, 3];

export interface WorkloadOptions {
  cycles: number;
  /** Transactions on TXN_TOPIC alongside (default true). */
  transactions?: boolean;
  log?: (msg: string) => void;
  /** Keep the cluster running after the run (the caller closes it). */
  cluster?: ProcessCluster;
}

export interface CycleFigures {
  victim: number;
  /** kill -9 → every partition has a live leader again (ms). */
  electionMs: number;
  /** kill -9 → first acknowledgement on a partition the victim led (ms). */
  firstAckMs: number;
  /** kill -9 → back in every ISR (ms): the restart (begun at the kill) and the catch-up. */
  rejoinMs: number;
  /** kill -9 → the restarted process listens (ms). */
  startMs?: number;
}

export interface WorkloadReport {
  result: CheckResult;
  cycles: CycleFigures[];
  acked: { total: number; byProducer: Record<string, number> };
  failedSends: number;
  /** The first send errors (for diagnosis). */
  sendErrors: string[];
  txns: { committed: number; aborted: number; unknown: number };
  /** Values of aborted transactions a read_uncommitted consumer saw (proves aborts hit the log). */
  abortedSeenUncommitted: number;
  /**
   * Diagnosis of committed values read_committed did not show: where read_uncommitted found each
   * ("partition:offset", with the values just before and after it) or "absent" (data lost, not hidden).
   */
  committedMissingUncommitted: string[];
  /** The first errors of the transactional producer (for diagnosis). */
  txnErrors: string[];
  /** Where the replicas' logs differ once all are in sync and idle (replica-divergence.ts); empty when they agree. */
  divergence: string[];
  reads: number;
  durationMs: number;
}

function kafkaFor(cluster: ProcessCluster, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: cluster.bootstrap().split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 10_000,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000, factor: 0.2 },
  });
}

export async function runWorkload(opts: WorkloadOptions): Promise<WorkloadReport> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const cluster = opts.cluster ?? (await startProcessCluster());
  try {
    return await run(cluster, opts, log, started);
  } finally {
    if (!opts.cluster) await cluster.close();
  }
}

async function run(cluster: ProcessCluster, opts: WorkloadOptions, log: (m: string) => void, started: number): Promise<WorkloadReport> {
  const withTxns = opts.transactions ?? true;
  const admin = kafkaFor(cluster, 'jepsen-admin').admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: DATA_TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
      ...(withTxns ? [{ topic: TXN_TOPIC, numPartitions: 2, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] : []),
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  await waitIsr(cluster, DATA_TOPIC, 3);

  const acks: Ack[] = [];
  let failedSends = 0;
  const sendErrors: string[] = [];
  const ackTimes: number[] = [];
  let stopping = false;
  const sinceCycle = new Map<number, number>();

  const producerLoop = async (name: string, make: (k: Kafka) => Producer) => {
    const kafka = kafkaFor(cluster, `jepsen-${name}`);
    const producer = make(kafka);
    await producer.connect();
    let seq = 0;
    while (!stopping) {
      const s = seq++;
      const partition = SKEW[s % SKEW.length]!;
      const value = valueOf(name, s);
      try {
        const [r] = await producer.send({ topic: DATA_TOPIC, acks: -1, timeout: 10_000, messages: [{ value, partition }] });
        acks.push({ producer: name, seq: s, value, partition, offset: Number(r!.baseOffset) });
        ackTimes.push(Date.now());
        sinceCycle.set(partition, (sinceCycle.get(partition) ?? 0) + 1);
      } catch (err) {
        failedSends++; // indeterminate: may or may not be in the log
        if (sendErrors.length < 40) sendErrors.push(`${name} seq ${s} p${partition} at ${Date.now() - started} ms: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await producer.disconnect().catch(() => undefined);
  };

  const txns: Txn[] = [];
  const txnErrors: string[] = [];
  const txnLoop = async () => {
    const kafka = kafkaFor(cluster, 'jepsen-txn');
    const make = () => kafka.producer({ transactionalId: 'jepsen-txn', idempotent: true, maxInFlightRequests: 1 });
    let producer = make();
    let connected = false;
    let n = 0;
    while (!stopping) {
      if (!connected) {
        try {
          await producer.connect();
          connected = true;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
      }
      const id = `t${n++}`;
      const commit = n % 3 !== 0;
      const values = [0, 1].map((p) => `${commit ? 'txc' : 'txa'}-${id}-${p}`);
      const t: Txn = { id, values, outcome: 'unknown', at: Date.now() - started };
      txns.push(t);
      try {
        const tx = await producer.transaction();
        try {
          // One send per partition: kafkajs 2.2.4 loses a message when one send spans two leaders
          // and one of them fails — its retry skips every broker that already answered, even when
          // the failed partition's new leader is one of them (tulios/kafkajs#1303, PR #1798), so
          // send() resolves without ever producing that record and the commit then covers a
          // partition holding only the marker. Seen here as a committed value missing from the
          // log with the producer's next sequence reused (the run kept by JEPSEN_KEEP).
          for (const [p, value] of values.entries()) await tx.send({ topic: TXN_TOPIC, acks: -1, messages: [{ value, partition: p }] });
          if (commit) await tx.commit();
          else await tx.abort();
          t.outcome = commit ? 'committed' : 'aborted';
          t.doneAt = Date.now() - started;
        } catch (err) {
          await tx.abort().catch(() => undefined);
          throw err;
        }
      } catch (err) {
        if (txnErrors.length < 20) txnErrors.push(`${id} at ${Date.now() - started} ms: ${(err as Error).message}`);
        // A fresh producer (InitProducerId fences whatever the old one left open).
        await producer.disconnect().catch(() => undefined);
        producer = make();
        connected = false;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await producer.disconnect().catch(() => undefined);
  };

  const loops = [
    producerLoop('idem', (k) => k.producer({ idempotent: true, maxInFlightRequests: 1 })),
    producerLoop('plain', (k) => k.producer({ maxInFlightRequests: 1, allowAutoTopicCreation: false })),
    ...(withTxns ? [txnLoop()] : []),
  ];

  const cycles: CycleFigures[] = [];
  // One broker down at a time: the victim is back in every ISR before the next kill (with two of
  // three down, min.insync.replicas=2 would only measure unavailability). Its restart begins at
  // once, while the survivors elect new leaders: a process start is most of a cycle.
  const moved: { figures: CycleFigures; killedAt: number; ackedBefore: number; victimLed: Set<number> }[] = [];
  try {
    await waitUntil('first acknowledgements', () => acks.length >= 20, 30_000);
    for (let c = 0; c < opts.cycles; c++) {
      await waitIsr(cluster, DATA_TOPIC, 3, undefined, 120_000);
      const busiest = [...sinceCycle].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
      sinceCycle.clear();
      const view = await cluster.partitions(DATA_TOPIC);
      const victim = view[busiest]!.leader;
      if (victim < 0) throw new Error(`partition ${busiest} has no leader before cycle ${c}`);
      const victimLed = new Set(view.filter((p) => p.leader === victim).map((p) => p.partition));
      const ackedBefore = acks.length;
      const killedAt = Date.now();
      await cluster.kill(victim);
      const figures: CycleFigures = { victim, electionMs: -1, firstAckMs: -1, rejoinMs: -1 };
      cycles.push(figures);
      moved.push({ figures, killedAt, ackedBefore, victimLed });
      const restart = (async () => {
        await cluster.restart(victim);
        figures.startMs = Date.now() - killedAt;
      })();
      // New leaders as the survivors see them (the restarting victim is not asked).
      const survivors = [1, 2, 3].filter((id) => id !== victim);
      try {
        await cluster.waitFor(`a new leader for every partition after killing ${victim}`, async () => {
          for (const id of survivors) {
            const v = await cluster.partitionsOn(id, DATA_TOPIC);
            if (v) return v.every((p) => p.leader >= 0 && p.leader !== victim);
          }
          return false;
        });
        figures.electionMs = Date.now() - killedAt;
      } finally {
        await restart;
      }
      await cluster.waitFor(`broker ${victim} back in every ISR`, async () => {
        const v = await cluster.partitions(DATA_TOPIC).catch(() => undefined);
        return v !== undefined && v.every((p) => p.isr.includes(victim));
      }, 120_000);
      figures.rejoinMs = Date.now() - killedAt;
      // The next kill waits (up to 30 s) for an acknowledgement on a partition the victim led: on a
      // quiet machine a restart takes ~2 s, and without this the nemesis killed partition 0's new
      // leader before the clients (kafkajs: 1 s retry back-off, Metadata naming the dead leader until
      // the election) had reached it, measuring back-to-back kills instead of one failover.
      const ackedOnVictimPartition = () => acks.slice(ackedBefore).some((a) => victimLed.has(a.partition));
      await waitUntil('an acknowledgement on a partition the victim led', ackedOnVictimPartition, 30_000).catch(() => undefined);
      log(`cycle ${c + 1}/${opts.cycles}: killed ${victim} (busiest partition ${busiest}), new leaders in ${figures.electionMs} ms, restarted in ${figures.startMs} ms, back in every ISR ${figures.rejoinMs} ms after the kill; ${acks.length} acked, ${failedSends} failed sends`);
    }
    await waitIsr(cluster, DATA_TOPIC, 3, undefined, 120_000);
  } finally {
    stopping = true;
    await Promise.all(loops);
  }
  // Failover time: the first acknowledgement after a kill on a partition the victim led.
  for (const m of moved) {
    const i = acks.findIndex((a, j) => j >= m.ackedBefore && ackTimes[j]! > m.killedAt + 20 && m.victimLed.has(a.partition));
    m.figures.firstAckMs = i >= 0 ? ackTimes[i]! - m.killedAt : -1;
  }

  // Read everything back with every broker up.
  const reads = await readAll(cluster, DATA_TOPIC, PARTITIONS, false, (got) => acks.every((a) => got.has(a.value)));
  let txnReads: Read[] = [];
  let abortedSeenUncommitted = 0;
  let uncommittedReads: Read[] = [];
  if (withTxns) {
    const committed = txns.filter((t) => t.outcome === 'committed').flatMap((t) => t.values);
    txnReads = await readAll(cluster, TXN_TOPIC, 2, false, (got) => committed.every((v) => got.has(v)));
    const uncommitted = (uncommittedReads = await readAll(cluster, TXN_TOPIC, 2, true, (got) => committed.every((v) => got.has(v))));
    const abortedValues = new Set(txns.filter((t) => t.outcome === 'aborted').flatMap((t) => t.values));
    abortedSeenUncommitted = uncommitted.filter((r) => abortedValues.has(r.value)).length;
  }
  const result = check({ acks, idempotent: new Set(['idem']), reads, txns: withTxns ? txns : undefined, txnReads });
  const divergence = await replicasDiverge(cluster, withTxns ? [[DATA_TOPIC, PARTITIONS], [TXN_TOPIC, 2]] : [[DATA_TOPIC, PARTITIONS]]);
  const committedMissingUncommitted = result.committedMissing.slice(0, 10).map((v) => locate(uncommittedReads, v));
  // JEPSEN_KEEP=dir: a violating run leaves its data dirs, every broker process's log and the
  // client-side history there, for diagnosis.
  const keep = process.env.JEPSEN_KEEP;
  if (keep && (!result.ok || divergence.length > 0)) {
    const dir = `${keep}/run-${process.pid}-${Date.now()}`;
    await cluster.preserve(dir);
    const history = { started, divergence, acks: acks.map((a, i) => ({ ...a, at: ackTimes[i]! - started })), txns, txnErrors, sendErrors, cycles: moved.map((m) => ({ ...m.figures, killedAt: m.killedAt - started, victimLed: [...m.victimLed] })), result, uncommittedReads, txnReads };
    await fs.writeFile(`${dir}/history.json`, JSON.stringify(history, null, 1));
    log(`violation: kept the data dirs, logs and history in ${dir}`);
  }
  const byProducer: Record<string, number> = {};
  for (const a of acks) byProducer[a.producer] = (byProducer[a.producer] ?? 0) + 1;
  return {
    result,
    cycles,
    acked: { total: acks.length, byProducer },
    failedSends,
    sendErrors,
    txns: {
      committed: txns.filter((t) => t.outcome === 'committed').length,
      aborted: txns.filter((t) => t.outcome === 'aborted').length,
      unknown: txns.filter((t) => t.outcome === 'unknown').length,
    },
    abortedSeenUncommitted,
    committedMissingUncommitted,
    txnErrors,
    divergence,
    reads: reads.length,
    durationMs: Date.now() - started,
  };
}

/**
 * Once every broker is up, in every ISR and the traffic has stopped, the replicas of each
 * partition must hold the same batches: waits (up to 30 s) for their logs to end at the same
 * offset, then compares them batch by batch.
 */
async function replicasDiverge(cluster: ProcessCluster, topics: [string, number][]): Promise<string[]> {
  const dirs = new Map(cluster.brokers.flatMap((b, i) => (b ? [[i + 1, b.dataDir] as [number, string]] : [])));
  let problems: string[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    problems = topics.flatMap(([topic, n]) => Array.from({ length: n }, (_, p) => divergence(dirs, topic, p)).flat());
    if (problems.length === 0 || Date.now() > deadline) return problems;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** "value at partition:offset (after …, before …)" in `reads`, or "value absent". */
function locate(reads: Read[], value: string): string {
  const at = reads.find((r) => r.value === value);
  if (!at) return `${value} absent`;
  const same = reads.filter((r) => r.partition === at.partition).sort((a, b) => a.offset - b.offset);
  const i = same.indexOf(at);
  return `${value} at ${at.partition}:${at.offset} (after ${same[i - 1]?.value ?? '-'}, before ${same[i + 1]?.value ?? '-'})`;
}

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every live broker says every partition has a leader and at least `min` ISR members (including `member`, when given). */
export async function waitIsr(cluster: ProcessCluster, topic: string, min: number, member?: number, timeoutMs = 60_000): Promise<void> {
  let last = '';
  try {
    await cluster.waitFor(`ISR of ${min}${member ? ` with broker ${member}` : ''} on every partition of ${topic}`, async () => {
      const ids = cluster.liveIds();
      const views = await Promise.all(ids.map((id) => cluster.partitionsOn(id, topic)));
      last = ids.map((id, i) => `broker ${id}: ${JSON.stringify(views[i]?.map((p) => [p.leader, p.leaderEpoch, p.isr.join('')]))}`).join('\n');
      return views.every((v) => v !== undefined && v.length > 0 && v.every((p) => p.leader >= 0 && p.isr.length >= min && (member === undefined || p.isr.includes(member))));
    }, timeoutMs);
  } catch (err) {
    const tails = cluster.liveIds().map((id) => `--- broker ${id} log tail ---\n${cluster.brokers[id - 1]!.logs().split('\n').filter((l) => !l.includes('"level":"debug"')).slice(-25).join('\n')}`);
    throw new Error(`${(err as Error).message}; last seen [leader, epoch, isr] per partition:\n${last}\n${tails.join('\n')}`);
  }
}

/** Reads a whole topic with a fresh kafkajs consumer group until `done` holds and nothing new came for a while. */
async function readAll(cluster: ProcessCluster, topic: string, partitions: number, uncommitted: boolean, done: (got: Set<string>) => boolean): Promise<Read[]> {
  const kafka = kafkaFor(cluster, `jepsen-reader-${topic}`);
  const consumer = kafka.consumer({ groupId: `jepsen-check-${topic}-${uncommitted ? 'ru' : 'rc'}-${Date.now()}`, readUncommitted: uncommitted, maxWaitTimeInMs: 200 });
  const reads: Read[] = [];
  const got = new Set<string>();
  let lastAt = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const value = message.value!.toString();
        reads.push({ partition, offset: Number(message.offset), value });
        got.add(value);
        lastAt = Date.now();
      },
    });
    const deadline = Date.now() + 60_000;
    void partitions;
    while (Date.now() < deadline && !(done(got) && Date.now() - lastAt > 1_500)) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await consumer.disconnect();
  }
  return reads;
}

export type { ProcessCluster };
