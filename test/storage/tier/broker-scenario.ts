// End-to-end tiered storage against a real S3 server, shared by test/integration/tier-*.test.ts:
// an in-process broker, kafkajs producing, @platformatic/kafka raw fetch and kcat consuming.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Kafka, type Admin } from 'kafkajs';
import { expect } from 'vitest';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { listAll } from '../../../storage/tier/object-store.js';
import { S3ObjectStore } from '../../../storage/tier/s3-store.js';
import type { PartitionTierStatus } from '../../../storage/tier/tier-status.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { fetchAll } from '../../helpers/fetch-all.js';
import { tierStoreOverrides, type S3Server } from '../../helpers/s3-servers.js';
import { waitForValue as waitFor } from '../../helpers/wait.js';
import { kafkajs, pkConsumer } from '../../helpers/clients.js';

export const FAST_TIER: Record<string, string> = {
  'remote.log.manager.task.interval.ms': '100',
  'log.retention.check.interval.ms': '100',
  'remote.log.manager.task.retry.backoff.ms': '50',
  'remote.log.manager.task.retry.backoff.max.ms': '400',
  'tributary.tier.fetch.chunk.bytes': '4096',
  'tributary.tier.s3.request.timeout.ms': '3000',
};

export const TOPIC_CONFIGS: Record<string, string> = {
  'segment.bytes': '16384',
  'file.delete.delay.ms': '0',
  'retention.ms': '-1',
  'local.retention.ms': '0',
};

export function kafkaClient(bootstrap: string): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  return kafkajs(bootstrap, { clientId: 'tier-test', retry: { retries: 8, initialRetryTime: 100 } });
}

export function storeFor(server: S3Server, endpoint = server.endpoint, prefix = 'tier-test'): S3ObjectStore {
  return new S3ObjectStore({
    endpoint,
    bucket: server.bucket,
    prefix,
    forcePathStyle: true,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  });
}

export async function withAdmin<T>(bootstrap: string, fn: (a: Admin) => Promise<T>): Promise<T> {
  const admin = kafkaClient(bootstrap).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export function messageValue(i: number): string {
  return `value-${i}-${'abcdefghij'.repeat(5 + (i % 7))}`;
}

/** Produces messages [from, to) to partition 0, `perBatch` per request. */
export async function produceRange(bootstrap: string, topic: string, from: number, to: number, perBatch = 40): Promise<void> {
  const producer = kafkaClient(bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = from; i < to; i += perBatch) {
      const messages = [];
      for (let j = i; j < Math.min(to, i + perBatch); j++) messages.push({ key: `key-${j}`, value: messageValue(j), partition: 0 });
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Every batch of the partition from `from`, read through PartitionLog.read as Fetch does. */
export async function rawBytes(log: PartitionLog, from = 0): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = from;
  while (offset < log.highWatermark) {
    const r = await log.read(offset, 1 << 20, log.highWatermark, true);
    expect(r.error, `read at ${offset}`).toBeUndefined();
    expect(r.records.length, `read at ${offset}`).toBeGreaterThan(0);
    parts.push(r.records);
    // The last batch's end: walk the headers (baseOffset int64 @0, batchLength int32 @8, lastOffsetDelta int32 @23).
    let pos = 0;
    let next = offset;
    while (pos < r.records.length) {
      next = Number(r.records.readBigInt64BE(pos)) + r.records.readInt32BE(pos + 23) + 1;
      pos += 12 + r.records.readInt32BE(pos + 8);
    }
    offset = next;
  }
  return Buffer.concat(parts);
}

// The shared waitForValue under the name these tests use: waitFor(what, fn, timeoutMs).
export { waitFor };

export function tierStatus(tb: TestBroker, topic: string): PartitionTierStatus | undefined {
  return tb.broker.tier.status().partitions.find((p) => p.topic === topic && p.partition === 0);
}

/** Waits until every rolled segment is copied and the local copies are gone. */
export async function waitTiered(tb: TestBroker, topic: string, minRemote = 3): Promise<PartitionTierStatus> {
  return waitFor(`${topic} tiered out`, () => {
    const st = tierStatus(tb, topic);
    return st && st.lagSegments === 0 && st.remoteSegments >= minRemote && st.localLogStartOffset === st.copiedEndOffset ? st : null;
  });
}

export function kcatConsume(bootstrap: string, topic: string): Promise<{ offset: number; key: string; value: string }[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'kcat',
      ['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o|%k|%s\\n', '-X', 'fetch.wait.max.ms=100'],
      { timeout: 30_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`kcat failed: ${err.message}\n${stderr}`));
        resolve(
          stdout
            .split('\n')
            .filter((l) => l.length > 0)
            .map((l) => {
              const [o, k, v] = l.split('|');
              return { offset: Number(o), key: k!, value: v! };
            }),
        );
      },
    );
  });
}

export async function expectAllMessages(bootstrap: string, topic: string, count: number): Promise<void> {
  const fetched = await fetchAll(bootstrap, topic, 0);
  expect(fetched.length).toBe(count);
  fetched.forEach((m, i) => {
    expect(m.offset).toBe(BigInt(i));
    expect(m.key).toBe(`key-${i}`);
    expect(m.value).toBe(messageValue(i));
  });
  const viaKcat = await kcatConsume(bootstrap, topic);
  expect(viaKcat.length).toBe(count);
  viaKcat.forEach((m, i) => {
    expect(m.offset).toBe(i);
    expect(m.key).toBe(`key-${i}`);
    expect(m.value).toBe(messageValue(i));
  });
}

/** A fresh kafkajs consumer group reads the topic from the beginning until `count` records arrived. */
export async function kafkajsConsume(
  bootstrap: string,
  topic: string,
  count: number,
  opts: { readUncommitted?: boolean } = {},
): Promise<{ offset: number; key: string; value: string }[]> {
  const consumer = kafkaClient(bootstrap).consumer({ groupId: `tier-${topic}-${Date.now()}`, maxWaitTimeInMs: 100, readUncommitted: opts.readUncommitted ?? false });
  const seen: { offset: number; key: string; value: string }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ offset: Number(message.offset), key: message.key!.toString(), value: message.value!.toString() });
        if (seen.length >= count) done();
      },
    });
    await Promise.race([finished, new Promise((_, rej) => setTimeout(() => rej(new Error(`kafkajs consumed ${seen.length} of ${count}`)), 30_000))]);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** A kafkajs consumer group reading the topic from the beginning (offsets 0.. come from the store). */
export async function kafkajsConsumeAll(bootstrap: string, topic: string, count: number): Promise<void> {
  const seen = await kafkajsConsume(bootstrap, topic, count);
  expect(seen.length).toBe(count);
  seen.forEach((m, i) => {
    expect(m.offset).toBe(i);
    expect(m.key).toBe(`key-${i}`);
    expect(m.value).toBe(messageValue(i));
  });
}

export async function listOffset(bootstrap: string, topic: string, timestamp: bigint): Promise<bigint> {
  const consumer = pkConsumer(bootstrap, { clientId: 'tier-offsets' });
  try {
    const offsets = await consumer.listOffsets({ topics: [topic], timestamp });
    return offsets.get(topic)![0]!;
  } finally {
    await consumer.close();
  }
}

export async function localSegmentFiles(tb: TestBroker, topic: string): Promise<string[]> {
  const dir = path.join(tb.dataDir, `${topic}-0`);
  return (await fs.readdir(dir)).filter((n) => n.endsWith('.log')).sort();
}

/**
 * The whole story on one S3 server: produce with tiering off, turn it on, produce more while
 * copies run, wait until local copies are gone, then read everything from offset 0 (raw bytes
 * equal to the local bytes before tiering, raw fetch, kcat), ListOffsets, a broker restart, and
 * topic deletion removing the remote data.
 */
export async function endToEnd(server: S3Server, prefix: string): Promise<void> {
  const topic = `tiered-${prefix}`;
  const store = storeFor(server, server.endpoint, prefix);
  let tb = await startTestBroker({ ...tierStoreOverrides(server, server.endpoint, prefix), ...FAST_TIER });
  try {
    await withAdmin(tb.bootstrap, (a) =>
      a.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: Object.entries(TOPIC_CONFIGS).map(([name, value]) => ({ name, value })) }] }),
    );
    await produceRange(tb.bootstrap, topic, 0, 1200);
    const log = tb.broker.partition(topic, 0)!.log;
    const before = await rawBytes(log, 0);
    expect(log.segmentInfos().length).toBeGreaterThan(4);

    // Turning tiering on for an existing topic (AlterConfigs replaces the whole set).
    await withAdmin(tb.bootstrap, (a) =>
      a.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: topic, configEntries: Object.entries({ ...TOPIC_CONFIGS, 'remote.storage.enable': 'true' }).map(([name, value]) => ({ name, value })) }],
      }),
    );
    await produceRange(tb.bootstrap, topic, 1200, 2000);
    const st = await waitTiered(tb, topic, 5);
    expect(st.localLogStartOffset).toBeGreaterThan(1000);
    // Segment files leave the disk asynchronously after the log drops them: wait for them to agree.
    let localFiles = await localSegmentFiles(tb, topic);
    for (let i = 0; i < 100 && localFiles.length !== log.segmentInfos().length; i++) {
      await new Promise((r) => setTimeout(r, 50));
      localFiles = await localSegmentFiles(tb, topic);
    }
    expect(localFiles.length).toBe(log.segmentInfos().length);
    expect(localFiles.length).toBeLessThanOrEqual(2);
    const objects = await listAll(store, `${topic}-`);
    expect(objects.filter((o) => o.key.endsWith('.log')).length).toBe(st.remoteSegments);
    expect(objects.filter((o) => o.key.endsWith('.indexes')).length).toBe(st.remoteSegments);

    // Same bytes as the local reads before tiering, then every message through real clients.
    const after = await rawBytes(log, 0);
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
    await expectAllMessages(tb.bootstrap, topic, 2000);
    expect(await listOffset(tb.bootstrap, topic, -2n)).toBe(0n);
    expect(await listOffset(tb.bootstrap, topic, -4n)).toBe(BigInt(st.localLogStartOffset));
    expect(await listOffset(tb.bootstrap, topic, -5n)).toBe(BigInt(st.copiedEndOffset - 1));
    expect(await listOffset(tb.bootstrap, topic, -1n)).toBe(2000n);
    expect(tb.broker.tier.status().reads.bytesServed).toBeGreaterThan(0);

    // Restart: the manifest is loaded before the listeners open.
    tb = await tb.restart();
    expect(await listOffset(tb.bootstrap, topic, -2n)).toBe(0n);
    await expectAllMessages(tb.bootstrap, topic, 2000);
    const log2 = tb.broker.partition(topic, 0)!.log;
    expect((await rawBytes(log2, 0)).equals(after)).toBe(true);
    await kafkajsConsumeAll(tb.bootstrap, topic, 2000);

    // Deleting the topic deletes its remote data.
    const topicId = tb.broker.topics.get(topic)!.id;
    await withAdmin(tb.bootstrap, (a) => a.deleteTopics({ topics: [topic] }));
    await waitFor('remote data deleted', async () => (await listAll(store, `${topic}-${topicId}/`)).length === 0);
  } finally {
    await tb.cleanup();
    await store.close();
  }
}
