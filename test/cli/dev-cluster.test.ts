// `tributary dev-cluster` as users run it: a child process (`node bin/tributary.js dev-cluster
// --brokers 3 --port 0`), kafkajs producing and consuming through the bootstrap string it prints,
// a failover drill through the control command (`dev-cluster kill 2` as another process, produce
// carries on, `dev-cluster restart 2`, broker 2 back in every ISR), and Ctrl-C (SIGINT) exiting 0.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/spawned-broker.js';
import { waitFor } from '../helpers/wait.js';

const BIN = path.join(REPO_ROOT, 'bin/tributary.js');
let dir: string;
let child: ChildProcess;
let stdout = '';
let stderr = '';
let exited: Promise<number | null>;

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    c.once('exit', (code) => resolve({ code, stdout: out, stderr: err }));
  });
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-dev-cluster-'));
  child = spawn(
    process.execPath,
    [
      BIN, 'dev-cluster', '--brokers', '3', '--port', '0', '--data-dir', dir,
      // Short lease and lag times so the drill takes seconds.
      '--override', 'tributary.metadata.session.timeout.ms=2000',
      '--override', 'replica.lag.time.max.ms=3000',
      '--override', 'group.initial.rebalance.delay.ms=0',
      '--log-level', 'warn',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(() => /^bootstrap: /m.test(stdout) || child.exitCode !== null, 'the dev cluster printed its bootstrap string', 90_000);
  if (child.exitCode !== null) throw new Error(`dev-cluster exited ${child.exitCode}:\n${stdout}\n${stderr}`);
}, 100_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await fs.rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

function bootstrap(): string[] {
  return /^bootstrap: (\S+)$/m.exec(stdout)![1]!.split(',');
}

describe('tributary dev-cluster', () => {
  it('prints one line per broker on ephemeral ports, the control URL and the bootstrap string', () => {
    const lines = stdout.split('\n').filter((l) => /^ {2}broker \d /.test(l));
    expect(lines.map((l) => Number(/broker (\d+)/.exec(l)![1]))).toEqual([1, 2, 3]);
    const ports = bootstrap().map((a) => Number(a.split(':')[1]));
    expect(ports).toHaveLength(3);
    for (const p of ports) expect(p).toBeGreaterThan(0);
    expect(new Set(ports).size).toBe(3);
    expect(stdout).toMatch(/^control: {3}http:\/\/127\.0\.0\.1:\d+/m);
    expect(stdout).toContain('default.replication.factor=3 min.insync.replicas=2');
    // The same no-effect warning from three brokers is shown once.
    expect(stderr.split('offsets.topic.replication.factor').length - 1).toBeLessThanOrEqual(1);
  });

  it('serves kafkajs with RF 3 by default, survives kill 2, and takes broker 2 back into the ISR after restart 2', async () => {
    const kafka = new Kafka({ clientId: 'dev-cluster-test', brokers: bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100, maxRetryTime: 1000 } });
    const admin = kafka.admin();
    await admin.connect();
    // No replication factor given: the cluster default (3) applies.
    await admin.createTopics({ topics: [{ topic: 'drill', numPartitions: 3 }], waitForLeaders: true });
    const isrs = async () => (await admin.fetchTopicMetadata({ topics: ['drill'] })).topics[0]!.partitions;
    expect((await isrs()).map((p) => p.replicas.length)).toEqual([3, 3, 3]);

    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const send = (from: number) =>
      producer.send({ topic: 'drill', acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ partition: (from + i) % 3, value: `v${from + i}` })) });
    await send(0);

    const killed = await runCli(['dev-cluster', 'kill', '2', '--data-dir', dir]);
    expect(killed.stderr).toBe('');
    expect(killed.code).toBe(0);
    expect(killed.stdout).toMatch(/broker 2 killed/);
    // Produce continues once broker 2's lease expires and its partitions get new leaders.
    await send(30);
    await admin.disconnect();
    const admin2 = kafka.admin();
    await admin2.connect();
    const parts = async () => (await admin2.fetchTopicMetadata({ topics: ['drill'] })).topics[0]!.partitions;
    await waitFor(async () => (await parts()).every((p) => p.leader !== 2 && !p.isr.includes(2)), 'broker 2 out of every ISR', 30_000);
    await send(60);

    const restarted = await runCli(['dev-cluster', 'restart', '2', '--data-dir', dir]);
    expect(restarted.code).toBe(0);
    expect(restarted.stdout).toMatch(/broker 2 running/);
    await waitFor(async () => (await parts()).every((p) => p.isr.length === 3 && p.isr.includes(2)), 'broker 2 back in every ISR', 45_000);
    await send(90);
    await producer.disconnect();
    await admin2.disconnect();

    const consumer = kafka.consumer({ groupId: 'drill-readers' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'drill', fromBeginning: true });
    const seen = new Set<string>();
    await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
    await waitFor(() => seen.size === 120, 'every acknowledged record consumed', 60_000);
    await consumer.disconnect();
    expect([...seen].sort()).toEqual(Array.from({ length: 120 }, (_, i) => `v${i}`).sort());

    const status = await runCli(['dev-cluster', 'status', '--data-dir', dir, '--json']);
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { brokers: { state: string }[] }).brokers.map((b) => b.state)).toEqual(['running', 'running', 'running']);
  }, 240_000);

  it('stops cleanly on Ctrl-C (SIGINT) and exits 0', async () => {
    process.kill(child.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
    expect(code, `${stdout}\n${stderr.slice(-3000)}`).toBe(0);
    expect(stdout).toMatch(/^stopped$/m);
    await expect(fs.stat(path.join(dir, 'dev-cluster.json'))).rejects.toThrow();
  }, 70_000);
});
