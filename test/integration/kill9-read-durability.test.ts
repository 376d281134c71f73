// What a consumer has read must survive kill -9 of the broker (issue 11, hypothesis A): producers
// write at full speed (acks=1 and acks=all, pipelined, several partitions) while a consumer
// records every batch it is served; the broker is killed at a random moment and restarted on the
// same data dir. After each restart, every partition's log end must be at or past the highest
// offset read, and every batch read before the kill must come back byte for byte. (With one
// replica Kafka only exposes what reached the log; the page cache survives a process kill.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { scanBatches } from '../../protocol/records/batch-header.js';
import { RawClient } from '../helpers/raw-client.js';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';

const TOPIC = 'kill9-durability';
const PARTITIONS = 4;
// KILL9_CYCLES=20 makes it a soak run (each cycle takes a few seconds, mostly the restart).
const CYCLES = Number(process.env.KILL9_CYCLES ?? 2);

let broker: SpawnedBroker;
let topicId: string;

beforeAll(async () => {
  broker = await spawnBroker();
  const c = await RawClient.connect(broker.port);
  const r = await c.send(19, 7, { topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  c.close();
  expect(r.topics[0].errorCode).toBe(0);
  topicId = r.topics[0].topicId;
}, 30_000);
afterAll(async () => {
  await broker?.cleanup();
});

/** A sessionless Fetch v13 of `positions` (partition → fetch offset). */
function fetchBody(positions: [number, number][], maxWaitMs: number, sessionId = 0, sessionEpoch = -1) {
  return {
    maxWaitMs, minBytes: 1, maxBytes: 4 << 20, isolationLevel: 0, sessionId, sessionEpoch,
    topics: [{ topicId, partitions: positions.map(([partition, fetchOffset]) => ({ partition, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 })) }],
    forgottenTopicsData: [], rackId: '',
  };
}

/** Produces pipelined batches (4 in flight) to `partitions` until stopped or the connection dies. */
function producer(port: number, acks: number, partitions: number[]): { stop(): void; done: Promise<number> } {
  let running = true;
  const done = (async () => {
    let acked = 0;
    const c = await RawClient.connect(port);
    const one = async (i: number) => {
      const partition = partitions[i % partitions.length]!;
      const records = buildRecordBatch({ records: Array.from({ length: 1 + (i % 7) }, (_, k) => ({ key: null, value: Buffer.from(`${acks}:${i}:${k}:`.padEnd(40 + ((i * 13) % 300), 'x')), timestamp: Date.now() })) });
      const r = await c.send(0, 9, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }] });
      if (r.responses[0].partitionResponses[0].errorCode === 0) acked++;
    };
    let i = 0;
    const lanes = Array.from({ length: 4 }, async () => {
      while (running && !c.closed) await one(i++);
    });
    await Promise.allSettled(lanes);
    c.close();
    return acked;
  })().catch(() => 0);
  return { stop: () => void (running = false), done };
}

describe('kill -9 while producing and consuming', () => {
  it('keeps every offset and byte a consumer read', async () => {
    /** Every batch served to the consumer, by partition and base offset. */
    const seen = Array.from({ length: PARTITIONS }, () => new Map<number, Buffer>());
    const positions = new Array<number>(PARTITIONS).fill(0);
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const port = broker.port;
      const producers = [producer(port, 1, [0, 1]), producer(port, -1, [2, 3])];
      const consumer = await RawClient.connect(port);
      const readBefore = positions.reduce((a, b) => a + b, 0);
      let consuming = true;
      const reading = (async () => {
        while (consuming && !consumer.closed) {
          const r = await consumer.send(1, 13, fetchBody(positions.map((o, i) => [i, o]), 50));
          for (const p of r.responses[0]?.partitions ?? []) {
            if (p.errorCode !== 0 || p.records.length === 0) continue;
            for (const b of scanBatches(p.records).batches) {
              if (b.baseOffset < positions[p.partitionIndex]!) continue;
              seen[p.partitionIndex]!.set(b.baseOffset, Buffer.from(p.records.subarray(b.position, b.position + b.size)));
              positions[p.partitionIndex] = b.baseOffset + b.lastOffsetDelta + 1;
            }
          }
        }
      })().catch(() => undefined);

      // Proof the work ran: the consumer has read new data on every partition before the kill.
      const start = [...positions];
      const deadline = Date.now() + 20_000;
      while (positions.some((p, i) => p <= start[i]!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(positions.every((p, i) => p > start[i]!)).toBe(true);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));

      // A fetch session opened before the kill (sessions live in memory only).
      const sessionClient = await RawClient.connect(port);
      const opened = await sessionClient.send(1, 13, fetchBody([[0, 0]], 0, 0, 0));
      sessionClient.close();
      expect(opened.sessionId).toBeGreaterThan(0);

      await broker.stop('SIGKILL');
      consuming = false;
      for (const p of producers) p.stop();
      await reading;
      await Promise.all(producers.map((p) => p.done));
      expect(positions.reduce((a, b) => a + b, 0)).toBeGreaterThan(readBefore);
      broker = await broker.restart();

      // Read everything back from the restarted broker: the log end and every byte seen survive.
      const check = await RawClient.connect(broker.port);
      // The restarted broker knows no session: incremental → FETCH_SESSION_ID_NOT_FOUND; a full
      // fetch naming the old id starts a new one.
      expect((await check.send(1, 13, fetchBody([], 0, opened.sessionId, 1))).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      const reopened = await check.send(1, 13, fetchBody([[0, 0]], 0, opened.sessionId, 0));
      expect(reopened.errorCode).toBe(0);
      expect(reopened.sessionId).toBeGreaterThan(0);
      let compared = 0;
      for (let partition = 0; partition < PARTITIONS; partition++) {
        let at = 0;
        let highWatermark = -1;
        while (at < positions[partition]!) {
          const r = await check.send(1, 13, fetchBody([[partition, at]], 0));
          const p = r.responses[0].partitions[0];
          expect(p.errorCode).toBe(0);
          highWatermark = p.highWatermark;
          const batches = scanBatches(p.records).batches;
          if (batches.length === 0) break;
          for (const b of batches) {
            const before = seen[partition]!.get(b.baseOffset);
            if (before) {
              expect(Buffer.compare(before, p.records.subarray(b.position, b.position + b.size)), `partition ${partition} batch ${b.baseOffset}`).toBe(0);
              compared++;
            }
            at = b.baseOffset + b.lastOffsetDelta + 1;
          }
        }
        expect(highWatermark, `partition ${partition}: log end after kill -9 (cycle ${cycle})`).toBeGreaterThanOrEqual(positions[partition]!);
        expect(at).toBeGreaterThanOrEqual(positions[partition]!);
      }
      check.close();
      expect(compared).toBe([...seen].reduce((n, m) => n + m.size, 0));
    }
  }, 60_000 + CYCLES * 30_000);
});
