// The server-side assignors: balance, stickiness and range contiguity.
import { describe, expect, it } from 'vitest';
import { size, type Assignment } from '../../../src/coordinator/consumer/assignment.js';
import { assignorsByName, RangeAssignor, UniformAssignor, type AssignmentMemberSpec } from '../../../src/coordinator/consumer/assignors.js';

const member = (memberId: string, topics: string[], previous: Assignment = new Map(), instanceId: string | null = null): AssignmentMemberSpec => ({
  memberId,
  instanceId,
  rackId: null,
  topics: new Set(topics),
  previous,
});
const sorted = (a: Assignment | undefined, t: string) => [...(a?.get(t) ?? [])].sort((x, y) => x - y);

/** Every partition of the listed topics exactly once across members. */
function expectComplete(result: Map<string, Assignment>, topics: Map<string, number>): void {
  for (const [t, n] of topics) {
    const all = [...result.values()].flatMap((a) => [...(a.get(t) ?? [])]).sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
  }
}

describe('uniform', () => {
  const uniform = new UniformAssignor();

  it('balances 8 partitions over 1, 2, 3 and 4 members', () => {
    const topics = new Map([['T', 8]]);
    for (const n of [1, 2, 3, 4]) {
      const members = Array.from({ length: n }, (_, i) => member(`m${i}`, ['T']));
      const r = uniform.assign({ members, topics });
      expectComplete(r, topics);
      const counts = [...r.values()].map(size);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });

  it('moves only what it must when a member joins or leaves', () => {
    const topics = new Map([['T', 8]]);
    const r2 = uniform.assign({ members: [member('a', ['T']), member('b', ['T'])], topics });
    const r3 = uniform.assign({ members: [member('a', ['T'], r2.get('a')), member('b', ['T'], r2.get('b')), member('c', ['T'])], topics });
    expectComplete(r3, topics);
    // a and b only lose partitions (to c); they gain none.
    for (const id of ['a', 'b']) for (const p of sorted(r3.get(id), 'T')) expect(sorted(r2.get(id), 'T')).toContain(p);
    expect(size(r3.get('c')!)).toBe(2);
    // c leaves: its partitions are spread, a and b keep theirs.
    const r4 = uniform.assign({ members: [member('a', ['T'], r3.get('a')), member('b', ['T'], r3.get('b'))], topics });
    for (const id of ['a', 'b']) for (const p of sorted(r3.get(id), 'T')) expect(sorted(r4.get(id), 'T')).toContain(p);
    expect([...r4.values()].map(size)).toEqual([4, 4]);
  });

  it('drops partitions that no longer exist and topics no longer subscribed from the previous assignment', () => {
    const prev: Assignment = new Map([['T', new Set([0, 1, 2, 3])], ['U', new Set([0])]]);
    const r = uniform.assign({ members: [member('a', ['T'], prev)], topics: new Map([['T', 2], ['U', 1]]) });
    expect(sorted(r.get('a'), 'T')).toEqual([0, 1]);
    expect(r.get('a')!.has('U')).toBe(false);
  });

  it('balances members with different subscriptions as far as they allow', () => {
    const topics = new Map([['T', 4], ['U', 2]]);
    const prev: Assignment = new Map([['T', new Set([0, 1, 2, 3])], ['U', new Set([0, 1])]]);
    const r = uniform.assign({ members: [member('a', ['T', 'U'], prev), member('b', ['T'])], topics });
    expectComplete(r, topics);
    expect(size(r.get('a')!)).toBe(3);
    expect(size(r.get('b')!)).toBe(3);
    expect(r.get('b')!.has('U')).toBe(false);
  });
});

describe('range', () => {
  it('gives contiguous ranges per topic, the first members one more, ordered by instance id', () => {
    const topics = new Map([['T', 5], ['U', 3]]);
    const r = new RangeAssignor().assign({ members: [member('z', ['T', 'U'], new Map(), 'inst-1'), member('a', ['T', 'U'], new Map(), 'inst-2')], topics });
    expect(sorted(r.get('z'), 'T')).toEqual([0, 1, 2]);
    expect(sorted(r.get('a'), 'T')).toEqual([3, 4]);
    expect(sorted(r.get('z'), 'U')).toEqual([0, 1]);
    expect(sorted(r.get('a'), 'U')).toEqual([2]);
  });
});

it('resolves group.consumer.assignors names, Kafka class names included', () => {
  expect([...assignorsByName(['range', 'org.apache.kafka.coordinator.group.assignor.UniformAssignor']).keys()]).toEqual(['range', 'uniform']);
  expect([...assignorsByName(['nope']).keys()]).toEqual(['uniform']);
});
