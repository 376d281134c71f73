// Real non-JavaScript clients across a leader change (issue 13): three brokers, RF 3,
// min.insync.replicas=2; sarama (Go, clients-sarama/) and confluent-kafka-python (librdkafka,
// idempotent; clients-ck-failover.py) produce acks=all one record at a time while the partition's
// leader is killed (no controlled shutdown: its lease expires), carry on against the new leader,
// then read the partition back: every acknowledged record is there at its acknowledged offset
// (and once, for the idempotent producer). kcat (librdkafka) reads the same partition as a check.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { requireCommand, run } from '../compat/support/tools.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const COUNT = 60;
const KILL_AFTER = 15;

let cluster: TestCluster;

beforeEach(async () => {
  cluster = await startCluster(3, {
    'min.insync.replicas': '2',
    'replica.lag.time.max.ms': '3000',
    'replica.fetch.backoff.ms': '100',
    'group.initial.rebalance.delay.ms': '0',
  });
});
afterEach(async () => {
  await cluster?.close();
});

interface Outcome {
  acked: { value: string; offset: number }[];
  failed: string[];
  consumed: { offset: number; value: string }[];
  victim: number;
  ackedBeforeKill: number;
}

async function createTopic(topic: string): Promise<number> {
  const admin = new Kafka({ clientId: 'clients-admin', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const state = () => cluster.byId(1).broker.partitionManager.partition(topic, 0);
  await cluster.waitFor(`${topic}-0 with a leader and a full ISR`, () => (state()?.leaderId ?? -1) >= 0 && state()!.isr.length === 3);
  return state()!.leaderId;
}

/** Runs a client program that prints one JSON line per event; kills the leader after KILL_AFTER acks. */
async function runAcrossKill(cmd: string, args: string[], topic: string, env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  const victim = await createTopic(topic);
  const out: Outcome = { acked: [], failed: [], consumed: [], victim, ackedBeforeKill: -1 };
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  let pending = '';
  let done = false;
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-20_000)));
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    pending += s;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const ev = JSON.parse(line) as { acked?: string; offset?: number; failed?: string; done?: boolean; consumed?: Outcome['consumed']; fatal?: string };
      if (ev.acked !== undefined) out.acked.push({ value: ev.acked, offset: Number(ev.offset) });
      if (ev.failed !== undefined) out.failed.push(ev.failed);
      if (ev.done) {
        done = true;
        out.consumed = ev.consumed ?? [];
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await cluster.waitFor(`${KILL_AFTER} acknowledgements from ${path.basename(cmd)}`, () => out.acked.length >= KILL_AFTER || child.exitCode !== null, 60_000);
    out.ackedBeforeKill = out.acked.length;
    await cluster.kill(victim);
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 150_000))]);
    expect(code, `client exit; stderr:\n${stderr}`).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  expect(done, `client finished its read; stderr:\n${stderr}`).toBe(true);
  return out;
}

function expectNoLoss(o: Outcome, topic: string, opts: { once: boolean }): void {
  const survivor = [1, 2, 3].find((id) => id !== o.victim)!;
  const after = cluster.byId(survivor).broker.partitionManager.partition(topic, 0)!;
  // Leadership did move, and the producer went on under the new leader.
  expect(after.leaderId).toBeGreaterThanOrEqual(0);
  expect(after.leaderId).not.toBe(o.victim);
  expect(o.ackedBeforeKill).toBeGreaterThanOrEqual(KILL_AFTER);
  expect(o.ackedBeforeKill).toBeLessThan(COUNT);
  expect(o.acked.length - o.ackedBeforeKill).toBeGreaterThanOrEqual(20);
  const at = new Map(o.consumed.map((c) => [c.offset, c.value]));
  expect(at.size, 'each offset read once').toBe(o.consumed.length);
  // Zero acknowledged records lost, each where it was acknowledged.
  const lost = o.acked.filter((a) => at.get(a.offset) !== a.value);
  expect(lost, `acknowledged but not read back at their offset (failed sends: ${o.failed.length})`).toEqual([]);
  if (opts.once) {
    const values = o.consumed.map((c) => c.value);
    expect(new Set(values).size, 'no duplicate from the idempotent producer').toBe(values.length);
  }
}

describe('sarama across a leader kill (RF 3, min.insync.replicas=2)', () => {
  let built: { bin: string; dir: string } | undefined;
  afterEach(() => {
    if (built) fs.rmSync(built.dir, { recursive: true, force: true });
  });

  it('acks=all records acknowledged before and after the kill are all read back', async () => {
    requireCommand('go', ['version'], 'golang-go golang-github-shopify-sarama-dev');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sarama-failover-'));
    built = { bin: path.join(dir, 'sarama-failover'), dir };
    // Asynchronously: the brokers run in this process (a blocked event loop would expire their leases).
    const b = await run('go', ['build', '-C', path.join(HERE, 'clients-sarama'), '-o', built.bin, '.'], {
      timeoutMs: 180_000,
      env: { GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOPROXY: 'off', GOFLAGS: '' },
    });
    expect(b.code, `go build failed:\n${b.stderr}`).toBe(0);
    const o = await runAcrossKill(built.bin, [JSON.stringify({ bootstrap: cluster.bootstrap(), topic: 'sarama-fo', count: COUNT, pauseMs: 30 })], 'sarama-fo');
    expectNoLoss(o, 'sarama-fo', { once: false });
  }, 300_000);
});

describe('confluent-kafka-python (librdkafka) and kcat across a leader kill (RF 3, min.insync.replicas=2)', () => {
  it('an idempotent acks=all producer loses nothing and duplicates nothing; kcat reads the same records', async () => {
    const o = await runAcrossKill(PYTHON, [path.join(HERE, 'clients-ck-failover.py'), JSON.stringify({ bootstrap: cluster.bootstrap(), topic: 'ck-fo', count: COUNT, pauseMs: 30, idempotent: true })], 'ck-fo');
    expectNoLoss(o, 'ck-fo', { once: true });

    requireCommand('kcat', ['-V'], 'kcat');
    const k = await run('kcat', ['-C', '-b', cluster.bootstrap(), '-t', 'ck-fo', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %s\\n'], { timeoutMs: 60_000 });
    expect(k.code, k.stderr).toBe(0);
    const kcat = new Map(
      k.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([off, v]) => [Number(off), v] as const),
    );
    for (const a of o.acked) expect(kcat.get(a.offset)).toBe(a.value);
  }, 300_000);
});
