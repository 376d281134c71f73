// KIP-73 building blocks: the throttled-replica lists (Kafka's ThrottledReplicaListValidator and
// TopicConfigHandler.parseThrottledPartitions) and the quota manager's decision (Kafka's
// shouldLeaderThrottle / shouldFollowerThrottle), on a fake clock.
import { describe, expect, it } from 'vitest';
import { ReplicationQuotaManager } from '../../src/cluster/replication/replication-quota.js';
import { parseThrottledPartitions, throttledReplicasError } from '../../src/cluster/replication/throttled-replicas.js';
import { LONG_MAX } from '../../src/config/config-def.js';

describe('throttled replica lists', () => {
  it('accepts what Kafka accepts and refuses the rest with its message', () => {
    for (const ok of [[], [''], ['*'], [' * '], ['0:1'], ['0:1', ' 1:2 ', '10:101']]) expect(throttledReplicasError('x', ok)).toBeNull();
    for (const bad of [['0'], ['0:'], [':1'], ['a:1'], ['0:1:2'], ['*', '0:1'], ['-1:2'], ['0;1']]) {
      expect(throttledReplicasError('leader.replication.throttled.replicas', bad)).toBe(
        "leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...",
      );
    }
  });

  it('keeps the partitions whose entry names this broker', () => {
    expect(parseThrottledPartitions(['0:1', '1:2', '2:1'], 1)).toEqual(new Set([0, 2]));
    expect(parseThrottledPartitions(['0:1', '1:2'], 3)).toBeNull();
    expect(parseThrottledPartitions(['*'], 3)).toBe('*');
    expect(parseThrottledPartitions([], 1)).toBeNull();
  });
});

describe('ReplicationQuotaManager', () => {
  const make = (bound: { v: number }, lists: Record<string, string[]>) =>
    new ReplicationQuotaManager({
      brokerId: 1,
      side: 'leader',
      windows: { samples: 2, windowMs: 1000 },
      rateBound: () => bound.v,
      throttledReplicas: (t) => lists[t] ?? [],
    });

  it('throttles only listed partitions of replicas out of sync, only above the rate, and follows config changes', () => {
    const bound = { v: 1000 };
    const lists: Record<string, string[]> = { t: ['0:1', '1:2'] };
    const q = make(bound, lists);
    expect(q.isThrottled('t', 0)).toBe(true);
    expect(q.isThrottled('t', 1)).toBe(false); // names broker 2
    expect(q.shouldThrottle('t', 0, false, 0)).toBe(false); // nothing recorded yet
    q.record(5000, 0); // 5000 B over at least one 1 s window: 5000 B/s > 1000
    expect(q.shouldThrottle('t', 0, false, 10)).toBe(true);
    expect(q.shouldThrottle('t', 0, true, 10)).toBe(false); // in sync: never
    expect(q.shouldThrottle('t', 1, false, 10)).toBe(false); // not listed
    expect(q.heldBack).toBe(1);
    expect(q.throttledBytes).toBe(5000);
    // The samples age out: the rate falls back under the bound.
    expect(q.shouldThrottle('t', 0, false, 2500)).toBe(false);
    // Unlimited (Long.MAX, the default) never throttles; a new list applies at once.
    q.record(1e9, 2600);
    bound.v = LONG_MAX;
    expect(q.isQuotaExceeded(2600)).toBe(false);
    bound.v = 1000;
    expect(q.isQuotaExceeded(2600)).toBe(true);
    lists.t = ['*'];
    expect(q.isThrottled('t', 7)).toBe(true);
    lists.t = [];
    expect(q.isThrottled('t', 0)).toBe(false);
  });
});
