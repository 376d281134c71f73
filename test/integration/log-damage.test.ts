// Issue 10, items 3 and 4, end to end: a broker on port 0 (in-process, its JSON log lines
// captured), real clients (kafkajs produces, @platformatic/kafka and kcat consume, the raw client
// shows the exact Fetch error code), segment files damaged while the broker was cleanly stopped,
// and `tributary log check` run through the CLI entry point.
import { open, readdir, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { type Producer } from 'kafkajs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { fetchAll } from '../helpers/fetch-all.js';
import { RawClient } from '../helpers/raw-client.js';
import { runCli } from '../../src/cli/main.js';
import { startBroker } from '../../src/broker.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { createLogger } from '../../src/logging/logger.js';
import { explain, requireCommand, run } from '../compat/support/tools.js';
import { kafkajs } from '../helpers/clients.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

interface RunningBroker {
  port: number;
  bootstrap: string;
  dataDir: string;
  /** JSON log lines (warn and above) of this run. */
  logs(): string;
  /** Clean shutdown (flush, checkpoints, clean-shutdown marker); keeps the data. */
  stop(): Promise<void>;
  /** A new broker on the same data dir, with extra `key=value` overrides. */
  restart(extra?: string[]): Promise<RunningBroker>;
}

async function startOn(dataDir: string, extra: string[] = []): Promise<RunningBroker> {
  let text = '';
  const config = loadBrokerConfig({ overrides: [`log.dirs=${dataDir}`, 'listeners=PLAINTEXT://127.0.0.1:0', 'num.partitions=1', ...extra], env: {} });
  const started = await startBroker(config, createLogger({ level: 'warn', format: 'json', stream: { write: (l: string) => void (text += l) } }));
  let stopped = false;
  const b: RunningBroker = {
    port: started.port,
    bootstrap: `127.0.0.1:${started.port}`,
    dataDir,
    logs: () => text,
    async stop() {
      if (!stopped) await started.close();
      stopped = true;
    },
    async restart(extra: string[] = []) {
      await b.stop();
      return startOn(dataDir, extra);
    },
  };
  running = b;
  return b;
}

let running: RunningBroker | null = null;
let dataDir: string | null = null;

async function startFresh(): Promise<RunningBroker> {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-damage-'));
  return startOn(dataDir);
}

afterEach(async () => {
  await running?.stop();
  running = null;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  dataDir = null;
});

type LogLine = { level: string; msg: string } & Record<string, unknown>;
function logLines(b: RunningBroker): LogLine[] {
  return b
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

const value = (i: number) => `value-${i}-`.padEnd(150, 'x');

/** Creates the topic and produces `n` records one send (= one batch) at a time; returns the producer. */
async function produceRecords(b: RunningBroker, topic: string, n: number): Promise<void> {
  const kafka = kafkajs(b.bootstrap, { clientId: 'log-damage' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < n; i++) {
    const [r] = await producer.send({ topic, acks: -1, messages: [{ value: value(i) }] });
    expect(r!.baseOffset).toBe(String(i));
  }
  await producer.disconnect();
}

async function produceOne(b: RunningBroker, topic: string): Promise<number> {
  const kafka = kafkajs(b.bootstrap, { clientId: 'log-damage-after' });
  const producer: Producer = kafka.producer();
  await producer.connect();
  try {
    const [r] = await producer.send({ topic, acks: -1, messages: [{ value: 'after-restart' }] });
    return Number(r!.baseOffset);
  } finally {
    await producer.disconnect();
  }
}

async function segmentOf(b: RunningBroker, topic: string): Promise<string> {
  const dir = path.join(b.dataDir, `${topic}-0`);
  const logs = (await readdir(dir)).filter((n) => n.endsWith('.log'));
  expect(logs).toEqual(['00000000000000000000.log']);
  return path.join(dir, logs[0]!);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('segment truncated while the broker was stopped', () => {
  it('warns with the bytes lost, serves the surviving records intact and never reuses an offset', async () => {
    const topic = 'damage-truncated';
    let broker = await startFresh();
    await produceRecords(broker, topic, 40);
    await broker.stop();
    const seg = await segmentOf(broker, topic);
    await truncate(seg, Math.floor((await stat(seg)).size * 0.3) + 7);

    broker = await broker.restart();
    const lines = logLines(broker);
    const recovered = lines.filter((l) => l.msg.startsWith('recovered log segment'));
    expect(recovered, broker.logs()).toHaveLength(1);
    expect(recovered[0]!.level).toBe('warn');
    expect(recovered[0]!.truncatedBytes).toBeGreaterThan(0);
    const lost = lines.filter((l) => l.msg.startsWith('log damage lost offsets'));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ level: 'error', lostToOffset: 39 });

    const survivors = await fetchAll(broker.bootstrap, topic, 0);
    expect(survivors.length).toBeGreaterThan(0);
    expect(survivors.map((r) => Number(r.offset))).toEqual(range(0, survivors.length));
    expect(survivors.map((r) => r.value)).toEqual(range(0, survivors.length).map(value));
    expect(lost[0]!.lostFromOffset).toBe(survivors.length);

    expect(await produceOne(broker, topic)).toBe(40);
    const after = await fetchAll(broker.bootstrap, topic, 0);
    expect(after.map((r) => Number(r.offset))).toEqual([...range(0, survivors.length), 40]);
  }, 60_000);
});

describe('corruption in the middle of a segment', () => {
  it('consumers get the records before the damage, then CORRUPT_MESSAGE; log check --repair cuts there without reusing offsets', async () => {
    requireCommand('kcat', ['-V'], 'kcat');
    const topic = 'damage-middle';
    const n = 160;
    let broker = await startFresh();
    await produceRecords(broker, topic, n);
    await broker.stop();
    const seg = await segmentOf(broker, topic);
    const fh = await open(seg, 'r+');
    await fh.write(Buffer.alloc(64, 0x7b), 0, 64, Math.floor((await fh.stat()).size / 2));
    await fh.close();

    broker = await broker.restart();
    const c = await RawClient.connect(broker.port);
    let good = 0;
    let answer: { errorCode: number; highWatermark: bigint | number } | null = null;
    try {
      // Fetch v12 from 0 until the broker answers something other than records.
      const fetch = async (offset: number) => {
        const r = await c.send(1, 12, {
          replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
          forgottenTopicsData: [], rackId: '',
        });
        return r.responses[0].partitions[0];
      };
      for (let i = 0; i < 20; i++) {
        const p = await fetch(good);
        if (p.errorCode !== 0 || !p.records || p.records.length === 0) {
          answer = p;
          break;
        }
        let pos = 0;
        const buf: Buffer = p.records;
        while (pos + 61 <= buf.length) {
          const base = Number(buf.readBigInt64BE(pos));
          expect(base).toBe(good);
          good = base + buf.readInt32BE(pos + 23) + 1;
          pos += 12 + buf.readInt32BE(pos + 8);
        }
      }
      expect(answer, 'the fetch must not stall silently at the damage').not.toBeNull();
      expect(answer!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
      expect(good).toBeGreaterThan(10);
      expect(good).toBeLessThan(n);
      // Retrying gets the same error, not an empty answer.
      expect((await fetch(good)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    } finally {
      c.close();
    }
    const corrupt = logLines(broker).filter((l) => l.msg.startsWith('corrupt batch'));
    expect(corrupt).toHaveLength(1);
    expect(corrupt[0]).toMatchObject({ level: 'error', topic, partition: 0, offset: good, segment: seg });

    // kcat (librdkafka) hands the error to the application after the good records (it would only
    // re-query the leader, silently, on KAFKA_STORAGE_ERROR).
    let sawError: () => void = () => {};
    const errorSeen = new Promise<void>((r) => (sawError = r));
    // -u: unbuffered output, as kcat is killed once the error shows.
    const kcat = run('kcat', ['-b', broker.bootstrap, '-C', '-u', '-t', topic, '-p', '0', '-o', 'beginning', '-f', '%o\\n'], {
      timeoutMs: 30_000,
      // librdkafka names error code 2 (CORRUPT_MESSAGE) "Invalid message".
      onStderr: (s) => /Fetch from broker \d+ failed: Broker: Invalid message/.test(s) && sawError(),
    });
    await Promise.race([errorSeen, kcat]);
    kcat.kill();
    const k = await kcat;
    expect(k.stderr, explain('kcat -C', k)).toMatch(/Fetch from broker \d+ failed: Broker: Invalid message/);
    expect(k.stdout.split('\n').filter(Boolean).map(Number), explain('kcat -C', k)).toEqual(range(0, good));

    await broker.stop();
    // The CLI as `tributary log check` runs it (in-process: a second tsx start costs seconds).
    const cli = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['log', 'check', '--log-dirs', broker.dataDir, ...args], {
        stdout: (t) => void (stdout += t),
        stderr: (t) => void (stderr += t),
        env: {},
        onSignal: () => () => {},
        forceExit: () => {},
        helpText: () => '',
      });
      return { code, stdout, stderr, signal: null, timedOut: false };
    };
    const check = await cli([]);
    expect(check.code, explain('log check', check)).toBe(3);
    const m = /damage-middle-0: \S+ at offset (\d+) .* valid up to offset (\d+), log end was (\d+)/.exec(check.stdout);
    expect(m, check.stdout).not.toBeNull();
    const validEnd = Number(m![2]);
    expect(validEnd).toBeLessThanOrEqual(good);
    expect(validEnd).toBeGreaterThanOrEqual(good - 1); // the 64 bytes may also hit the previous batch's records (CRC)
    expect(Number(m![3])).toBe(n);
    const repair = await cli(['--repair']);
    expect(repair.code, explain('log check --repair', repair)).toBe(0);
    expect(repair.stdout).toContain(`new writes start at offset ${n}`);
    expect((await cli([])).code).toBe(0);

    broker = await broker.restart();
    const kept = await fetchAll(broker.bootstrap, topic, 0);
    expect(kept.map((r) => Number(r.offset))).toEqual(range(0, validEnd));
    expect(kept.map((r) => r.value)).toEqual(range(0, validEnd).map(value));
    expect(await produceOne(broker, topic)).toBe(n);
    expect(logLines(broker).filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  }, 90_000);

  it('tributary.log.recover.on.start=true finds it at startup instead: cut at the damage, warned, no offset reuse', async () => {
    const topic = 'damage-on-start';
    const n = 160;
    let broker = await startFresh();
    await produceRecords(broker, topic, n);
    await broker.stop();
    const seg = await segmentOf(broker, topic);
    const fh = await open(seg, 'r+');
    const at = Math.floor((await fh.stat()).size / 2);
    await fh.write(Buffer.alloc(64, 0x7b), 0, 64, at);
    await fh.close();

    broker = await broker.restart(['tributary.log.recover.on.start=true']);
    const lines = logLines(broker);
    const recovered = lines.filter((l) => l.msg.startsWith('recovered log segment'));
    expect(recovered, broker.logs()).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ level: 'warn', segment: seg, why: 'tributary.log.recover.on.start' });
    expect(recovered[0]!.validBytes).toBeLessThanOrEqual(at);
    const valid = recovered[0]!.nextOffset as number;
    expect(lines.filter((l) => l.msg.startsWith('log damage lost offsets'))[0]).toMatchObject({ lostFromOffset: valid, lostToOffset: n - 1 });
    const kept = await fetchAll(broker.bootstrap, topic, 0);
    expect(kept.map((r) => Number(r.offset))).toEqual(range(0, valid));
    expect(kept.map((r) => r.value)).toEqual(range(0, valid).map(value));
    expect(await produceOne(broker, topic)).toBe(n);
  }, 60_000);
});
