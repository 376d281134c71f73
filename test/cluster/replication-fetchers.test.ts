// The replica fetchers' bookkeeping across leader changes (issue 13: the replication-failover hang).
// A fetcher that went idle used to remove the map slot of its partition's *current* leader (read
// from the mutable Partition when it went idle), so after a leader change the new leader's
// fetcher fell out of the map: stop() never stopped it, a second fetcher was started for the same
// leader, and entries removed later stayed in the orphan. Before the "nothing to fetch: wait" fix
// an orphan holding only removed entries looped on resolved promises: after the test cluster
// closed, its worker spun at 100 % CPU with timers starved (the hang of one full-suite run).
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging/logger.js';
import type { Partition } from '../../src/cluster/partition.js';
import { ReplicaFetchers } from '../../src/cluster/replication/replica-fetchers.js';

const BACKOFF_MS = 20;

function fakePartition(topic: string, leaderId: number, leaderEpoch: number): Partition {
  // The fetchers only reach the log once connected; every leader here is unreachable.
  return { topic, index: 0, leaderId, leaderEpoch, log: {} } as unknown as Partition;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('replica fetchers across a leader change', () => {
  it('stop() stops the fetcher of a leader a partition moved to, and one fetcher per leader runs', async () => {
    // Each fetcher loop asks for its leader's endpoint once per attempt (unregistered: backoff).
    const calls = new Map<number, number>();
    const opts = {
      nodeId: 1,
      endpointOf: (id: number) => {
        calls.set(id, (calls.get(id) ?? 0) + 1);
        return undefined;
      },
      partitionMaxBytes: 1 << 20,
      responseMaxBytes: 1 << 20,
      maxWaitMs: 100,
      backoffMs: BACKOFF_MS,
      logger: silentLogger,
    };
    const fetchers = new ReplicaFetchers(opts);
    const a = fakePartition('a', 2, 1);
    const b = fakePartition('b', 3, 1);
    fetchers.follow(a);
    fetchers.follow(b);
    await waitFor('both fetchers running', () => (calls.get(2) ?? 0) > 0 && (calls.get(3) ?? 0) > 0);

    // Leader 2 dies: partition a moves to broker 3. The fetcher of leader 2 has nothing left and
    // goes idle while a.leaderId already says 3.
    a.leaderId = 3;
    a.leaderEpoch = 2;
    fetchers.follow(a);
    const at2 = calls.get(2)!;
    // The fetcher of leader 3 going round three times: the one of leader 2 finished its backoff
    // meanwhile and saw it had nothing left.
    const before = calls.get(3)!;
    await waitFor('the fetcher of leader 3 going round', () => calls.get(3)! >= before + 3);

    // A clock that keeps running after stop(): proof that fetcher loops had time to go round.
    const clock = new ReplicaFetchers(opts);
    fetchers.stop();
    const at3 = calls.get(3) ?? 0;
    clock.follow(fakePartition('clock', 9, 1));
    try {
      await waitFor('the clock fetcher going round 5 times', () => (calls.get(9) ?? 0) >= 5);
      expect(calls.get(2)).toBe(at2);
      // Every fetcher of the stopped instance is stopped: none asks for leader 3 any more.
      expect(calls.get(3) ?? 0).toBe(at3);
    } finally {
      clock.stop();
    }
  });
});
