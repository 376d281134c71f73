// A bug anywhere in the per-connection path must cost that connection only: the exception is
// logged once, the connection closes, and the server keeps serving everyone else. Driven through
// a NetworkServer with a handler table whose lookup throws for one API key -- a stand-in for any
// unexpected exception outside a handler's own try/catch.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { NetworkServer } from '../../src/network/server.js';
import type { ApiHandler } from '../../src/network/request-context.js';
import { RawClient } from '../helpers/raw-client.js';

const lines: string[] = [];
const logger = createLogger({ level: 'info', format: 'json', stream: { write: (l: string) => lines.push(l) } });

const apiVersions: ApiHandler = {
  apiKey: 18,
  minVersion: 0,
  maxVersion: 3,
  handle: () => ({ errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0 }),
};

let server: NetworkServer;
let port: number;

beforeAll(async () => {
  server = new NetworkServer(
    {
      get(apiKey) {
        if (apiKey === 3) throw new TypeError('simulated bug in request dispatch');
        return apiKey === 18 ? apiVersions : undefined;
      },
      apiVersionsFallback: () => ({ errorCode: 0, apiKeys: [], throttleTimeMs: 0 }),
    },
    { maxRequestBytes: 1 << 20, maxInflightRequests: 10, maxUnsentResponseBytes: 1 << 20, idleTimeoutMs: 0 },
    logger,
  );
  const [bound] = await server.listen([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 0 }]);
  port = bound!.boundPort;
});
afterAll(async () => {
  await server?.close(0);
});

it('closes only the connection whose request hit the bug, logs it once, and keeps serving', async () => {
  const bystander = await RawClient.connect(port);
  expect((await bystander.send(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })).errorCode).toBe(0);

  const victim = await RawClient.connect(port);
  // Two requests in one write: the second must not log a second error after the close.
  const a = victim.encode(3, 1, { topics: [] }).frame;
  const b = victim.encode(3, 1, { topics: [] }).frame;
  victim.writeRaw(Buffer.concat([a, b]));
  await victim.closedPromise;

  expect((await bystander.send(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })).errorCode).toBe(0);
  const fresh = await RawClient.connect(port);
  expect((await fresh.send(18, 0, {})).errorCode).toBe(0);
  fresh.close();
  bystander.close();

  const errors = lines.filter((l) => l.includes('simulated bug'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain('"level":"error"');
});
