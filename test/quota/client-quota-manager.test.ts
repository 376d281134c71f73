// ClientQuotaManager: Kafka's KIP-55 precedence (all eight levels), which clients share one rate,
// the throttle formula of QuotaUtils.throttleTime, and SampledRate's window arithmetic.
import { describe, expect, it } from 'vitest';
import { ClientQuotaManager, quotaUser } from '../../src/quota/client-quota-manager.js';
import { entityKey, type QuotaEntity } from '../../src/quota/quota-entity.js';
import { SampledRate } from '../../src/quota/sampled-rate.js';

class FakeStore {
  version = 0;
  private readonly m = new Map<string, { entity: QuotaEntity; quotas: Map<string, number> }>();
  set(pairs: [string, string | null][], key: string, value: number): void {
    const entity = new Map(pairs);
    const k = entityKey(entity);
    const e = this.m.get(k) ?? { entity, quotas: new Map() };
    e.quotas.set(key, value);
    this.m.set(k, e);
    this.version++;
  }
  get(entity: QuotaEntity) {
    return this.m.get(entityKey(entity))?.quotas ?? new Map<string, number>();
  }
  all() {
    return [...this.m.values()];
  }
}

const P = 'producer_byte_rate';

describe('quota precedence (KIP-55)', () => {
  it('picks the most specific configured level, down to the client-id default', () => {
    const s = new FakeStore();
    const m = new ClientQuotaManager(s, { samples: 11, windowMs: 1000 });
    const bound = () => m.quotaFor(P, 'alice', 'app')?.bound ?? null;
    expect(m.active(P)).toBe(false);
    expect(bound()).toBeNull();
    // Added from least to most specific: each one must take over.
    s.set([['client-id', null]], P, 8);
    expect(bound()).toBe(8);
    s.set([['client-id', 'app']], P, 7);
    expect(bound()).toBe(7);
    s.set([['user', null]], P, 6);
    expect(bound()).toBe(6);
    s.set([['user', null], ['client-id', null]], P, 5);
    expect(bound()).toBe(5);
    s.set([['user', null], ['client-id', 'app']], P, 4);
    expect(bound()).toBe(4);
    s.set([['user', 'alice']], P, 3);
    expect(bound()).toBe(3);
    s.set([['user', 'alice'], ['client-id', null]], P, 2);
    expect(bound()).toBe(2);
    s.set([['user', 'alice'], ['client-id', 'app']], P, 1);
    expect(bound()).toBe(1);
    // Other users / clients fall to the levels that match them.
    expect(m.quotaFor(P, 'bob', 'app')?.bound).toBe(4);
    expect(m.quotaFor(P, 'bob', 'other')?.bound).toBe(5);
    expect(m.quotaFor(P, 'alice', 'other')?.bound).toBe(2);
    // Keys resolve independently.
    expect(m.quotaFor('consumer_byte_rate', 'alice', 'app')).toBeNull();
  });

  it('shares one rate per user quota, one per client under a <default> level', () => {
    const s = new FakeStore();
    s.set([['user', 'alice']], P, 100);
    s.set([['client-id', null]], P, 100);
    const m = new ClientQuotaManager(s, { samples: 11, windowMs: 1000 });
    expect(m.quotaFor(P, 'alice', 'a')!.sensorKey).toBe(m.quotaFor(P, 'alice', 'b')!.sensorKey);
    expect(m.quotaFor(P, 'bob', 'a')!.sensorKey).not.toBe(m.quotaFor(P, 'bob', 'b')!.sensorKey);
  });

  it('throttles by (rate - quota) / quota x window span, not before the quota is exceeded', () => {
    const s = new FakeStore();
    s.set([['client-id', 'c']], P, 1000);
    const m = new ClientQuotaManager(s, { samples: 11, windowMs: 1000 });
    // 10 000 bytes over the padded 10 s span = exactly the quota: no throttle.
    expect(m.recordAndGetThrottleTimeMs(P, '', 'c', 10_000, 0)).toBe(0);
    // 20 000 over 10 s = 2 000/s: (2000 - 1000) / 1000 x 10 000 ms.
    expect(m.recordAndGetThrottleTimeMs(P, '', 'c', 10_000, 0)).toBe(10_000);
    // request_percentage-style bound on the throttle.
    expect(m.recordAndGetThrottleTimeMs(P, '', 'c', 10_000, 0, 1000)).toBe(1000);
    // A client without a quota is never measured.
    expect(m.recordAndGetThrottleTimeMs(P, '', 'free', 1e9, 0)).toBe(0);
  });

  it('names the quota user after the principal type', () => {
    expect(quotaUser('User:alice')).toBe('alice');
    expect(quotaUser('User:CN=a,O=b')).toBe('CN=a,O=b');
  });
});

describe('SampledRate (Kafka Rate over SampledStat)', () => {
  it('pads a young rate to samples - 1 windows and forgets samples older than all windows', () => {
    const r = new SampledRate({ samples: 3, windowMs: 1000 });
    r.record(2000, 0);
    expect(r.windowSizeMs(500)).toBe(2500); // 500 ms elapsed + 2 full windows of padding
    expect(r.rate(500)).toBeCloseTo(800);
    r.record(1000, 1500); // second window
    expect(r.windowSizeMs(2500)).toBe(2500);
    expect(r.rate(2500)).toBeCloseTo(3000 / 2.5);
    // At 3 s the first sample (started at 0) expires: 1000 over 1.5 s elapsed, padded to 2.5 s.
    expect(r.rate(3000)).toBeCloseTo(1000 / 2.5);
  });
});
