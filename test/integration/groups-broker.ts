// An in-process broker for the consumer-group integration tests, with group.initial.rebalance.delay.ms
// at 0 and its group coordinator at hand.
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import type { GroupCoordinator } from '../../src/coordinator/group/group-coordinator.js';

export interface GroupsBroker {
  tb: TestBroker;
  bootstrap: string;
  coordinator: GroupCoordinator;
  restart(): Promise<GroupsBroker>;
  cleanup(): Promise<void>;
}

async function attach(tb: TestBroker): Promise<{ coordinator: GroupCoordinator; detach(): Promise<void> }> {
  return { coordinator: tb.broker.groupCoordinator, detach: async () => {} };
}

function wrap(tb: TestBroker, coordinator: GroupCoordinator, detach: () => Promise<void>): GroupsBroker {
  return {
    tb,
    bootstrap: tb.bootstrap,
    coordinator,
    async restart() {
      await detach();
      const next = await tb.restart();
      const a = await attach(next);
      return wrap(next, a.coordinator, a.detach);
    },
    async cleanup() {
      await detach();
      await tb.cleanup();
    },
  };
}

export async function startGroupsBroker(overrides: Record<string, string> = {}): Promise<GroupsBroker> {
  const tb = await startTestBroker({ 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '5', ...overrides });
  const a = await attach(tb);
  return wrap(tb, a.coordinator, a.detach);
}
