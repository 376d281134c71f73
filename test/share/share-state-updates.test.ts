// __share_group_state as Kafka's share coordinator writes it: a ShareSnapshot, then ShareUpdate
// records, a new ShareSnapshot every share.coordinator.snapshot.update.records.per.snapshot
// updates; replay gives the same state from the whole log, from the log as compaction leaves it
// (the last record per key), and from a log written the Kafka way (per-write deltas).
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARE_STATE_TOPIC, ShareStateStore } from '../../src/coordinator/share/share-state-store.js';
import { decodeShareKey, decodeShareValue, SHARE_SNAPSHOT, snapshotRecord, updateRecord } from '../../src/coordinator/share/share-records.js';
import type { CoordinatorRuntime } from '../../src/coordinator/runtime/coordinator-runtime.js';
import type { CoordinatorRecord } from '../../src/coordinator/runtime/record-log.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ACCEPT, acquired, RawShareMember, REJECT } from './raw-share-member.js';

let tb: TestBroker;
let client: RawClient;

beforeAll(async () => {
  tb = await startTestBroker({ 'group.share.auto.offset.reset': 'earliest', 'share.coordinator.snapshot.update.records.per.snapshot': '3', 'offsets.topic.num.partitions': '1' });
  client = await RawClient.connect(tb.port);
});
afterAll(async () => {
  client?.close();
  await tb?.cleanup();
});

async function stateRecords(): Promise<CoordinatorRecord[]> {
  const log = (await tb.broker.coordinatorRuntime!.open({ name: SHARE_STATE_TOPIC, numPartitions: 1, configs: {} }, false))!;
  const out: CoordinatorRecord[] = [];
  await log.replay(0, (r) => out.push(r));
  return out;
}

/** A store replayed from `records` alone (no broker): what a load of such a log gives. */
async function replayed(records: CoordinatorRecord[]): Promise<ShareStateStore> {
  const log = { numPartitions: 1, replay: async (_p: number, cb: (r: CoordinatorRecord) => void) => (records.forEach(cb), null), append: async () => 0 };
  const runtime = { open: async () => log, register: () => {} } as unknown as CoordinatorRuntime;
  return ShareStateStore.open(runtime, { debug() {}, info() {}, warn() {}, error() {} } as never);
}

describe('ShareSnapshot and ShareUpdate records', () => {
  it('writes updates between snapshots and replays to the same state, compacted or not', async () => {
    await tb.broker.createTopic('su-topic', 1, 1, {});
    const id = tb.broker.topics.get('su-topic')!.id;
    const producer = new Kafka({ clientId: 'share-su', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    for (let i = 0; i < 8; i++) await producer.send({ topic: 'su-topic', messages: [{ value: `v${i}` }] });
    await producer.disconnect();
    const m = new RawShareMember(() => client, 'g-su', 'a');
    await m.join(['su-topic']);
    expect(acquired(await m.fetch(id))).toEqual([{ firstOffset: 0, lastOffset: 7, deliveryCount: 1 }]);
    await tb.broker.shareService!.store!.flush(); // the acquisition's snapshot, before the acknowledgements
    // Out of order, so the state has holes: each acknowledgement is one write.
    for (const [o, t] of [[1, ACCEPT], [3, REJECT], [0, ACCEPT], [5, ACCEPT], [2, ACCEPT], [6, ACCEPT]] as const) {
      expect((await m.ack(id, o, o, t)).responses[0]!.partitions[0]!.errorCode).toBe(0);
    }
    const records = (await stateRecords()).filter((r) => decodeShareKey(r.key)?.groupId === 'g-su');
    const kinds = records.map((r) => {
      const k = decodeShareKey(r.key)!;
      return `${k.type === SHARE_SNAPSHOT ? 'S' : 'U'}${decodeShareValue(k.type, r.value!).snapshotEpoch}`;
    });
    // The acquisition's snapshot, 3 acknowledgements as updates, a snapshot, 2 updates.
    expect(kinds).toEqual(['S0', 'U0', 'U0', 'U0', 'S1', 'U1', 'U1']);
    const live = tb.broker.shareService!.store!.get('g-su', id, 0)!;
    expect(live.startOffset).toBe(4);
    // The whole log, and the log as compaction leaves it (the last record per key), replay to the
    // same state: updates carry every offset touched since their snapshot. Also for a prefix (up
    // to the acknowledgement of 0: 0-1 done, 3 rejected).
    const compacted = (log: CoordinatorRecord[]) => [...new Map(log.map((r, i) => [r.key.toString('hex'), { r, i }])).values()].sort((a, b) => a.i - b.i).map((x) => x.r);
    const stateOf = async (log: CoordinatorRecord[]) => {
      const s = (await replayed(log)).get('g-su', id, 0)!;
      return { startOffset: s.startOffset, stateBatches: s.stateBatches };
    };
    expect(await stateOf(records)).toEqual({ startOffset: live.startOffset, stateBatches: live.stateBatches });
    expect(await stateOf(compacted(records))).toEqual({ startOffset: live.startOffset, stateBatches: live.stateBatches });
    expect(await stateOf(compacted(records.slice(0, 4)))).toEqual(await stateOf(records.slice(0, 4)));
    expect((await stateOf(records.slice(0, 4))).stateBatches).toEqual([
      { firstOffset: 2, lastOffset: 2, deliveryState: 1, deliveryCount: 1 },
      { firstOffset: 3, lastOffset: 3, deliveryState: 4, deliveryCount: 1 },
      { firstOffset: 4, lastOffset: 7, deliveryState: 1, deliveryCount: 1 },
    ]);
    // And the broker after a restart: 4 is available again (acquired when it stopped), 5 and 6 done, 7 available.
    client.close();
    tb = await tb.restart();
    client = await RawClient.connect(tb.port);
    const b = new RawShareMember(() => client, 'g-su', 'b');
    await b.join(['su-topic']);
    expect(acquired(await b.fetch(id))).toEqual([{ firstOffset: 4, lastOffset: 4, deliveryCount: 2 }, { firstOffset: 7, lastOffset: 7, deliveryCount: 2 }]);
  });

  it('replays Kafka-style per-write deltas over a snapshot', async () => {
    const key = { groupId: 'g-kafka', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partition: 0 };
    const records = [
      snapshotRecord(key, { snapshotEpoch: 0, stateEpoch: 0, leaderEpoch: 0, startOffset: 10, stateBatches: [{ firstOffset: 10, lastOffset: 19, deliveryState: 0, deliveryCount: 1 }] }),
      // Kafka writes only what one write changed: 12-13 acknowledged, then 15 archived and the start moved to 11.
      updateRecord(key, { snapshotEpoch: 0, stateEpoch: 0, leaderEpoch: 0, startOffset: 10, stateBatches: [{ firstOffset: 12, lastOffset: 13, deliveryState: 2, deliveryCount: 1 }] }),
      updateRecord(key, { snapshotEpoch: 0, stateEpoch: 0, leaderEpoch: 0, startOffset: 11, stateBatches: [{ firstOffset: 15, lastOffset: 15, deliveryState: 4, deliveryCount: 2 }] }),
      // An update of an older snapshot epoch is not applied.
      updateRecord(key, { snapshotEpoch: 7, stateEpoch: 0, leaderEpoch: 0, startOffset: 19, stateBatches: [] }),
    ];
    const got = (await replayed(records)).get('g-kafka', key.topicId, 0)!;
    expect(got.startOffset).toBe(11);
    expect(got.stateBatches).toEqual([
      { firstOffset: 11, lastOffset: 11, deliveryState: 0, deliveryCount: 1 },
      { firstOffset: 12, lastOffset: 13, deliveryState: 2, deliveryCount: 1 },
      { firstOffset: 14, lastOffset: 14, deliveryState: 0, deliveryCount: 1 },
      { firstOffset: 15, lastOffset: 15, deliveryState: 4, deliveryCount: 2 },
      { firstOffset: 16, lastOffset: 19, deliveryState: 0, deliveryCount: 1 },
    ]);
  });
});
