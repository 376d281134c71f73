// ListOffsets v10 (KIP-1075: the request's TimeoutMs bounds lookups that read remote storage)
// and v11 (KIP-1023: timestamp -6, the earliest offset still pending upload), against a broker
// tiering to its local directory store, over a raw connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { FAST_TIER, TOPIC_CONFIGS, produceRange, tierStatus, waitTiered } from '../storage/tier/broker-scenario.js';

const EARLIEST = -2;
const LATEST_TIERED = -5;
const EARLIEST_PENDING_UPLOAD = -6;
let tb: TestBroker;
let client: RawClient;

beforeAll(async () => {
  tb = await startTestBroker(FAST_TIER);
  await tb.broker.createTopic('plain', 1, 1, {});
  await tb.broker.createTopic('fresh-tiered', 1, 1, { ...TOPIC_CONFIGS, 'remote.storage.enable': 'true' });
  await tb.broker.createTopic('tiered', 1, 1, { ...TOPIC_CONFIGS, 'remote.storage.enable': 'true' });
  client = await RawClient.connect(tb.port);
});
afterAll(async () => {
  client?.close();
  await tb?.cleanup();
});

async function listOffset(v: number, topic: string, timestamp: number, timeoutMs = 30_000) {
  const r = await client.send(2, v, {
    replicaId: -1,
    isolationLevel: 0,
    timeoutMs,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
  });
  return r.topics[0].partitions[0];
}

describe('ListOffsets v11: earliest pending upload (-6)', () => {
  it('is -1 with epoch -1 for a topic that is not tiered', async () => {
    expect(await listOffset(11, 'plain', EARLIEST_PENDING_UPLOAD)).toMatchObject({ errorCode: ErrorCode.NONE, offset: -1, timestamp: -1, leaderEpoch: -1 });
  });

  it('is the log start offset of a tiered topic nothing has been copied from yet', async () => {
    const fresh = await listOffset(11, 'fresh-tiered', EARLIEST_PENDING_UPLOAD);
    expect(fresh, JSON.stringify(fresh)).toMatchObject({ errorCode: ErrorCode.NONE, offset: 0, leaderEpoch: 0 });
  });

  it('is the first offset not yet in remote storage once segments are copied (latest tiered + 1)', async () => {
    await produceRange(tb.bootstrap, 'tiered', 0, 600);
    const st = await waitTiered(tb, 'tiered');
    expect(st.copiedEndOffset).toBeGreaterThan(0);
    const pending = await listOffset(11, 'tiered', EARLIEST_PENDING_UPLOAD);
    expect(pending).toMatchObject({ errorCode: ErrorCode.NONE, offset: tierStatus(tb, 'tiered')!.copiedEndOffset, leaderEpoch: 0 });
    expect((await listOffset(11, 'tiered', LATEST_TIERED)).offset).toBe(pending.offset - 1);
    expect((await listOffset(11, 'tiered', EARLIEST)).offset).toBe(0);
  });
});

describe('ListOffsets v10: TimeoutMs for remote lookups (KIP-1075)', () => {
  it('answers REQUEST_TIMED_OUT for a partition whose remote lookup outlives the timeout, and the offset when it does not', async () => {
    await waitTiered(tb, 'tiered');
    const remote = tb.broker.partition('tiered', 0)!.log.remoteTier!;
    // Timestamp 0 lies in the remote segments; make the object store slow to answer.
    const lookup = remote.offsetForTimestamp.bind(remote);
    remote.offsetForTimestamp = async (ts, lso) => {
      await new Promise((r) => setTimeout(r, 400));
      return lookup(ts, lso);
    };
    try {
      expect(await listOffset(10, 'tiered', 0, 50)).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT, offset: -1 });
      expect(await listOffset(10, 'tiered', 0, 10_000)).toMatchObject({ errorCode: ErrorCode.NONE, offset: 0 });
      // A local-only topic is never timed out.
      expect(await listOffset(10, 'plain', 0, 0)).toMatchObject({ errorCode: ErrorCode.NONE, offset: -1 });
    } finally {
      remote.offsetForTimestamp = lookup;
    }
  });
});
