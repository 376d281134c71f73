// The pure fold: replacement semantics, withdrawals, owners, threshold, versions, and a property
// test against a direct computation over all raw data.
import { describe, expect, it } from 'vitest';
import { validateDefinition, type AggregationDefinition } from '../../src/aggregation/definition.js';
import { AggregationState, DirtySet, type Emission } from '../../src/aggregation/fold.js';
import { decodeGroupKey, encodeGroupKey } from '../../src/aggregation/group-key.js';
import { extractContribution } from '../../src/aggregation/record-format.js';
import { rng } from '../protocol/records/random-data.js';

function definition(minContributors = 1): AggregationDefinition {
  const v = validateDefinition({
    name: 'spend',
    sources: [{ name: 'local', topic: 'contributions' }],
    contributorField: 'partner',
    groupBy: ['category', 'month'],
    measures: [
      { name: 'sum', op: 'sum', field: 'sum' },
      { name: 'count', op: 'count', field: 'count' },
      { name: 'min', op: 'min', field: 'sum' },
      { name: 'max', op: 'max', field: 'sum' },
    ],
    derived: [{ name: 'avg', op: 'avg', sum: 'sum', count: 'count' }],
    minContributors,
    output: { topic: 'global' },
  });
  if (!v.ok) throw new Error(v.errors.join('; '));
  return v.definition;
}

const c = (partner: string, category: string, month: string, sum: number, count: number) => ({ contributor: partner, groupValues: [category, month], measures: [sum, count, sum, sum] });

function fold(state: AggregationState, ops: (s: AggregationState, d: DirtySet) => void, now = 1000): Emission[] {
  const d = new DirtySet();
  ops(state, d);
  return state.publish(d.groups, now);
}

function result(e: Emission): Record<string, unknown> {
  return JSON.parse(e.value!) as Record<string, unknown>;
}

describe('group keys', () => {
  it('round-trip values holding the separator and the escape', () => {
    for (const values of [['groceries', '2024-03'], ['a|b', 'c\\d'], ['', ''], ['|', '\\|\\']]) {
      expect(decodeGroupKey(encodeGroupKey(values), values.length)).toEqual(values);
    }
    expect(encodeGroupKey(['groceries', '2024-03'])).toBe('groceries|2024-03');
  });
});

describe('AggregationState', () => {
  it('combines contributors: sums, counts, min, max and avg = sum / count', () => {
    const s = new AggregationState(definition());
    const out = fold(s, (st, d) => {
      st.upsert('k1', c('alpha', 'food', '2024-01', 100, 4), d);
      st.upsert('k2', c('beta', 'food', '2024-01', 50, 1), d);
    });
    expect(out).toHaveLength(1);
    expect(result(out[0]!)).toEqual({
      group: { category: 'food', month: '2024-01' },
      contributors: 2,
      measures: { sum: 150, count: 5, min: 50, max: 100 },
      derived: { avg: 30 },
      version: 1,
      updatedAt: new Date(1000).toISOString(),
    });
  });

  it('a correction replaces the earlier contribution; an identical re-delivery emits nothing', () => {
    const s = new AggregationState(definition());
    fold(s, (st, d) => st.upsert('k1', c('alpha', 'food', '2024-01', 100, 4), d));
    const corrected = fold(s, (st, d) => st.upsert('k1', c('alpha', 'food', '2024-01', 80, 4), d), 2000);
    expect(result(corrected[0]!)).toMatchObject({ measures: { sum: 80, count: 4 }, version: 2 });
    expect(fold(s, (st, d) => st.upsert('k1', c('alpha', 'food', '2024-01', 80, 4), d), 3000)).toEqual([]);
    // The same contribution under a different record key (or no key) still replaces, never adds.
    const rekeyed = fold(s, (st, d) => st.upsert(null, c('alpha', 'food', '2024-01', 90, 5), d), 4000);
    expect(result(rekeyed[0]!)).toMatchObject({ contributors: 1, measures: { sum: 90, count: 5 }, version: 3 });
  });

  it('a tombstone withdraws what its key contributed, unless a later record replaced it', () => {
    const s = new AggregationState(definition());
    fold(s, (st, d) => {
      st.upsert('k1', c('alpha', 'food', '2024-01', 100, 4), d);
      st.upsert('k2', c('beta', 'food', '2024-01', 10, 1), d);
    });
    const w = fold(s, (st, d) => expect(st.withdraw('k1', d)).toBe(true), 2000);
    expect(result(w[0]!)).toMatchObject({ contributors: 1, measures: { sum: 10 }, version: 2 });
    const d = new DirtySet();
    expect(s.withdraw('unknown', d)).toBe(false);
    expect(d.empty).toBe(true);
    // k3 takes over beta's contribution: k2's tombstone no longer withdraws it.
    fold(s, (st, dd) => st.upsert('k3', c('beta', 'food', '2024-01', 20, 2), dd));
    expect(fold(s, (st, dd) => st.withdraw('k2', dd))).toEqual([]);
    expect(s.content(s.groups.get('food|2024-01')!)).toMatchObject({ measures: { sum: 20, count: 2 } });
  });

  it('a key whose value moves to another group withdraws it from the old group', () => {
    const s = new AggregationState(definition());
    fold(s, (st, d) => st.upsert('k1', c('alpha', 'food', '2024-01', 100, 4), d));
    const out = fold(s, (st, d) => st.upsert('k1', c('alpha', 'food', '2024-02', 100, 4), d), 2000);
    const byGroup = new Map(out.map((e) => [e.group, e]));
    expect(byGroup.get('food|2024-01')!.value).toBeNull(); // withdrawn: tombstone
    expect(byGroup.get('food|2024-01')!.version).toBe(2);
    expect(result(byGroup.get('food|2024-02')!)).toMatchObject({ contributors: 1, version: 1 });
  });

  it('publishes nothing about a group below the threshold, releases it at the threshold, retracts it below', () => {
    const s = new AggregationState(definition(3));
    expect(
      fold(s, (st, d) => {
        st.upsert('a', c('alpha', 'food', '2024-01', 1, 1), d);
        st.upsert('b', c('beta', 'food', '2024-01', 2, 1), d);
      }),
    ).toEqual([]);
    expect(s.counts()).toMatchObject({ published: 0, suppressed: 1 });
    const released = fold(s, (st, d) => st.upsert('g', c('gamma', 'food', '2024-01', 3, 1), d), 2000);
    expect(result(released[0]!)).toMatchObject({ contributors: 3, measures: { sum: 6 }, version: 1 });
    const retracted = fold(s, (st, d) => st.withdraw('g', d), 3000);
    expect(retracted).toEqual([{ group: 'food|2024-01', version: 2, value: null, updatedAt: 3000 }]);
    // Changes below the threshold reveal nothing (no emission at all).
    expect(fold(s, (st, d) => st.upsert('a', c('alpha', 'food', '2024-01', 5, 1), d), 4000)).toEqual([]);
    const again = fold(s, (st, d) => st.upsert('g', c('gamma', 'food', '2024-01', 3, 1), d), 5000);
    expect(result(again[0]!)).toMatchObject({ measures: { sum: 10 }, version: 3 });
  });

  it('a lowered threshold publishes waiting groups when every group is recomputed', () => {
    const s = new AggregationState(definition(2));
    expect(fold(s, (st, d) => st.upsert('a', c('alpha', 'food', '2024-01', 1, 1), d))).toEqual([]);
    s.setDefinition(definition(1));
    const out = s.publish(s.allGroupKeys(), 2000);
    expect(out.map((e) => e.group)).toEqual(['food|2024-01']);
  });

  it('avg is null while the combined count is 0', () => {
    const s = new AggregationState(definition());
    const out = fold(s, (st, d) => st.upsert('a', c('alpha', 'food', '2024-01', 0, 0), d));
    expect(result(out[0]!)).toMatchObject({ derived: { avg: null } });
  });
});

// ---- property test ---------------------------------------------------------------------------

interface Txn {
  partner: string;
  category: string;
  month: string;
  amount: number;
}

/** Phase one as `tributary contribute` does it: monthly sum and count per category. */
function localContributions(txns: Txn[]): Map<string, { partner: string; category: string; month: string; sum: number; count: number }> {
  const out = new Map<string, { partner: string; category: string; month: string; sum: number; count: number }>();
  for (const t of txns) {
    const k = `${t.partner}|${t.category}|${t.month}`;
    const e = out.get(k) ?? { partner: t.partner, category: t.category, month: t.month, sum: 0, count: 0 };
    e.sum += t.amount;
    e.count++;
    out.set(k, e);
  }
  return out;
}

describe('property: the fold equals a direct computation over all raw data', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}`, () => {
      const r = rng(seed);
      const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
      const partners = Array.from({ length: 2 + Math.floor(r() * 5) }, (_, i) => `p${i}`);
      const categories = ['food', 'travel', 'fuel', 'rent'];
      const months = ['2024-01', '2024-02', '2024-03'];
      const threshold = 1 + Math.floor(r() * 3);
      const txns: Txn[] = [];
      for (const partner of partners) {
        const n = Math.floor(r() * 60);
        for (let i = 0; i < n; i++) txns.push({ partner, category: pick(categories), month: pick(months), amount: Math.round(r() * 50000) / 100 });
      }
      const truth = localContributions(txns);
      const def = definition(threshold);
      const s = new AggregationState(def);
      const lastOutput = new Map<string, Emission>();
      const versions = new Map<string, number>();
      const apply = (ops: (st: AggregationState, d: DirtySet) => void, now: number) => {
        for (const e of fold(s, ops, now)) {
          expect(e.version).toBe((versions.get(e.group) ?? 0) + 1); // one emission per version
          versions.set(e.group, e.version);
          lastOutput.set(e.group, e);
        }
      };
      // Feed in random order with noise: wrong values later corrected, withdrawals later re-added,
      // re-deliveries of the same record, keys first pointing at the wrong group.
      const events: { key: string; value: ReturnType<typeof c> | null }[] = [];
      for (const [key, v] of truth) {
        const real = c(v.partner, v.category, v.month, v.sum, v.count);
        const noise = r();
        if (noise < 0.2) events.push({ key, value: c(v.partner, v.category, v.month, v.sum * 3 + 1, v.count + 7) });
        else if (noise < 0.3) events.push({ key, value: c(v.partner, 'misc', pick(months), 999, 9) }); // the key first says the wrong group
        else if (noise < 0.4) events.push({ key, value: real }, { key, value: null });
        events.push({ key, value: real });
        if (r() < 0.2) events.push({ key, value: real });
      }
      // Contributors that appear and are withdrawn entirely.
      for (let i = 0; i < 5; i++) {
        const key = `stale-${i}`;
        events.push({ key, value: c(`ghost-${i}`, pick(categories), pick(months), 1234, 3) }, { key, value: null });
      }
      // Shuffle while keeping each key's own order (a key lives in one partition).
      const byKey = new Map<string, typeof events>();
      for (const e of events) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
      const queues = [...byKey.values()];
      let now = 1;
      while (queues.some((q) => q.length > 0)) {
        const batch = 1 + Math.floor(r() * 5);
        apply((st, d) => {
          for (let i = 0; i < batch; i++) {
            const live = queues.filter((q) => q.length > 0);
            if (live.length === 0) break;
            const e = pick(live).shift()!;
            if (e.value === null) st.withdraw(e.key, d);
            else st.upsert(e.key, e.value, d);
          }
        }, now++);
      }

      // Direct computation over the raw transactions.
      const direct = new Map<string, { sum: number; count: number; partners: Set<string> }>();
      for (const t of txns) {
        const k = `${t.category}|${t.month}`;
        const e = direct.get(k) ?? { sum: 0, count: 0, partners: new Set<string>() };
        e.sum += t.amount;
        e.count++;
        e.partners.add(t.partner);
        direct.set(k, e);
      }
      for (const [k, d] of direct) {
        const out = lastOutput.get(k);
        if (d.partners.size < threshold) {
          expect(out?.value ?? null).toBeNull();
          continue;
        }
        const v = JSON.parse(out!.value!) as { contributors: number; measures: { sum: number; count: number }; derived: { avg: number } };
        expect(v.contributors).toBe(d.partners.size);
        expect(v.measures.count).toBe(d.count);
        expect(v.measures.sum).toBeCloseTo(d.sum, 6);
        expect(v.derived.avg).toBeCloseTo(d.sum / d.count, 6);
      }
      for (const [k, e] of lastOutput) if (!direct.has(k)) expect(e.value).toBeNull();
    });
  }
});

describe('extractContribution feeds the fold', () => {
  it('parses a JSON contribution in definition order', () => {
    const def = definition();
    const ex = extractContribution(def, def.sources[0]!, Buffer.from('{"partner":"a","category":"food","month":"2024-01","sum":12.5,"count":3}'));
    expect(ex).toEqual({ ok: true, contribution: { contributor: 'a', groupValues: ['food', '2024-01'], measures: [12.5, 3, 12.5, 12.5] } });
  });
});
