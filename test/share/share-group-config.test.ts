// Per-group share configs (Kafka 4.4 GroupConfig share.* keys) over IncrementalAlterConfigs /
// DescribeConfigs on GROUP resources: validation against the broker's group.share.min/max bounds
// (INVALID_CONFIG), the effect on live groups (lock duration, heartbeat interval, renew,
// delivery-count limit, read_committed, auto.offset.reset earliest / by_duration), persistence
// across a restart, and Kafka's own Admin + KafkaShareConsumer setting share.auto.offset.reset.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { runJava, shareClasspath, stepOf } from '../helpers/java-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { ACCEPT, acquired, RawShareMember, RELEASE } from './raw-share-member.js';

const GROUP = 32;
const SET = 0;
const APPEND = 2;

let tb: TestBroker;
let client: RawClient;

beforeAll(async () => {
  // Broker default share.auto.offset.reset stays "latest" (Kafka's): groups must opt in per group.
  tb = await startTestBroker({ 'group.share.record.lock.duration.ms': '30000', 'offsets.topic.num.partitions': '1' });
  client = await RawClient.connect(tb.port);
});
afterAll(async () => {
  client?.close();
  await tb?.cleanup();
});

interface AlterResult {
  responses: { errorCode: number; errorMessage: string | null }[];
}

function alter(group: string, configs: { name: string; value: string | null; op?: number }[], validateOnly = false): Promise<AlterResult> {
  return client.send<AlterResult>(44, 1, {
    resources: [{ resourceType: GROUP, resourceName: group, configs: configs.map((c) => ({ name: c.name, configOperation: c.op ?? SET, value: c.value })) }],
    validateOnly,
  });
}

async function describeGroup(group: string): Promise<Map<string, { value: string | null; configSource: number; synonyms: { name: string; source: number }[] }>> {
  const r = await client.send<{ results: { errorCode: number; configs: { name: string; value: string | null; configSource: number; synonyms: { name: string; source: number }[] }[] }[] }>(32, 4, {
    resources: [{ resourceType: GROUP, resourceName: group, configurationKeys: null }],
    includeSynonyms: true,
    includeDocumentation: false,
  });
  expect(r.results[0]!.errorCode).toBe(0);
  return new Map(r.results[0]!.configs.map((c) => [c.name, c]));
}

async function produce(topic: string, n: number, prefix = 'v'): Promise<void> {
  const producer = new Kafka({ clientId: 'share-config', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  for (let i = 0; i < n; i++) await producer.send({ topic, messages: [{ value: `${prefix}${i}` }] });
  await producer.disconnect();
}

async function topic(name: string): Promise<string> {
  await tb.broker.createTopic(name, 1, 1, {});
  return tb.broker.topics.get(name)!.id;
}

const member = (group: string, id: string) => new RawShareMember(() => client, group, id);

describe('share group configs (GROUP resources)', () => {
  it('validates names and values against the broker bounds (INVALID_CONFIG), like Kafka', async () => {
    const cases: [string, string, string][] = [
      ['share.record.lock.duration.ms', '1000', 'share.record.lock.duration.ms must be in the range 15000 to 60000 inclusive.'],
      ['share.delivery.count.limit', '11', 'share.delivery.count.limit must be in the range 2 to 10 inclusive.'],
      ['share.session.timeout.ms', 'abc', 'Invalid value abc for configuration share.session.timeout.ms: Not a number of type INT'],
      ['share.auto.offset.reset', 'middle', 'Invalid value middle for configuration share.auto.offset.reset'],
      ['share.isolation.level', 'dirty', 'Invalid value dirty for configuration share.isolation.level'],
      ['share.renew.acknowledge.enable', 'yes', 'Expected value to be either true or false'],
      ['share.no.such.key', '1', 'Unknown group config name: share.no.such.key'],
    ];
    for (const [name, value, message] of cases) {
      const r = await alter('g-cfg-bad', [{ name, value }]);
      expect(r.responses[0]!.errorCode, name).toBe(ErrorCode.INVALID_CONFIG);
      expect(r.responses[0]!.errorMessage, name).toContain(message);
    }
    const append = await alter('g-cfg-bad', [{ name: 'share.auto.offset.reset', value: 'earliest', op: APPEND }]);
    expect(append.responses[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    // validateOnly checks without storing.
    expect((await alter('g-cfg-bad', [{ name: 'share.delivery.count.limit', value: '3' }], true)).responses[0]!.errorCode).toBe(0);
    expect((await describeGroup('g-cfg-bad')).get('share.delivery.count.limit')!.configSource).toBe(5);
  });

  it('describes overrides (GROUP_CONFIG) over the broker values (with their synonyms)', async () => {
    expect((await alter('g-cfg-desc', [{ name: 'share.record.lock.duration.ms', value: '20000' }, { name: 'share.auto.offset.reset', value: 'by_duration:PT1H' }])).responses[0]!.errorCode).toBe(0);
    const rows = await describeGroup('g-cfg-desc');
    expect(rows.get('share.record.lock.duration.ms')).toMatchObject({ value: '20000', configSource: 8 });
    expect(rows.get('share.record.lock.duration.ms')!.synonyms.map((s) => [s.name, s.source])).toEqual([
      ['share.record.lock.duration.ms', 8],
      ['group.share.record.lock.duration.ms', 4],
    ]);
    expect(rows.get('share.auto.offset.reset')).toMatchObject({ value: 'by_duration:PT1H', configSource: 8 });
    expect(rows.get('share.delivery.count.limit')).toMatchObject({ value: '5', configSource: 5 });
    expect(rows.get('share.isolation.level')).toMatchObject({ value: 'read_uncommitted', configSource: 5 });
  });

  it('applies to a live group: lock duration, heartbeat interval, renew, delivery-count limit', async () => {
    const id = await topic('cfg-live');
    expect((await alter('g-cfg-live', [{ name: 'share.auto.offset.reset', value: 'earliest' }])).responses[0]!.errorCode).toBe(0);
    await produce('cfg-live', 1);
    const m = member('g-cfg-live', 'a');
    const joined = await m.join(['cfg-live']);
    expect(joined.heartbeatIntervalMs).toBe(5000);
    const first = await m.fetch(id);
    expect(first.acquisitionLockTimeoutMs).toBe(30000);
    expect(acquired(first)).toEqual([{ firstOffset: 0, lastOffset: 0, deliveryCount: 1 }]);
    const r = await alter('g-cfg-live', [
      { name: 'share.auto.offset.reset', value: 'earliest' },
      { name: 'share.record.lock.duration.ms', value: '15000' },
      { name: 'share.heartbeat.interval.ms', value: '6000' },
      { name: 'share.renew.acknowledge.enable', value: 'false' },
      { name: 'share.delivery.count.limit', value: '2' },
    ]);
    expect(r.responses[0]!.errorCode).toBe(0);
    expect((await m.heartbeat()).heartbeatIntervalMs).toBe(6000);
    // Renew refused for the group (Kafka: INVALID_RECORD_STATE "Renewing acquisition locks is not enabled").
    const renew = await m.fetch(id, { isRenewAck: true }, [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [4] }]);
    expect(renew.responses[0]!.partitions[0]!.acknowledgeErrorCode).toBe(ErrorCode.INVALID_RECORD_STATE);
    // Released once: redelivered with the group's lock duration; released at count 2 = the group's limit: archived.
    expect((await m.ack(id, 0, 0, RELEASE)).responses[0]!.partitions[0]!.errorCode).toBe(0);
    const second = await m.fetch(id);
    expect(second.acquisitionLockTimeoutMs).toBe(15000);
    expect(acquired(second)).toEqual([{ firstOffset: 0, lastOffset: 0, deliveryCount: 2 }]);
    expect((await m.ack(id, 0, 0, RELEASE)).responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect(tb.broker.shareService!.partitions.sharePartition('g-cfg-live', id, 0)!.startOffset).toBe(1);
  });

  it('share.isolation.level=read_committed skips aborted transactions and stops at the LSO', async () => {
    const id = await topic('cfg-txn');
    await alter('g-cfg-txn', [{ name: 'share.auto.offset.reset', value: 'earliest' }, { name: 'share.isolation.level', value: 'read_committed' }]);
    const kafka = new Kafka({ clientId: 'share-txn', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ transactionalId: 'share-txn-1', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'cfg-txn', messages: [{ value: 'a0' }, { value: 'a1' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic: 'cfg-txn', messages: [{ value: 'c0' }] });
    await committed.commit();
    const open = await producer.transaction();
    await open.send({ topic: 'cfg-txn', messages: [{ value: 'o0' }] });
    const m = member('g-cfg-txn', 'a');
    await m.join(['cfg-txn']);
    // Offsets 0-1 aborted, 2 the abort marker, 3 committed, 4 its marker, 5 still open (past the LSO).
    expect(acquired(await m.fetch(id))).toEqual([{ firstOffset: 3, lastOffset: 3, deliveryCount: 1 }]);
    // 0-2 archived (never delivered), so the start offset moved past them.
    expect(tb.broker.shareService!.partitions.sharePartition('g-cfg-txn', id, 0)!.startOffset).toBe(3);
    await open.commit();
    await producer.disconnect();
    expect(acquired(await m.fetch(id))).toEqual([{ firstOffset: 5, lastOffset: 5, deliveryCount: 1 }]);
  });

  it('share.auto.offset.reset=by_duration starts at the first record at or after now - duration', async () => {
    const id = await topic('cfg-duration');
    await produce('cfg-duration', 3, 'old');
    // The old records are 3 s old when the new ones come; PT2S then falls between them as long
    // as the first fetch follows the new records within 2 s.
    await new Promise((res) => setTimeout(res, 3000));
    await produce('cfg-duration', 2, 'new');
    await alter('g-cfg-duration', [{ name: 'share.auto.offset.reset', value: 'by_duration:PT2S' }]);
    const m = member('g-cfg-duration', 'a');
    await m.join(['cfg-duration']);
    expect(acquired(await m.fetch(id))).toEqual([{ firstOffset: 3, lastOffset: 4, deliveryCount: 1 }]);
  });

  it('group configs survive a restart', async () => {
    expect((await alter('g-cfg-keep', [{ name: 'share.delivery.count.limit', value: '7' }])).responses[0]!.errorCode).toBe(0);
    client.close();
    tb = await tb.restart();
    client = await RawClient.connect(tb.port);
    expect((await describeGroup('g-cfg-keep')).get('share.delivery.count.limit')).toMatchObject({ value: '7', configSource: 8 });
    expect(tb.broker.shareService!.groupConfigs.overrides('g-cfg-keep')).toEqual({ 'share.delivery.count.limit': '7' });
  });

  it("Kafka's Admin sets share.auto.offset.reset=earliest and a KafkaShareConsumer reads from the start", async () => {
    await topic('cfg-java');
    await produce('cfg-java', 3, 'early');
    const steps = await runJava('ShareSession', [tb.bootstrap, 'g-cfg-java', 'cfg-java', 'accept', '3', '20000', 'set-earliest'], 80_000, shareClasspath());
    const failed = steps.find((s) => s.step === 'failed');
    expect(failed, JSON.stringify(failed)).toBeUndefined();
    const seen = stepOf(steps, 'deliveries').records as { offset: number; value: string }[];
    expect(seen.map((d) => [d.offset, d.value])).toEqual([[0, 'early0'], [1, 'early1'], [2, 'early2']]);
    expect((await describeGroup('g-cfg-java')).get('share.auto.offset.reset')).toMatchObject({ value: 'earliest', configSource: 8 });
  }, 120_000);
});

void ACCEPT;
