// AlterClientQuotas / DescribeClientQuotas through kafka-clients 4.1 (Java AdminClient,
// test/compat/java/QuotaSession.java) against a spawned broker: entity levels and defaults,
// validateOnly, removal, Kafka's errors (InvalidRequestException for bad entities, keys and
// values; UnsupportedVersionException for an unknown filter type), strict / non-strict filters,
// persistence across a restart, and a Java producer over its quota seeing the throttle time.
import { Admin, ClientQuotaMatchTypes } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { javaClasspath, runJava, stepOf, type Step } from '../helpers/java-client.js';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';

let broker: SpawnedBroker;

beforeAll(async () => {
  javaClasspath();
  broker = await spawnBroker({ overrides: { 'quota.window.num': '2' } });
}, 240_000);

afterAll(async () => {
  await broker?.cleanup();
});

const ok = (value: unknown) => ({ ok: value });
const err = (error: string) => ({ error });
const result = (s: Step[], name: string) => stepOf(s, name).result;

describe('client quota admin (Java AdminClient)', () => {
  it('alters and describes quotas with Kafka semantics and errors', async () => {
    const s = await runJava('QuotaSession', [broker.bootstrap, 'quota-java'], 120_000);
    for (const name of ['alter.user', 'alter.userClient', 'alter.defaultUser', 'alter.defaultClient', 'alter.ip', 'alter.validateOnly', 'alter.remove']) {
      expect(result(s, name), name).toEqual(ok('done'));
    }
    for (const name of ['alter.unknownKey', 'alter.fractionalLong', 'alter.ipKeyOnUser', 'alter.ipWithUser', 'alter.unknownType', 'alter.emptyName']) {
      expect(result(s, name), name).toEqual(err('InvalidRequestException'));
    }
    expect(result(s, 'describe.all')).toEqual(
      ok({
        'client-id=<default>': { producer_byte_rate: 4096 },
        'ip=10.1.2.3': { connection_creation_rate: 5 },
        'user=<default>': { request_percentage: 50.5 },
        'user=alice': { producer_byte_rate: 1024 },
        'client-id=app,user=alice': { consumer_byte_rate: 2048 },
      }),
    );
    // Non-strict: every entity with user=alice; strict: only the entity that is just user=alice.
    expect(result(s, 'describe.containsAlice')).toEqual(ok({ 'user=alice': { producer_byte_rate: 1024 }, 'client-id=app,user=alice': { consumer_byte_rate: 2048 } }));
    expect(result(s, 'describe.onlyAlice')).toEqual(ok({ 'user=alice': { producer_byte_rate: 1024 } }));
    expect(result(s, 'describe.defaultUser')).toEqual(ok({ 'user=<default>': { request_percentage: 50.5 } }));
    expect(result(s, 'describe.anyClient')).toEqual(ok({ 'client-id=<default>': { producer_byte_rate: 4096 }, 'client-id=app,user=alice': { consumer_byte_rate: 2048 } }));
    expect(result(s, 'describe.bob')).toEqual(ok({})); // validateOnly stored nothing
    expect(result(s, 'describe.unknownType')).toEqual(err('UnsupportedVersionException'));
    expect(result(s, 'describe.ipAndUser')).toEqual(err('InvalidRequestException'));
    expect(result(s, 'describe.afterRemove')).toEqual(ok({ 'user=alice': { producer_byte_rate: 1024 } }));
    // 12 x 8 KB at 20 KB/s: the broker throttles and the Java producer reports it.
    expect(stepOf(s, 'produce.throttled')).toMatchObject({ throttleTimeSeen: true, slowerThanHalfQuotaWindow: true });

    // Persisted: after a crash (SIGKILL) the broker answers the same quotas.
    broker = await broker.restart({ signal: 'SIGKILL' });
    const admin = new Admin({ clientId: 'after-restart', bootstrapBrokers: [broker.bootstrap] });
    try {
      const entries = await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: ClientQuotaMatchTypes.EXACT, match: 'alice' }], strict: true });
      expect(entries).toEqual([{ entity: [{ entityType: 'user', entityName: 'alice' }], values: [{ key: 'producer_byte_rate', value: 1024 }] }]);
    } finally {
      await admin.close();
    }
  }, 180_000);
});
