// Starts an in-process broker on port 0 with a fresh temp data dir, for integration tests.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type Broker } from '../../src/broker.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { createLogger } from '../../src/logging/logger.js';

export interface TestBroker {
  broker: Broker;
  port: number;
  bootstrap: string;
  dataDir: string;
  /** Stops the broker (clean shutdown) but keeps its data. */
  stop(): Promise<void>;
  /** Starts a new broker on the same data dir (same port when possible). */
  restart(extra?: Record<string, string>): Promise<TestBroker>;
  /** Stops and removes the data dir. */
  cleanup(): Promise<void>;
}

export async function startTestBroker(overrides: Record<string, string> = {}, dataDir?: string, port = 0): Promise<TestBroker> {
  const dir = dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-test-')));
  const config = loadBrokerConfig({
    overrides: Object.entries({ 'log.dirs': dir, listeners: `PLAINTEXT://127.0.0.1:${port}`, ...overrides }).map(([k, v]) => `${k}=${v}`),
    env: {},
  });
  const level = (process.env.TRIBUTARY_TEST_LOG_LEVEL ?? 'silent') as 'silent';
  const started = await startBroker(config, createLogger({ level }));
  const tb: TestBroker = {
    broker: started.broker,
    port: started.port,
    bootstrap: `127.0.0.1:${started.port}`,
    dataDir: dir,
    stop: () => started.close(),
    async restart(extra = {}) {
      await started.close();
      return startTestBroker({ ...overrides, ...extra }, dir, started.port);
    },
    async cleanup() {
      await started.close();
      // Retries: background segment deletions (file.delete.delay.ms) may still be renaming files.
      await fs.rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
  return tb;
}
