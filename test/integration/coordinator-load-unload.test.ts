// The coordinator runtime's load/unload through real clients: an unloaded __consumer_offsets or
// __transaction_state partition answers NOT_COORDINATOR (FindCoordinator still names this
// broker), and loading it again replays the log: committed offsets and transactions are back.
// The aggregation stage, owner of __tributary_aggregations-0, stops on unload and restarts on load.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { OFFSETS_TOPIC, TXN_STATE_TOPIC } from '../../src/coordinator/common/internal-topics.js';
import { partitionForGroup, partitionForTxn } from '../../src/coordinator/common/partition-for.js';
import { DEFINITIONS_TOPIC } from '../../src/aggregation/definitions-log.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { spendDefinition, waitFor } from '../aggregation/helpers.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
let raw: RawClient;
const GROUP = 'lu-group';
const TXN_ID = 'lu-txn';

beforeAll(async () => {
  tb = await startTestBroker({ 'offsets.topic.num.partitions': '3', 'transaction.state.log.num.partitions': '2', 'group.initial.rebalance.delay.ms': '0' });
  await tb.broker.createTopic('lu', 2, 1, {});
  raw = await RawClient.connect(tb.port);
});

afterAll(async () => {
  raw?.socket.destroy();
  await tb?.cleanup();
});

const fetchOffsets = () =>
  raw.send(9, 8, { requireStable: false, groups: [{ groupId: GROUP, topics: [{ name: 'lu', partitionIndexes: [0, 1] }] }] });

describe('coordinator runtime load/unload', () => {
  it('an unloaded __consumer_offsets partition answers NOT_COORDINATOR; reloading replays the offsets', async () => {
    const kafka = new Kafka({ brokers: [tb.bootstrap], clientId: 'lu', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId: GROUP, topic: 'lu', partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '9' }] });
      const before = await fetchOffsets();
      expect(before.groups[0].topics[0].partitions.map((p: any) => p.committedOffset)).toEqual([5, 9]);

      const runtime = tb.broker.coordinatorRuntime!;
      const partition = partitionForGroup(GROUP, 3);
      await runtime.unload(OFFSETS_TOPIC, partition);
      expect(tb.broker.groupCoordinator.group(GROUP)).toBeUndefined(); // the state left memory
      const unloaded = await fetchOffsets();
      expect(unloaded.groups[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      const commit = await raw.send(8, 8, {
        groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'lu', partitions: [{ partitionIndex: 0, committedOffset: 6, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
      expect(commit.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      // FindCoordinator still answers this broker: the client retries here (failover will change that).
      const found = await raw.send(10, 4, { keyType: 0, coordinatorKeys: [GROUP] });
      expect(found.coordinators[0]).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: tb.broker.config.get('node.id') });
      // Other partitions are unaffected.
      const other = ['a', 'b', 'c', 'd', 'e', 'f'].find((g) => partitionForGroup(g, 3) !== partition)!;
      const otherFetch = await raw.send(9, 8, { requireStable: false, groups: [{ groupId: other, topics: null }] });
      expect(otherFetch.groups[0].errorCode).toBe(ErrorCode.NONE);

      await runtime.load(OFFSETS_TOPIC, partition);
      const back = await admin.fetchOffsets({ groupId: GROUP, topics: ['lu'] });
      expect(back[0]!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([[0, '5'], [1, '9']]);
    } finally {
      await admin.disconnect();
    }
  });

  it('an unloaded __transaction_state partition answers NOT_COORDINATOR; reloading brings the transaction back', async () => {
    const init = await raw.send(22, 4, { transactionalId: TXN_ID, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(init.errorCode).toBe(ErrorCode.NONE);
    const describe_ = () => raw.send(65, 0, { transactionalIds: [TXN_ID] });
    expect((await describe_()).transactionStates[0]).toMatchObject({ errorCode: ErrorCode.NONE, transactionState: 'Empty' });

    const runtime = tb.broker.coordinatorRuntime!;
    const partition = partitionForTxn(TXN_ID, 2);
    await runtime.unload(TXN_STATE_TOPIC, partition);
    expect((await describe_()).transactionStates[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    const again = await raw.send(22, 4, { transactionalId: TXN_ID, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(again.errorCode).toBe(ErrorCode.NOT_COORDINATOR);

    await runtime.load(TXN_STATE_TOPIC, partition);
    const back = (await describe_()).transactionStates[0];
    expect(back).toMatchObject({ errorCode: ErrorCode.NONE, transactionState: 'Empty', producerId: init.producerId });
  });
});

describe('aggregation stage on the runtime', () => {
  it('unload stops the stage, load starts it again from the definitions topic', async () => {
    const b = await startTestBroker({ 'tributary.aggregation.status.interval.ms': '200', 'log.cleaner.enable': 'false' });
    try {
      await b.broker.createTopic('lu-contributions', 1, 1, {});
      const stage = b.broker.aggregations!;
      const defined = await stage.define(spendDefinition({ name: 'lu-spend', sources: [{ name: 'local', topic: 'lu-contributions' }], output: { topic: 'lu-out' } }));
      expect(defined.ok).toBe(true);
      await waitFor('running', () => stage.status('lu-spend')?.state === 'running');

      await b.broker.coordinatorRuntime!.unload(DEFINITIONS_TOPIC, 0);
      expect(stage.running).toBe(false);
      expect(stage.status('lu-spend')?.state).toBe('stopped');

      await b.broker.coordinatorRuntime!.load(DEFINITIONS_TOPIC, 0);
      expect(stage.running).toBe(true);
      await waitFor('running again', () => stage.status('lu-spend')?.state === 'running');
    } finally {
      await b.cleanup();
    }
  });
});
