// The client-side commands run as real processes (`node bin/tributary.js ...`) against an
// in-process broker on port 0; kafkajs plays an application's consumer group.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kafkajs } from '../helpers/clients.js';

const javaMurmur2 = createRequire(import.meta.url)('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/tributary.js');

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker({ 'group.initial.rebalance.delay.ms': '0' });
});
afterAll(async () => {
  await tb?.cleanup();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI asynchronously (the broker lives in this process and must keep serving). */
function cli(args: string[], opts: { stdin?: string; bootstrap?: boolean } = {}): Promise<Run> {
  const t0 = Date.now();
  const full = opts.bootstrap === false ? args : [...args, '--bootstrap-server', tb.bootstrap];
  const child = spawn(process.execPath, [bin, ...full], { cwd: root, env: { PATH: process.env.PATH } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(opts.stdin ?? '');
  return new Promise((resolve) =>
    child.on('close', (code) => {
      if (process.env.CLI_TEST_TIMES) console.log(`${Date.now() - t0} ms: ${args.join(' ')}`);
      resolve({ code, stdout, stderr });
    }),
  );
}

const json = (r: Run) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe('tributary topic / produce / consume / group', () => {
  it('runs the whole life of a topic and a group', async () => {
    let r = await cli(['topic', 'create', 'orders', '--partitions', '3', '-c', 'retention.ms=3600000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^orders\s+OK$/m);

    r = await cli(['topic', 'create', 'orders']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('TOPIC_ALREADY_EXISTS');
    expect((await cli(['topic', 'create', 'orders', '--if-not-exists'])).code).toBe(0);

    const listed = json(await cli(['topic', 'list', '--json']));
    expect(listed).toContainEqual(expect.objectContaining({ name: 'orders', partitions: 3 }));

    r = await cli(['topic', 'alter-config', 'orders', '--set', 'cleanup.policy=compact,delete']);
    expect(r.code, r.stderr).toBe(0);
    const [described] = json(await cli(['topic', 'describe', 'orders', '--json']));
    expect(described.partitions.map((p: { partition: number }) => p.partition)).toEqual([0, 1, 2]);
    expect(described.configs).toContainEqual(expect.objectContaining({ name: 'retention.ms', value: '3600000', source: 'TOPIC_CONFIG' }));
    expect(described.configs).toContainEqual(expect.objectContaining({ name: 'cleanup.policy', value: 'compact,delete' }));
    r = await cli(['topic', 'describe', 'orders']);
    expect(r.stdout).toMatch(/PARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+ISR\s+LOG-START-OFFSET\s+HIGH-WATERMARK/);

    r = await cli(['produce', 'orders', '--key-separator', ':', '-H', 'source=cli'], { stdin: 'k1:one\nk2:two\nk3:three\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Produced 3 records to orders/);
    r = await cli(['produce', 'orders', '--format', 'json', '--json'], { stdin: '{"key":"k4","value":{"n":4},"headers":{"h":"x"},"partition":1}\n' });
    expect(json(r)).toEqual({ topic: 'orders', records: 1, partitions: [{ partition: 1, firstOffset: expect.any(Number), lastOffset: expect.any(Number) }] });

    r = await cli(['consume', 'orders', '--from-beginning', '--num', '4', '--format', '%k=%v %h']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['k1=one source=cli', 'k2=two source=cli', 'k3=three source=cli', 'k4={"n":4} h=x']);
    // Without --num it stops at the end of the log as it was at start.
    r = await cli(['consume', 'orders', '--from-beginning', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records).toHaveLength(4);
    expect(records.find((x: { key: string }) => x.key === 'k2')).toMatchObject({ topic: 'orders', value: 'two', headers: { source: 'cli' } });
    // Each key lands where the Java client's partitioner puts it (kafkajs has its murmur2).
    for (const k of ['k1', 'k2', 'k3']) expect(records.find((x: { key: string }) => x.key === k).partition).toBe((javaMurmur2(Buffer.from(k)) & 0x7fffffff) % 3);
    r = await cli(['consume', 'orders', '--partition', '1', '--offset', '-1']);
    expect(r.stdout).toBe('{"n":4}\n');

    // An application's group (kafkajs) reads everything and commits.
    const kafka = kafkajs(tb.bootstrap, { clientId: 'cli-test' });
    const consumer = kafka.consumer({ groupId: 'billing' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    let seen = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
          if (++seen === 4) resolve();
        },
      });
    });
    await done;
    let [g] = json(await cli(['group', 'describe', 'billing', '--json']));
    expect(g.state).toBe('STABLE');
    expect(g.members).toBe(1);
    expect(g.totalLag).toBe(0);
    expect(g.partitions.every((p: { memberId: string | null }) => p.memberId)).toBe(true);
    // A reset is refused while the group has members (exit 1, Kafka's wording).
    r = await cli(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest', '--execute']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("can only be reset if the group 'billing' is inactive");
    await consumer.disconnect();

    // The topic is compacted now: Kafka rejects records without a key there (INVALID_RECORD).
    r = await cli(['produce', 'orders', '--partition', '2'], { stdin: 'a\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('INVALID_RECORD');
    r = await cli(['produce', 'orders', '--partition', '2', '--key-separator', ':'], { stdin: 'ka:a\nkb:b\n' });
    expect(r.code, r.stderr).toBe(0);
    [g] = json(await cli(['group', 'describe', 'billing', '--json']));
    expect(g.totalLag).toBe(2);
    const p2 = g.partitions.find((p: { partition: number }) => p.partition === 2);
    expect(p2.lag).toBe(2);
    expect(p2.logEndOffset - p2.committedOffset).toBe(2);
    r = await cli(['group', 'describe', 'billing']);
    expect(r.stdout).toMatch(/TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG/);
    expect(r.stdout).toMatch(/^orders\s+2\s+\d+\s+\d+\s+2\s/m);

    // Dry run: a plan, nothing committed.
    const plan = json(await cli(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest', '--json']));
    expect(plan.executed).toBe(false);
    expect(plan.partitions.map((x: { newOffset: number }) => x.newOffset)).toEqual([0, 0, 0]);
    [g] = json(await cli(['group', 'describe', 'billing', '--json']));
    expect(g.totalLag).toBe(2);
    r = await cli(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest', '--execute']);
    expect(r.code, r.stderr).toBe(0);
    [g] = json(await cli(['group', 'describe', 'billing', '--json']));
    expect(g.totalLag).toBe(6);
    // consume --group resumes from the committed offsets and commits what it printed.
    r = await cli(['consume', 'orders', '--group', 'billing', '--partition', '2', '--format', '%v']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').slice(-2)).toEqual(['a', 'b']);
    [g] = json(await cli(['group', 'describe', 'billing', '--json']));
    expect(g.partitions.find((p: { partition: number }) => p.partition === 2).lag).toBe(0);

    expect(json(await cli(['group', 'list', '--json'])).map((x: { group: string }) => x.group)).toContain('billing');
    r = await cli(['group', 'delete', 'billing']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(await cli(['group', 'list', '--json'])).map((x: { group: string }) => x.group)).not.toContain('billing');
    r = await cli(['group', 'describe', 'billing']);
    expect(r.code).toBe(1);

    r = await cli(['topic', 'delete', 'orders']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(await cli(['topic', 'list', '--json'])).map((x: { name: string }) => x.name)).not.toContain('orders');
  }, 240_000); // ~35 CLI processes, each starting Node and tsx

  it.each([{ flags: ['--follow'], what: '--follow' }, { flags: [], what: 'with no start position (tails)' }])('consume $what prints records produced later and exits 0 on SIGINT', async ({ flags }) => {
    const topic = `live${flags.length}`;
    expect((await cli(['topic', 'create', topic, '-p', '1'])).code).toBe(0);
    const child = spawn(process.execPath, [bin, 'consume', topic, ...flags, '--bootstrap-server', tb.bootstrap], { cwd: root, env: { PATH: process.env.PATH } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The consumer starts at the end: keep producing until one of them shows up.
    for (let i = 0; i < 40 && !out.includes('hello'); i++) {
      await cli(['produce', topic], { stdin: `hello ${i}\n` });
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(out).toMatch(/hello \d+/);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('gives usage errors exit code 2 and cluster errors exit code 1', async () => {
    let r = await cli(['topic', 'create']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('create needs a topic name');
    r = await cli(['consume', 'x', '--from-beginning', '--offset', '3']);
    expect(r.code).toBe(2);
    r = await cli(['produce', 'x', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --bogus');
    r = await cli(['topic', 'describe', 'no-such-topic']);
    expect(r.code).toBe(1);
    r = await cli(['produce', 'no-such-topic'], { stdin: 'x\n' });
    expect(r.code).toBe(1);
    r = await cli(['cluster', 'info', '--bootstrap-server', '127.0.0.1:1'], { bootstrap: false });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:1/);
  });

  it('cluster info names the cluster and its broker', async () => {
    const info = json(await cli(['cluster', 'info', '--json']));
    expect(info.brokers).toEqual([expect.objectContaining({ host: '127.0.0.1', port: tb.port })]);
    expect(typeof info.clusterId).toBe('string');
    expect(info.controllerId).toBe(info.brokers[0].id);
  });
});

describe('tributary bench', () => {
  it('bench produce for 2 s prints a summary line with MB/s and p99, and writes a report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'));
    try {
      const report = path.join(dir, 'r.html');
      const r = await cli(['bench', 'produce', '--topic', 'bench-t', '--record-size', '512', '--duration', '2s', '--report', report]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^produce: \d+ records in 2\.\ds, [\d.]+ records\/s, [\d.]+ MB\/s, ack latency ms p50 [\d.]+ p95 [\d.]+ p99 [\d.]+ p99\.9 [\d.]+ max [\d.]+, errors 0\n$/);
      const html = fs.readFileSync(report, 'utf8');
      expect(html.match(/<svg /g)).toHaveLength(3);
      expect(html).toContain('Latency by percentile');

      // The topic now holds what was produced: consume reads it back, e2e measures send-to-receipt.
      const c = json(await cli(['bench', 'consume', '--topic', 'bench-t', '--duration', '1s', '--json']));
      expect(c.records).toBeGreaterThan(0);
      const svg = path.join(dir, 'e2e.svg');
      const e = json(await cli(['bench', 'e2e', '--topic', 'bench-e2e', '--rate', '500', '--duration', '2s', '--json', '--report', svg]));
      expect(e.latencyKind).toBe('end-to-end');
      expect(e.records).toBeGreaterThan(200);
      expect(e.latencyMs.p99).toBeGreaterThan(0);
      expect(e.latencyMs.p50).toBeLessThanOrEqual(e.latencyMs.p99);
      expect(e.timeline.length).toBeGreaterThanOrEqual(2);
      expect(fs.readFileSync(svg, 'utf8')).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<path d="M/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad mode or duration with exit code 2', async () => {
    expect((await cli(['bench', 'fly'])).code).toBe(2);
    expect((await cli(['bench', 'produce', '--duration', 'soon'])).code).toBe(2);
  });
});
