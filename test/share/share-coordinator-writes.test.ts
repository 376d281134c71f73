// The share coordinator's WriteShareGroupState on a cluster-mode store (ShareStateStore over a
// stand-in log): a write the log refused (e.g. NOT_ENOUGH_REPLICAS below min.insync) is written
// when the share-partition leader retries it, instead of being found "unchanged" in memory; and
// the leader-epoch / state-epoch fences.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import type { CoordinatorRuntime } from '../../src/coordinator/runtime/coordinator-runtime.js';
import type { CoordinatorRecord } from '../../src/coordinator/runtime/record-log.js';
import { ShareStateStore } from '../../src/coordinator/share/share-state-store.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function clusterStore(answers: number[]) {
  const appended: CoordinatorRecord[][] = [];
  const log = {
    topic: '__share_group_state',
    numPartitions: 1,
    append: async (_p: number, records: CoordinatorRecord[]) => {
      const code = answers.shift() ?? ErrorCode.NONE;
      if (code === ErrorCode.NONE) appended.push(records);
      return code;
    },
    replay: async () => ({}),
    coordinatorEpoch: () => 0,
  };
  const runtime = { clustered: true, open: async () => log, register() {} } as unknown as CoordinatorRuntime;
  const store = await ShareStateStore.open(runtime, quiet as never, () => 500, { numPartitions: 1, replicationFactor: 3, minIsr: 2 });
  await store.loadPartition(0);
  return { store, appended };
}

const batch = { firstOffset: 0, lastOffset: 4, deliveryState: 2, deliveryCount: 1 };

describe('share coordinator writes (cluster mode)', () => {
  it('writes a retried state the log refused the first time', async () => {
    const { store, appended } = await clusterStore([ErrorCode.NOT_ENOUGH_REPLICAS]);
    const w = { startOffset: 0, stateBatches: [batch], leaderEpoch: 3 };
    expect(await store.writeState('g', 'AAAAAAAAAAAAAAAAAAAAAA', 0, w)).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(store.get('g', 'AAAAAAAAAAAAAAAAAAAAAA', 0)).toBeUndefined();
    expect(await store.writeState('g', 'AAAAAAAAAAAAAAAAAAAAAA', 0, w)).toBe(ErrorCode.NONE);
    expect(appended).toHaveLength(1);
    expect(store.get('g', 'AAAAAAAAAAAAAAAAAAAAAA', 0)).toMatchObject({ startOffset: 0, stateBatches: [batch], leaderEpoch: 3 });
  });

  it('fences writes from an older leader epoch or state epoch, and answers NOT_COORDINATOR once unloaded', async () => {
    const { store } = await clusterStore([]);
    const t = 'AAAAAAAAAAAAAAAAAAAAAA';
    expect(await store.writeState('g', t, 0, { startOffset: 0, stateBatches: [batch], leaderEpoch: 3 })).toBe(ErrorCode.NONE);
    expect((await store.readState('g', t, 0, 5)).errorCode).toBe(ErrorCode.NONE);
    expect(await store.writeState('g', t, 0, { startOffset: 5, stateBatches: [], leaderEpoch: 4 })).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(await store.initializeState('g', t, 0, 1, 2)).toBe(ErrorCode.NONE);
    expect(await store.writeState('g', t, 0, { startOffset: 5, stateBatches: [], leaderEpoch: 5, stateEpoch: 0 })).toBe(ErrorCode.FENCED_STATE_EPOCH);
    expect(await store.writeState('g', t, 0, { startOffset: 5, stateBatches: [], leaderEpoch: 5, stateEpoch: 1 })).toBe(ErrorCode.NONE);
    await store.unloadPartition(0);
    expect(await store.writeState('g', t, 0, { startOffset: 6, stateBatches: [], leaderEpoch: 5, stateEpoch: 1 })).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await store.readState('g', t, 0, 5)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });
});
