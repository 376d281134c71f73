// controller_mutation_rate (KIP-599) with raw requests: partitions created / added / deleted per
// second, on Kafka's token bucket (here 2 samples x 1 s: a burst of 2 x quota). New request
// versions are strict: once the bucket is in deficit further topics answer THROTTLING_QUOTA_EXCEEDED
// with the time to wait; old versions are permissive: everything is done and the deficit becomes
// throttle_time_ms, with the connection muted that long.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
let c: RawClient;

const topic = (name: string, numPartitions: number) => ({ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] });
const setQuota = async (entity: { entityType: string; entityName: string }, value: number) => {
  const res = await c.send(49, 1, { entries: [{ entity: [entity], ops: [{ key: 'controller_mutation_rate', value, remove: false }] }], validateOnly: false });
  expect(res.entries[0].errorCode).toBe(0);
};

beforeAll(async () => {
  tb = await startTestBroker({ 'controller.quota.window.num': '2', 'controller.quota.window.size.seconds': '1' });
  c = await RawClient.connect(tb.port);
  // Before any quota: topics the permissive test deletes.
  const created = await c.send(19, 7, { topics: [topic('pm-1', 3), topic('pm-2', 3)], timeoutMs: 5000, validateOnly: false });
  expect(created.topics.map((t: { errorCode: number }) => t.errorCode)).toEqual([0, 0]);
});
afterAll(async () => {
  c?.close();
  await tb?.cleanup();
});

describe('controller_mutation_rate', () => {
  it('strict (CreateTopics v7, CreatePartitions v3): topics after the bucket empties are refused with the time to wait', async () => {
    // 1 partition per second, burst 2 (client-id raw-client).
    await setQuota({ entityType: 'client-id', entityName: 'raw-client' }, 1);
    const res = await c.send(19, 7, { topics: [topic('cm-a', 2), topic('cm-b', 1), topic('cm-c', 1)], timeoutMs: 5000, validateOnly: false });
    // cm-a takes the 2 tokens, cm-b finds 0 (not a deficit) and takes the bucket to -1, cm-c is refused.
    expect(res.topics.map((t: { name: string; errorCode: number }) => [t.name, t.errorCode])).toEqual([
      ['cm-a', ErrorCode.NONE],
      ['cm-b', ErrorCode.NONE],
      ['cm-c', ErrorCode.THROTTLING_QUOTA_EXCEEDED],
    ]);
    expect(res.topics[2].errorMessage).toBe('The throttling quota has been exceeded.');
    // -1 token at 1/s: about one second to wait.
    expect(res.throttleTimeMs).toBeGreaterThan(500);
    expect(res.throttleTimeMs).toBeLessThanOrEqual(1000);
    expect(tb.broker.topics.get('cm-c')).toBeUndefined();
    expect(tb.broker.topics.get('cm-b')?.partitions).toBe(1);

    // Still in deficit (this connection is muted for the throttle; another one is not): adding
    // partitions is refused as well.
    const c2 = await RawClient.connect(tb.port);
    try {
      const more = await c2.send(37, 3, { topics: [{ name: 'cm-a', count: 5, assignments: null }], timeoutMs: 5000, validateOnly: false });
      expect(more.results[0].errorCode).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED);
      expect(more.throttleTimeMs).toBeGreaterThan(0);
      expect(tb.broker.topics.get('cm-a')?.partitions).toBe(2);
    } finally {
      c2.close();
    }
  });

  it('permissive (DeleteTopics v4): the topics are deleted, the deficit is throttle_time_ms, and the connection is muted', async () => {
    // A user quota takes precedence over the client-id one: a fresh bucket of 2/s, burst 4.
    await setQuota({ entityType: 'user', entityName: 'ANONYMOUS' }, 2);
    const res = await c.send(20, 4, { topicNames: ['pm-1', 'pm-2'], timeoutMs: 5000 });
    expect(res.responses.map((r: { name: string; errorCode: number }) => [r.name, r.errorCode])).toEqual([
      ['pm-1', ErrorCode.NONE],
      ['pm-2', ErrorCode.NONE],
    ]);
    // 6 partitions against 4 tokens: -2 at 2/s = one second.
    expect(res.throttleTimeMs).toBeGreaterThan(900);
    expect(res.throttleTimeMs).toBeLessThanOrEqual(1000);
    expect(tb.broker.topics.get('pm-1')).toBeUndefined();
    const sent = performance.now();
    await c.send(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    expect(performance.now() - sent).toBeGreaterThanOrEqual(res.throttleTimeMs - 50);
  });

  it('validateOnly counts nothing, and no quota means no throttle', async () => {
    const other = await startTestBroker({});
    const d = await RawClient.connect(other.port);
    try {
      const res = await d.send(19, 7, { topics: [topic('free-1', 50), topic('free-2', 50)], timeoutMs: 5000, validateOnly: false });
      expect(res.topics.map((t: { errorCode: number }) => t.errorCode)).toEqual([0, 0]);
      expect(res.throttleTimeMs).toBe(0);
      await d.send(49, 1, { entries: [{ entity: [{ entityType: 'client-id', entityName: 'raw-client' }], ops: [{ key: 'controller_mutation_rate', value: 1, remove: false }] }], validateOnly: false });
      const dry = await d.send(19, 7, { topics: [topic('dry-1', 50), topic('dry-2', 50)], timeoutMs: 5000, validateOnly: true });
      expect(dry.topics.map((t: { errorCode: number }) => t.errorCode)).toEqual([0, 0]);
      expect(dry.throttleTimeMs).toBe(0);
    } finally {
      d.close();
      await other.cleanup();
    }
  });
});
