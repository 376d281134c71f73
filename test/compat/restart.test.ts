// Durability seen from a real client: what librdkafka (confluent-kafka-python) had acknowledged is
// read back byte-identical — keys, values, headers, timestamps, offsets — after a clean restart
// (SIGTERM) and after a crash (SIGKILL) on the same data dir, and the log continues at the right
// offset afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { readPartitionBatches } from './support/segment-batches.js';
import { compressibleValue, hex, requirePythonModule, runPy, uniqueTopic } from './support/tools.js';

type OpResult = Record<string, any> & { op: string; error?: string; trace?: string };

let broker: SpawnedBroker;

beforeAll(async () => {
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  broker = await spawnBroker({ overrides: { 'num.partitions': '3' } });
});

afterAll(async () => {
  await broker?.cleanup();
});

async function ck(...ops: Array<Record<string, unknown>>): Promise<OpResult[]> {
  const { results } = await runPy<{ results: OpResult[] }>('ck.py', { bootstrap: broker.bootstrap, ops }, 45_000);
  for (const r of results) expect(r.error, `${r.op}: ${r.error}\n${r.trace ?? ''}`).toBeUndefined();
  return results;
}

const T0 = Date.now() - 600_000;
const CODEC_BY_PARTITION = ['gzip', 'zstd', 'none'] as const;

function messages(n: number, phase: string, firstTs: number) {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 5 === 4 ? null : hex(Buffer.from([i, 0, 255, ...Buffer.from(`${phase}-${i}`)])),
    value: i % 7 === 6 ? null : hex(Buffer.from(compressibleValue(i, phase))),
    headers: [
      ['phase', hex(Buffer.from(phase))],
      ['bin', hex(Buffer.from([255, 0, i]))],
    ],
    timestamp: firstTs + i,
  }));
}

/** Produces `n` messages to each partition (a different codec per partition); asserts all acked. */
async function produceAll(topic: string, n: number, phase: string, firstTs: number): Promise<void> {
  const results = await ck(
    ...CODEC_BY_PARTITION.map((codec, p) => ({ op: 'produce', topic, partition: p, compression: codec, messages: messages(n, phase, firstTs) })),
  );
  for (const r of results) {
    expect(r.unflushed).toBe(0);
    expect((r.reports as Array<{ error: unknown }>).every((x) => x.error === null), JSON.stringify(r.reports).slice(0, 1000)).toBe(true);
  }
}

/** Everything in every partition, as JSON (keys/values/headers hex, offsets, timestamps). */
async function readAll(topic: string): Promise<string[]> {
  const [r] = await ck({ op: 'consume', topic, partitions: CODEC_BY_PARTITION.map((_, p) => p), offset: 'beginning' });
  expect(r!.eof).toBe(true);
  expect(r!.errors).toEqual([]);
  const messages = r!.messages as Array<{ partition: number }>;
  return CODEC_BY_PARTITION.map((_, p) => JSON.stringify(messages.filter((m) => m.partition === p)));
}

describe('broker restart (confluent-kafka-python)', () => {
  it('keeps every acknowledged record byte-identical across SIGTERM and SIGKILL restarts', async () => {
    const topic = uniqueTopic('restart');
    await produceAll(topic, 40, 'one', T0);
    const before = await readAll(topic);
    expect(before.map((p) => JSON.parse(p).length)).toEqual([40, 40, 40]);
    const diskBefore = await Promise.all(CODEC_BY_PARTITION.map((_, p) => readPartitionBatches(broker.dataDir, topic, p)));

    broker = await broker.restart({ signal: 'SIGTERM' });
    const afterTerm = await readAll(topic);
    expect(afterTerm).toEqual(before);
    // The files themselves are unchanged by a clean restart (no rewrite, no truncation).
    const diskAfter = await Promise.all(CODEC_BY_PARTITION.map((_, p) => readPartitionBatches(broker.dataDir, topic, p)));
    expect(diskAfter.map((bs) => bs.map((b) => [b.baseOffset, b.codec, b.recordCount, b.crcOk]))).toEqual(
      diskBefore.map((bs) => bs.map((b) => [b.baseOffset, b.codec, b.recordCount, b.crcOk])),
    );

    // Acknowledged with acks=all, then the process dies without any chance to flush or close.
    await produceAll(topic, 25, 'two', T0 + 1000);
    const acked = await readAll(topic);
    expect(acked.map((p) => JSON.parse(p).length)).toEqual([65, 65, 65]);
    broker = await broker.restart({ signal: 'SIGKILL' });
    expect(await readAll(topic)).toEqual(acked);

    // The log continues at the right offsets, and the watermarks agree.
    await produceAll(topic, 1, 'three', T0 + 2000);
    const [wm0, wm1, wm2] = await ck(...CODEC_BY_PARTITION.map((_, p) => ({ op: 'watermarks', topic, partition: p })));
    expect([wm0, wm1, wm2].map((w) => [w!.low, w!.high])).toEqual([
      [0, 66],
      [0, 66],
      [0, 66],
    ]);
    for (const p of await readAll(topic)) expect(JSON.parse(p).at(-1).offset).toBe(65);
  });

  it('exits cleanly (code 0) on SIGTERM and restarts on the same port', async () => {
    const previous = broker;
    broker = await broker.restart({ signal: 'SIGTERM' });
    expect(previous.exitStatus(), previous.logs().slice(-4000)).toEqual({ code: 0, signal: null });
    expect(broker.port).toBe(previous.port);
    expect(broker.dataDir).toBe(previous.dataDir);
    const [list] = await ck({ op: 'list_topics' });
    expect(list!.brokers).toEqual([{ id: 1, host: '127.0.0.1', port: broker.port }]);
  });
});
