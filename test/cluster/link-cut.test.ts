// A follower cut off from its leaders (issue 13): three brokers, each behind a TCP proxy it
// advertises (link-proxy.ts), so replica fetches go through the proxies; the proxies then refuse
// one follower's fetcher connections. The ISR shrinks after replica.lag.time.max.ms once the
// leaders have records the follower did not get (an idle caught-up follower stays, as in Kafka);
// acks=all still succeeds with min.insync.replicas=2 and is NOT_ENOUGH_REPLICAS with 3; when the
// link is back the follower catches up and rejoins the ISR, and acks=all with min.insync=3 works again.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { startLinkProxy, type LinkProxy } from './link-proxy.js';

const LAG_MS = 2_000;
let brokers: TestBroker[] = [];
let proxies: LinkProxy[] = [];

beforeAll(async () => {
  const store = `memory:link-${randomBytes(6).toString('hex')}`;
  for (let id = 1; id <= 3; id++) {
    const proxy = await startLinkProxy();
    proxies.push(proxy);
    const b = await startTestBroker({
      'node.id': String(id),
      'tributary.metadata.store': store,
      'tributary.metadata.session.timeout.ms': '1500',
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`,
      'replica.lag.time.max.ms': String(LAG_MS),
      'replica.fetch.backoff.ms': '100',
      'replica.fetch.wait.max.ms': '200',
      'min.insync.replicas': '2',
    });
    proxy.target = b.port;
    brokers.push(b);
  }
  await waitFor('3 brokers registered', () => brokers.every((b) => b.broker.brokersFor('PLAINTEXT').length === 3));
});
afterAll(async () => {
  for (const b of brokers) await b.cleanup();
  for (const p of proxies) await p.close();
  brokers = [];
  proxies = [];
});

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const state = (id: number, topic: string) => brokers[id - 1]!.broker.partitionManager.partition(topic, 0);
const logOn = (id: number, topic: string) => brokers[id - 1]!.broker.partitionManager.hostedPartition(topic, 0)!.log;

async function produceRaw(leader: number, topic: string, acks: number): Promise<number> {
  const c = await RawClient.connect(brokers[leader - 1]!.port);
  try {
    const records = buildRecordBatch({ records: [{ key: null, value: Buffer.from(`x-${Date.now()}`), timestamp: Date.now() }] });
    const r = await c.send(0, 9, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    return r.responses[0].partitionResponses[0].errorCode;
  } finally {
    c.close();
  }
}

describe('a follower cut off from its leader by a TCP proxy', () => {
  it('leaves the ISR after replica.lag.time.max.ms, acks=all follows min.insync.replicas, and it rejoins when the link is back', async () => {
    const kafka = new Kafka({ clientId: 'link', brokers: brokers.map((b) => b.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [
          { topic: 'two', numPartitions: 1, replicationFactor: 3 },
          { topic: 'three', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '3' }] },
        ],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
    await waitFor('full ISRs', () => ['two', 'three'].every((t) => [1, 2, 3].every((id) => (state(id, t)?.isr.length ?? 0) === 3 && state(id, t)!.leaderId >= 0)));
    const leaders = new Set(['two', 'three'].map((t) => state(1, t)!.leaderId));
    // A broker that leads neither partition: its fetches are the ones cut.
    const follower = [1, 2, 3].find((id) => !leaders.has(id))!;
    // Replication really goes through the proxies.
    for (const l of leaders) expect(proxies[l - 1]!.fetcherConnections(follower)).toBeGreaterThan(0);

    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'three', acks: -1, messages: [{ value: 'before' }] });

      const cutAt = Date.now();
      for (const p of proxies) p.cut(follower);
      // As in Kafka (ReplicaState.isCaughtUp), a follower at the leader's log end is in sync however
      // long it has not fetched: the ISR shrinks once the leader has records it did not get.
      for (const t of ['two', 'three']) expect(await produceRaw(state(1, t)!.leaderId, t, 1)).toBe(ErrorCode.NONE);
      await waitFor(`broker ${follower} out of both ISRs`, () => ['two', 'three'].every((t) => !state(1, t)!.isr.includes(follower)), LAG_MS * 5);
      // Not before the lag time: Kafka's maybeShrinkIsr only drops a follower lagging that long.
      expect(Date.now() - cutAt).toBeGreaterThanOrEqual(LAG_MS - 100);
      for (const t of ['two', 'three']) expect(state(1, t)!.isr).toHaveLength(2);

      // min.insync.replicas=2: acks=all goes on with the two left.
      for (let i = 0; i < 5; i++) await producer.send({ topic: 'two', acks: -1, messages: [{ value: `cut-${i}` }] });
      // min.insync.replicas=3: refused before the append; acks=1 still works.
      const leaderThree = state(1, 'three')!.leaderId;
      expect(await produceRaw(leaderThree, 'three', -1)).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
      expect(await produceRaw(leaderThree, 'three', 1)).toBe(ErrorCode.NONE);
      // The follower has not received what was written while cut.
      const leaderTwo = state(1, 'two')!.leaderId;
      expect(logOn(follower, 'two').logEndOffset).toBeLessThan(logOn(leaderTwo, 'two').logEndOffset);

      for (const p of proxies) p.heal(follower);
      await waitFor(`broker ${follower} back in both ISRs`, () => ['two', 'three'].every((t) => state(1, t)!.isr.includes(follower)), 20_000);
      for (const t of ['two', 'three']) {
        const leader = state(1, t)!.leaderId;
        await waitFor(`${t} caught up`, () => logOn(follower, t).logEndOffset === logOn(leader, t).logEndOffset);
      }
      await producer.send({ topic: 'three', acks: -1, messages: [{ value: 'after' }] });
      const leader = state(1, 'three')!.leaderId;
      await waitFor('three replicated to the follower', () => logOn(follower, 'three').logEndOffset === logOn(leader, 'three').logEndOffset);
    } finally {
      await producer.disconnect();
    }
  });
});
