// Several in-process brokers forming one cluster over a shared in-memory metadata store
// (`tributary.metadata.store=memory:NAME`), each with its own temp data dir and port.
import { randomBytes } from 'node:crypto';
import { startTestBroker, type TestBroker } from './broker.js';
import { RawClient } from './raw-client.js';

export interface TestCluster {
  /** Index i holds node id i + 1; undefined once killed or stopped. */
  brokers: (TestBroker | undefined)[];
  /** Every live broker, comma-separated. */
  bootstrap(): string;
  /** The live broker with this node id. */
  byId(nodeId: number): TestBroker;
  /** kill -9 as far as the cluster can tell: the lease is left to expire (no controlled shutdown). */
  kill(nodeId: number): Promise<void>;
  /** One raw request to the live broker with this node id, on a connection of its own. */
  send<T = any>(nodeId: number, apiKey: number, version: number, body: object): Promise<T>;
  /** Waits until `check` holds (polling), or throws after `timeoutMs`. */
  waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(n: number, overrides: Record<string, string> = {}): Promise<TestCluster> {
  const store = `memory:test-${randomBytes(6).toString('hex')}`;
  const brokers: (TestBroker | undefined)[] = [];
  for (let i = 0; i < n; i++) {
    brokers.push(
      await startTestBroker({
        'node.id': String(i + 1),
        'tributary.metadata.store': store,
        'tributary.metadata.session.timeout.ms': '1500',
        ...overrides,
      }),
    );
  }
  const cluster: TestCluster = {
    brokers,
    bootstrap: () => brokers.filter((b) => b !== undefined).map((b) => b!.bootstrap).join(','),
    byId(nodeId) {
      const b = brokers[nodeId - 1];
      if (!b) throw new Error(`broker ${nodeId} is not running`);
      return b;
    },
    async send<T>(nodeId: number, apiKey: number, version: number, body: object): Promise<T> {
      const c = await RawClient.connect(cluster.byId(nodeId).port);
      try {
        return await c.send<T>(apiKey, version, body);
      } finally {
        c.close();
      }
    },
    async kill(nodeId) {
      const b = brokers[nodeId - 1];
      brokers[nodeId - 1] = undefined;
      await b?.broker.crash();
    },
    async waitFor(what, check, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      for (const b of brokers.splice(0)) await b?.cleanup();
    },
  };
  // Every broker sees every other before tests use the cluster.
  await cluster.waitFor(`${n} brokers registered`, () => brokers.every((b) => b!.broker.brokersFor('PLAINTEXT').length === n));
  return cluster;
}
