// Offsets committed inside a transaction (TxnOffsetCommit) stay invisible to OffsetFetch until the
// transaction commits, are dropped when it aborts, and survive a broker restart in both states:
// an open transaction's offsets come back as pending (and unstable for require_stable fetchers),
// a committed one's are applied from the log. Of two records of one offset key the one written
// later wins, whatever order the markers come in (Kafka's replayEndTransactionMarker compares
// record offsets), live and after a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { hbParams } from '../coordinator/consumer/helpers.js';
import { kafkajs } from '../helpers/clients.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
const input = 'offsets-in';

beforeAll(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  tb = await startTestBroker({ 'transaction.state.log.num.partitions': '2', 'offsets.topic.num.partitions': '2' });
  await tb.broker.createTopic(input, 1, 1, {});
});
afterAll(async () => {
  await tb?.cleanup();
});

const kafka = () => kafkajs(tb.bootstrap, { clientId: 'txn-offsets' });

function committedOffset(group: string): number {
  return tb.broker.groupCoordinator.fetchOffsets(group, [{ name: input, partitionIndexes: [0] }]).topics[0]!.partitions[0]!.committedOffset;
}

async function openTxnWithOffsets(id: string, group: string, offset: number) {
  const producer = kafka().producer({ transactionalId: id, maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  const t = await producer.transaction();
  await t.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: 0, offset: String(offset) }] }] });
  return { producer, t };
}

describe('transactional offset commits', () => {
  it('become visible on commit, never on abort', async () => {
    const a = await openTxnWithOffsets('off-a', 'g-commit', 5);
    expect(committedOffset('g-commit')).toBe(-1);
    const unstable = tb.broker.txnCoordinator!.offsets.markUnstable('g-commit', tb.broker.groupCoordinator.fetchOffsets('g-commit', [{ name: input, partitionIndexes: [0] }]));
    expect(unstable.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    await a.t.commit();
    expect(committedOffset('g-commit')).toBe(5);
    await a.producer.disconnect();

    const b = await openTxnWithOffsets('off-b', 'g-commit', 9);
    await b.t.abort();
    expect(committedOffset('g-commit')).toBe(5);
    await b.producer.disconnect();
    expect(tb.broker.txnCoordinator!.offsets.pendingProducers).toBe(0);
  });

  it('survive a restart: applied if committed, pending (then applied) if still open', async () => {
    const done = await openTxnWithOffsets('off-c', 'g-restart-done', 3);
    await done.t.commit();
    await done.producer.disconnect();
    const open = await openTxnWithOffsets('off-d', 'g-restart-open', 8);
    await open.producer.disconnect().catch(() => {});

    tb = await tb.restart();
    expect(committedOffset('g-restart-done')).toBe(3);
    expect(committedOffset('g-restart-open')).toBe(-1);
    const tc = tb.broker.txnCoordinator!;
    expect(tc.offsets.hasPending('g-restart-open', input, 0)).toBe(true);

    // The coordinator reloaded the open transaction; committing it now applies the restored offsets.
    const d = tc.describe(['off-d'])[0]!;
    expect(d.transactionState).toBe('Ongoing');
    expect(await tc.endTxn('off-d', d.producerId, d.producerEpoch, true)).toBe(ErrorCode.NONE);
    expect(committedOffset('g-restart-open')).toBe(8);
  });

  // KIP-848 groups live in the consumer group coordinator. A member's transactional commit is
  // checked against its member epoch (Kafka: a stale one is ILLEGAL_GENERATION on this API) and
  // lands in that group's offsets on COMMIT, not in a classic group of the same id. Found by
  // confluent-kafka-python 2.16 (group.protocol=consumer + send_offsets_to_transaction).
  it('apply to a KIP-848 consumer group and are checked against its member epoch', async () => {
    const group = 'g-848';
    const cc = tb.broker.consumerGroupCoordinator!;
    const joined = await cc.heartbeat(hbParams({ groupId: group, memberId: 'member-848', subscribedTopicNames: [input] }));
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    const epoch = joined.memberEpoch;
    expect(epoch).toBeGreaterThan(0);

    const a = await openTxnWithOffsets('off-848', group, 4); // kafkajs: TxnOffsetCommit without member fields
    const tc = tb.broker.txnCoordinator!;
    const d = tc.describe(['off-848'])[0]!;
    const commit = (generationId: number, memberId: string, offset: number) =>
      tc.offsets.commit({
        transactionalId: 'off-848', groupId: group, producerId: d.producerId, producerEpoch: d.producerEpoch,
        generationId, memberId, groupInstanceId: null,
        topics: [{ name: input, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
      }).then((r) => r[0]!.partitions[0]!.errorCode);
    expect(await commit(epoch + 1, 'member-848', 6)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await commit(epoch, 'no-such-member', 6)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit(epoch, 'member-848', 7)).toBe(ErrorCode.NONE);
    expect(committedOffset(group)).toBe(-1);
    await a.t.commit();
    await a.producer.disconnect();
    expect(committedOffset(group)).toBe(7);
    expect(tb.broker.groupCoordinator.core.groups.has(group), 'no classic group shadows the consumer group').toBe(false);
  });

  // Kafka keeps whichever record of a key has the higher log offset: a plain commit written after
  // a transactional one, or another producer's transactional one written after it and committed
  // first, is not overwritten by the older record's COMMIT marker — neither live nor on replay.
  it('the later-written record wins over an older transactional one committed after it', async () => {
    // A plain OffsetCommit (v8, no generation: a group without members), on the wire.
    const raw = await RawClient.connect(tb.broker.port);
    const plainCommit = async (group: string, offset: number) => {
      const r = await raw.send(8, 8, {
        groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
        topics: [{ name: input, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
      });
      expect(r.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    };
    try {
      // Plain commit after the transactional one; the transaction commits live.
      const a = await openTxnWithOffsets('later-a', 'g-later-live', 5);
      await plainCommit('g-later-live', 7);
      expect(committedOffset('g-later-live')).toBe(7);
      await a.t.commit();
      await a.producer.disconnect();
      expect(committedOffset('g-later-live'), 'plain commit written after the transactional one').toBe(7);

      // Two producers: B writes after A and commits first; A's later COMMIT does not win.
      const b1 = await openTxnWithOffsets('later-b1', 'g-later-two', 3);
      const b2 = await openTxnWithOffsets('later-b2', 'g-later-two', 9);
      await b2.t.commit();
      await b1.t.commit();
      await b1.producer.disconnect();
      await b2.producer.disconnect();
      expect(committedOffset('g-later-two'), 'the later transactional record').toBe(9);

      // Still open at the restart: the replay must know the plain commit came later.
      const c = await openTxnWithOffsets('later-c', 'g-later-open', 4);
      await plainCommit('g-later-open', 6);
      await c.producer.disconnect().catch(() => {});
    } finally {
      raw.close();
    }
    tb = await tb.restart();
    // Replayed with their COMMIT markers in the log.
    expect(committedOffset('g-later-live')).toBe(7);
    expect(committedOffset('g-later-two')).toBe(9);
    // The open one is pending again; its COMMIT after the restart leaves the later plain commit.
    expect(committedOffset('g-later-open')).toBe(6);
    const tc = tb.broker.txnCoordinator!;
    expect(tc.offsets.hasPending('g-later-open', input, 0)).toBe(true);
    const d = tc.describe(['later-c'])[0]!;
    expect(d.transactionState).toBe('Ongoing');
    expect(await tc.endTxn('later-c', d.producerId, d.producerEpoch, true)).toBe(ErrorCode.NONE);
    expect(committedOffset('g-later-open'), 'plain commit written after the restored transactional one').toBe(6);
  });
});
