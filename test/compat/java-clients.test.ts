// The Java client, kafka-clients 4.1 from Maven Central (test/compat/java/pom.xml), against a
// spawned Tributary: AdminClient (topics incl. invalid requests, configs with sources, incremental
// alter, ListOffsets earliest / latest / by timestamp / max timestamp, DeleteRecords), idempotent
// and transactional producers (commit, abort, open transaction and its LSO, DescribeProducers,
// Describe/ListTransactions, fencing) read back with read_committed and read_uncommitted, and
// consumer groups with both group.protocol=classic and consumer (KIP-848), fetch edge cases and
// log compaction. The programs are the same sessions the differential test runs against Apache
// Kafka; the expected values below are what Kafka 4.1 answered to them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { javaClasspath, runJava, stepOf, type Step } from '../helpers/java-client.js';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';

let broker: SpawnedBroker;

beforeAll(async () => {
  javaClasspath();
  broker = await spawnBroker({ overrides: { 'log.cleaner.backoff.ms': '200' } });
}, 240_000);

afterAll(async () => {
  await broker?.cleanup();
});

const ok = (value: unknown) => ({ ok: value });
const err = (error: string) => ({ error });
const at = (offset: number, timestamp: number, hasLeaderEpoch = true) => ok({ offset, timestamp, hasLeaderEpoch });

function expectStep(steps: Step[], name: string, fields: Record<string, unknown>): void {
  expect(stepOf(steps, name), name).toEqual({ step: name, ...fields });
}

describe('kafka-clients 4.1 (Java) against Tributary', () => {
  it('AdminClient: topics, configs, ListOffsets and DeleteRecords', async () => {
    const s = await runJava('AdminSession', [broker.bootstrap, 'admin'], 120_000);
    expectStep(s, 'createTopic.validateOnly', { result: ok({ partitions: 3, replicationFactor: 1 }) });
    expectStep(s, 'createTopic.again', { result: err('TopicExistsException') });
    expectStep(s, 'createTopic.badReplicationFactor', { result: err('InvalidReplicationFactorException') });
    expectStep(s, 'createTopic.badPartitions', { result: err('InvalidPartitionsException') });
    expectStep(s, 'createTopic.badName', { result: err('InvalidTopicException') });
    expectStep(s, 'createTopic.badConfigValue', { result: err('InvalidConfigurationException') });
    expectStep(s, 'createTopic.unknownConfig', { result: err('InvalidConfigurationException') });
    expectStep(s, 'describeTopic.unknown', { result: err('UnknownTopicOrPartitionException') });

    const configs = (stepOf(s, 'describeConfigs.topic').result as { ok: Record<string, Record<string, unknown>> }).ok;
    expect(configs['retention.ms']).toMatchObject({ value: '3600000', source: 'DYNAMIC_TOPIC_CONFIG', isDefault: false, type: 'LONG' });
    expect(configs['segment.bytes']).toMatchObject({ value: '1073741824', source: 'DEFAULT_CONFIG', isDefault: true, type: 'INT' });
    // Kafka 4.0 (KIP-1030) made a timestamp more than an hour in the future invalid by default.
    expect(configs['message.timestamp.after.max.ms']).toMatchObject({ value: '3600000', source: 'DEFAULT_CONFIG' });

    expectStep(s, 'incrementalAlter.badValue', { result: err('InvalidConfigurationException') });
    expectStep(s, 'incrementalAlter.unknownKey', { result: err('InvalidConfigurationException') });
    expectStep(s, 'incrementalAlter.unknownTopic', { result: err('UnknownTopicOrPartitionException') });
    expectStep(s, 'describeConfigs.altered', {
      result: ok({
        'cleanup.policy': { value: 'compact,delete', source: 'DYNAMIC_TOPIC_CONFIG', isDefault: false, readOnly: false, sensitive: false, type: 'LIST' },
        'max.message.bytes': { value: '1048588', source: 'DEFAULT_CONFIG', isDefault: true, readOnly: false, sensitive: false, type: 'INT' },
        'retention.ms': { value: '7200000', source: 'DYNAMIC_TOPIC_CONFIG', isDefault: false, readOnly: false, sensitive: false, type: 'LONG' },
      }),
    });
    // A compacted topic refuses a record without a key.
    expectStep(s, 'produce.keylessOnCompacted', { result: err('InvalidRecordException') });

    expectStep(s, 'listOffsets.earliest', { result: at(0, -1) });
    expectStep(s, 'listOffsets.latest', { result: at(5, -1) });
    expectStep(s, 'listOffsets.forTimestamp', { result: at(1, 5000) });
    expectStep(s, 'listOffsets.forTimestampExact', { result: at(1, 5000) });
    expectStep(s, 'listOffsets.forTimestampAfterAll', { result: at(-1, -1, false) });
    expectStep(s, 'listOffsets.maxTimestamp', { result: at(1, 5000) });
    expectStep(s, 'listOffsets.emptyPartition', { earliest: at(0, -1), latest: at(0, -1), maxTimestamp: at(-1, -1, false) });
    expectStep(s, 'deleteRecords', { result: ok(2) });
    expectStep(s, 'listOffsets.earliestAfterDelete', { result: at(2, -1) });
    // Kafka's max-timestamp lookup still sees the deleted record's timestamp in the segment.
    expectStep(s, 'listOffsets.maxTimestampAfterDelete', { result: at(1, 5000) });
    expectStep(s, 'deleteRecords.beyondHighWatermark', { result: err('OffsetOutOfRangeException') });
    expectStep(s, 'deleteRecords.toHighWatermark', { result: ok(5) });
    expectStep(s, 'listOffsets.afterDeleteAll', { earliest: at(5, -1), latest: at(5, -1) });
    // Kafka 4 refuses CreateTime timestamps more than an hour ahead; message.timestamp.before.max.ms is opt-in.
    expectStep(s, 'produce.futureTimestamp', { result: err('InvalidTimestampException') });
    expectStep(s, 'produce.oldTimestampAllowed', { result: ok(0) });
    expectStep(s, 'incrementalAlter.beforeMax', { result: ok(true) });
    expectStep(s, 'produce.oldTimestampRefused', { result: err('InvalidTimestampException') });
    expectStep(s, 'produce.currentTimestamp', { result: ok(1) });
    expectStep(s, 'deleteTopic', { result: ok(true) });
    expectStep(s, 'deleteTopic.unknown', { result: err('UnknownTopicOrPartitionException') });
  }, 180_000);

  it('idempotent and transactional producers; read_committed sees committed records only', async () => {
    const s = await runJava('ProducerSession', [broker.bootstrap, 'producer'], 120_000);
    expectStep(s, 'idempotent.send', { offsets: [0, 1, 2] });
    expectStep(s, 'describeProducers.idempotent', {
      result: ok([{ epoch: 0, lastSequence: 2, hasLastTimestamp: true, coordinatorEpoch: false, transactionStartOffset: null }]),
    });
    expectStep(s, 'describeTransactions.unknown', { result: err('TransactionalIdNotFoundException') });
    expectStep(s, 'describeTransactions.empty', { result: ok({ state: 'EMPTY', timeoutMs: 60000, hasStartTime: false, partitions: [] }) });
    expectStep(s, 'txn.commit', { offsets: [3, 4] });
    expectStep(s, 'txn.abort', { offsets: [6, 7] });
    expectStep(s, 'listTransactions.afterAbort', { state: ok('COMPLETE_ABORT') });
    // The open transaction holds the LSO at its first offset.
    expectStep(s, 'txn.open', { offsets: [9], latestUncommitted: ok(10), latestCommitted: ok(9) });
    expectStep(s, 'describeTransactions.ongoing', { result: ok({ state: 'ONGOING', timeoutMs: 60000, hasStartTime: true, partitions: ['producer-txn-0'] }) });
    expectStep(s, 'listTransactions.ongoing', { state: ok('ONGOING') });
    expect((stepOf(s, 'describeProducers.ongoing').result as { ok: { transactionStartOffset: number | null }[] }).ok.map((p) => p.transactionStartOffset)).toEqual([null, 9]);
    expectStep(s, 'txn.afterCommit', { latestUncommitted: ok(11), latestCommitted: ok(11) });
    expectStep(s, 'describeTransactions.afterCommit', { result: ok({ state: 'COMPLETE_COMMIT', timeoutMs: 60000, hasStartTime: true, partitions: [] }) });
    expect((stepOf(s, 'fenced').result as { error?: string }).error).toMatch(/^(ProducerFencedException|InvalidProducerEpochException)$/);
    expectStep(s, 'second.commit', { offsets: [11] });
    expectStep(s, 'read.committed', { result: ok({ endOffset: 13, records: ['0:i0', '1:i1', '2:i2', '3:c0', '4:c1', '9:o0', '11:s0'], position: 13 }) });
    expectStep(s, 'read.uncommitted', {
      result: ok({ endOffset: 13, records: ['0:i0', '1:i1', '2:i2', '3:c0', '4:c1', '6:a0', '7:a1', '9:o0', '11:s0'], position: 13 }),
    });
  }, 180_000);

  it('consumer fetch edge cases, Metadata shape, auto-creation and broker configs', async () => {
    const s = await runJava('FetchSession', [broker.bootstrap, 'fetch'], 120_000);
    expectStep(s, 'produce.overMaxMessageBytes', { result: err('RecordTooLargeException') });
    expectStep(s, 'produce.underMaxMessageBytes', { result: ok(0) });
    expectStep(s, 'produce.autoCreate', { result: ok(0) });
    expectStep(s, 'partitionsFor.autoCreated', { result: ok(1) });
    expectStep(s, 'partitionsFor', {
      partitions: [0, 1].map((partition) => ({ partition, hasLeader: true, replicas: 1, isr: 1, offline: 0 })),
    });
    expectStep(s, 'consumerMetadata.autoCreates', { result: ok(true) });
    expectStep(s, 'listTopics', { topics: { 'fetch-absent-x': 1, 'fetch-auto': 1, 'fetch-fetch': 2, 'fetch-small': 1 } });
    expectStep(s, 'reset.none', { result: { offsets: [], error: 'NoOffsetForPartitionException' } });
    expectStep(s, 'seek.pastEnd.resetNone', { result: { offsets: [], error: 'OffsetOutOfRangeException' } });
    expectStep(s, 'seek.atEnd', { result: { offsets: [], position: 10 } });
    expectStep(s, 'seek.middle', { result: { offsets: [7, 8, 9], position: 10 } });
    expectStep(s, 'reset.latest', { position: 10 });
    // Out of range with auto.offset.reset=latest: the consumer resets to the end.
    expectStep(s, 'seek.pastEnd.resetLatest', { result: { offsets: [], position: 10 } });
    expectStep(s, 'reset.earliest.afterDeleteRecords', { position: 4 });
    expectStep(s, 'seek.belowLogStart.resetEarliest', { result: { offsets: [4, 5, 6, 7, 8, 9], position: 10 } });
    expectStep(s, 'seek.belowLogStart.resetNone', { result: { offsets: [], error: 'OffsetOutOfRangeException' } });
    const brokerConfigs = (stepOf(s, 'describeConfigs.broker').result as { ok: Record<string, Record<string, unknown>> }).ok;
    expect(brokerConfigs['num.partitions']).toEqual({ value: '1', source: 'DEFAULT_CONFIG', readOnly: true, type: 'INT' });
    expect(brokerConfigs['log.message.timestamp.after.max.ms']).toMatchObject({ value: '3600000', source: 'DEFAULT_CONFIG' });
    expectStep(s, 'describeConfigs.topicUnknown', { result: err('UnknownTopicOrPartitionException') });
  }, 180_000);

  it('log compaction keeps the latest value per key and the tombstone, offsets unchanged', async () => {
    const s = await runJava('CompactionSession', [broker.bootstrap, 'compaction'], 120_000);
    expectStep(s, 'afterCompaction', {
      compacted: true,
      records: ['5:k0=null', '6:k1=b1', '7:k2=b2', '8:k3=b3', '9:k4=b4', '10:x=c'],
    });
    expectStep(s, 'afterCompaction.offsets', { earliest: 0, latest: 11 });
  }, 180_000);

  for (const protocol of ['classic', 'consumer'] as const) {
    it(`consumer group with group.protocol=${protocol}`, async () => {
      const s = await runJava('ConsumerSession', [broker.bootstrap, 'group', protocol], 120_000);
      const topic = `group-${protocol}-grp`;
      const type = protocol === 'classic' ? 'CLASSIC' : 'CONSUMER';
      const assignor = protocol === 'classic' ? 'range' : 'uniform';
      const epochs = protocol === 'consumer';
      expectStep(s, 'consume', { counts: { p0: 10, p1: 10 }, assignment: [`${topic}-0`, `${topic}-1`] });
      expectStep(s, 'commitSync', { result: ok(true) });
      expectStep(s, 'committed', { result: ok({ [`${topic}-0`]: 10, [`${topic}-1`]: 10 }) });
      expect(stepOf(s, 'describe.stable').result).toMatchObject(
        ok({ state: 'STABLE', type, assignor, simple: false, hasGroupEpoch: epochs, hasTargetAssignmentEpoch: epochs }),
      );
      expect((stepOf(s, 'describe.stable').result as { ok: { members: unknown[] } }).ok.members).toMatchObject([
        { assignment: [`${topic}-0`, `${topic}-1`], hasClientId: true },
      ]);
      expectStep(s, 'listGroups.stable', { result: ok({ type, protocol: 'consumer', state: 'STABLE' }) });
      expectStep(s, 'alterOffsets.whileActive', { result: err('UnknownMemberIdException') });
      expectStep(s, 'deleteGroup.whileActive', { result: err('GroupNotEmptyException') });
      expect(stepOf(s, 'describe.afterLeave').result).toMatchObject(ok({ state: 'EMPTY', type, members: [] }));
      expectStep(s, 'offsets.afterLeave', {
        result: ok({
          [`${topic}-0`]: { offset: 10, metadata: '', hasLeaderEpoch: true },
          [`${topic}-1`]: { offset: 10, metadata: '', hasLeaderEpoch: true },
        }),
      });
      expectStep(s, 'offsets.afterAlter', {
        result: ok({
          [`${topic}-0`]: { offset: 3, metadata: 'note', hasLeaderEpoch: false },
          [`${topic}-1`]: { offset: 10, metadata: '', hasLeaderEpoch: true },
        }),
      });
      expectStep(s, 'offsets.afterDeleteOffsets', { result: ok({ [`${topic}-0`]: { offset: 3, metadata: 'note', hasLeaderEpoch: false } }) });
      expectStep(s, 'deleteGroup', { result: ok(true) });
      expectStep(s, 'listGroups.afterDelete', { result: ok('absent') });
      expectStep(s, 'deleteGroup.unknown', { result: err('GroupIdNotFoundException') });
    }, 180_000);
  }
});
