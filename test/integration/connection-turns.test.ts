// Fairness between connections (issue 14, tail fairness): a producer pipelining large Produce
// requests gets one request per event-loop turn (tributary.connection.turn.request.bytes), so a
// consumer's Fetch on another connection is answered between them instead of after all of them.
// The property checked is per loop turn, not a timing: the log end offset is sampled once per
// turn (a setImmediate chain in this process, which runs the broker), and no turn may append more
// than the turn's share, whatever the kernel hands the broker per read: plaintext (user-buffer
// reads, FrameReader) and TLS (stream data events, FrameDecoder).
import fs from 'node:fs';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { scanBatches } from '../../protocol/records/batch-header.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { encodeRequestFrame, RawClient } from '../helpers/raw-client.js';
import { makeCerts } from './auth-setup.js';

let tb: TestBroker;
let admin: RawClient;

beforeAll(async () => {
  tb = await startTestBroker();
  admin = await RawClient.connect(tb.port);
});
afterAll(async () => {
  admin?.close();
  await tb?.cleanup();
});

async function createTopic(name: string): Promise<string> {
  const r = await admin.send(19, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(r.topics[0].errorCode).toBe(0);
  return r.topics[0].topicId;
}

/** Produce requests of one ~600 KB record each (one per turn at the default 512 KiB), pipelined in one write. */
function pipelinedProduce(client: RawClient, topic: string, n: number): Promise<number[]> {
  const frames: Buffer[] = [];
  const answers: Promise<number>[] = [];
  for (let i = 0; i < n; i++) {
    const records = buildRecordBatch({ records: [{ key: null, value: Buffer.alloc(600_000, i), timestamp: Date.now() }] });
    const { frame, correlationId } = client.encode(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    frames.push(frame);
    answers.push(
      client.expect(correlationId, 0, 9).then((r) => {
        const p = r.responses[0].partitionResponses[0];
        expect(p.errorCode).toBe(0);
        return Number(p.baseOffset);
      }),
    );
  }
  client.writeRaw(Buffer.concat(frames));
  return Promise.all(answers);
}

/** Log end offsets sampled once per event-loop turn until stop() (check phase, setImmediate). */
function sampleEachTurn(read: () => number): { samples: number[]; stop: () => void } {
  const samples: number[] = [];
  let running = true;
  const tick = () => {
    samples.push(read());
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return { samples, stop: () => (running = false) };
}

it('handles one large pipelined Produce request per connection per loop turn, in order', async () => {
  const topic = 'turns-produce';
  await createTopic(topic);
  const log = () => tb.broker.logManager.getLog(topic, 0)?.logEndOffset ?? 0;
  const producer = await RawClient.connect(tb.port);
  const sampler = sampleEachTurn(log);
  const offsets = await pipelinedProduce(producer, topic, 12);
  sampler.stop();
  producer.close();

  expect(offsets).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const steps = sampler.samples.slice(1).map((x, i) => x - sampler.samples[i]!);
  // One request in the poll phase at most and one in the check phase (the held frame): never the
  // 10+ a poll's 32 reads could complete, as before.
  expect(Math.max(...steps)).toBeLessThanOrEqual(2);
  expect(log()).toBe(12);
});

it('answers a Fetch on another connection while a producer still has pipelined requests queued', async () => {
  const topic = 'turns-fetch';
  const topicId = await createTopic(topic);
  const producer = await RawClient.connect(tb.port);
  const consumer = await RawClient.connect(tb.port);
  let produced = 0;
  const all = pipelinedProduce(producer, topic, 24).then((o) => {
    produced = o.length;
    return o;
  });
  // A consumer that keeps up: long-polls from the log end, one fetch in flight, one partition.
  const fetchBody = (fetchOffset: number) => ({
    maxWaitMs: 5000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topicId, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  let next = 0;
  let answeredWhileProducing = 0;
  while (next < 24) {
    const r = await consumer.send(1, 13, fetchBody(next));
    const p = r.responses[0].partitions[0];
    expect(p.errorCode).toBe(0);
    const batches = scanBatches(p.records).batches;
    expect(batches.length).toBeGreaterThan(0);
    expect(Number(batches[0]!.baseOffset)).toBe(next);
    next = Number(batches[batches.length - 1]!.baseOffset) + batches[batches.length - 1]!.lastOffsetDelta + 1;
    if (produced === 0) answeredWhileProducing++;
  }
  await all;
  producer.close();
  consumer.close();
  // Before, ~6 requests were appended per turn (as many as the kernel had buffered) and the
  // consumer got 1-3 answers before the last one; now 8-11, one every few requests (the
  // producer needs 12 turns or more for 24).
  expect(answeredWhileProducing).toBeGreaterThanOrEqual(6);
});

it('holds a TLS connection to the same share (frames from stream data events, not user-buffer reads)', async () => {
  const certs = makeCerts();
  const secure = await startTestBroker({
    listeners: 'SSL://127.0.0.1:0',
    'ssl.keystore.key': certs.serverKey,
    'ssl.keystore.certificate.chain': certs.serverCert,
    'auto.create.topics.enable': 'true',
    'num.partitions': '1',
  });
  try {
    const socket = tls.connect({ host: '127.0.0.1', port: secure.port, ca: certs.ca });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const topic = 'turns-tls';
    // Metadata first: the topic is created on it.
    const arrived: number[] = [];
    let buffered = Buffer.alloc(0);
    const waiters = new Map<number, () => void>();
    socket.on('data', (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const id = buffered.readInt32BE(4);
        buffered = buffered.subarray(4 + buffered.readInt32BE(0));
        arrived.push(id);
        waiters.get(id)?.();
      }
    });
    const answered = (id: number) => new Promise<void>((resolve) => waiters.set(id, resolve));
    const meta = answered(100);
    socket.write(encodeRequestFrame(3, 9, { topics: [{ name: topic }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false }, 100, 'tls'));
    await meta;
    const log = () => secure.broker.logManager.getLog(topic, 0)?.logEndOffset ?? 0;
    for (let i = 0; i < 100 && secure.broker.logManager.getLog(topic, 0) === undefined; i++) await new Promise((r) => setTimeout(r, 20));

    const frames: Buffer[] = [];
    for (let i = 1; i <= 12; i++) {
      const records = buildRecordBatch({ records: [{ key: null, value: Buffer.alloc(600_000, i), timestamp: Date.now() }] });
      frames.push(encodeRequestFrame(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }, i, 'tls'));
    }
    const last = answered(12);
    const sampler = sampleEachTurn(log);
    socket.write(Buffer.concat(frames));
    await last;
    sampler.stop();
    socket.destroy();
    expect(arrived).toEqual([100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(log()).toBe(12);
    const steps = sampler.samples.slice(1).map((x, i) => x - sampler.samples[i]!);
    expect(Math.max(...steps)).toBeLessThanOrEqual(2);
  } finally {
    await secure.cleanup();
    fs.rmSync(certs.dir, { recursive: true, force: true });
  }
});
