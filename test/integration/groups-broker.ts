// An in-process broker for the consumer-group integration tests, with group.initial.rebalance.delay.ms
// at 0. Stopgap until Broker wires the group coordinator itself: when `broker.groupCoordinator`
// is missing, this creates one and splices its handlers (and their ApiVersions entries) into
// the running server's handler table. Once the lead wires it, the splice is skipped.
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { createGroupCoordinator, type GroupCoordinator } from '../../src/coordinator/group/group-coordinator.js';
import { groupHandlers } from '../../src/handlers/group-handlers.js';
import type { HandlerLookup } from '../../src/network/connection.js';
import type { ApiHandler } from '../../src/network/request-context.js';

export interface GroupsBroker {
  tb: TestBroker;
  bootstrap: string;
  coordinator: GroupCoordinator;
  restart(): Promise<GroupsBroker>;
  cleanup(): Promise<void>;
}

type ApiKeys = { apiKey: number; minVersion: number; maxVersion: number }[];

async function attach(tb: TestBroker): Promise<{ coordinator: GroupCoordinator; detach(): Promise<void> }> {
  const wired = (tb.broker as unknown as { groupCoordinator?: GroupCoordinator }).groupCoordinator;
  if (wired) return { coordinator: wired, detach: async () => {} };
  const coordinator = await createGroupCoordinator(tb.broker);
  await coordinator.startup();
  const server = (tb.broker as unknown as { server: { handlers: HandlerLookup } }).server;
  const orig = server.handlers;
  const mine = new Map<number, ApiHandler>(groupHandlers(tb.broker, coordinator).map((h) => [h.apiKey, h]));
  const extra: ApiKeys = [...mine.values()].map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
  const merge = <T extends object>(body: T): T => {
    const keys = (body as { apiKeys?: ApiKeys }).apiKeys;
    if (!keys) return body;
    return { ...body, apiKeys: [...keys.filter((k) => !mine.has(k.apiKey)), ...extra].sort((a, b) => a.apiKey - b.apiKey) };
  };
  const apiVersions = orig.get(18)!;
  const patchedApiVersions: ApiHandler = {
    ...apiVersions,
    async handle(ctx, req) {
      return merge((await apiVersions.handle(ctx, req)) as object);
    },
  };
  server.handlers = {
    get: (k) => mine.get(k) ?? (k === 18 ? patchedApiVersions : orig.get(k)),
    apiVersionsFallback: () => merge(orig.apiVersionsFallback()),
  };
  return { coordinator, detach: () => coordinator.shutdown() };
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
