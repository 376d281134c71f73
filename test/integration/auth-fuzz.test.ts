// A short run of the authentication-path fuzzer (test/helpers/auth-fuzz.ts; the long run with
// 10^6 frames is bench/security/auth-fuzz.ts): mutated SCRAM exchanges, garbage before and after
// authentication, truncated TLS handshakes. The broker must close every hostile connection (no
// hang), keep serving an authenticated client meanwhile, and end with no fuzz connection open.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { fuzzAuthPath } from '../helpers/auth-fuzz.js';
import { RawClient } from '../helpers/raw-client.js';
import { createScramUsers, makeCerts, PLAIN_USERS, securityOverrides, type TestCerts } from './auth-setup.js';
import { waitFor } from '../helpers/wait.js';

let certs: TestCerts;
let tb: TestBroker;
const port = (name: string) => tb.broker.boundListeners.find((l) => l.name === name)!.boundPort;

beforeAll(async () => {
  certs = makeCerts();
  tb = await startTestBroker(securityOverrides(certs, { 'tributary.authentication.timeout.ms': '1000', 'connection.failed.authentication.delay.ms': '20' }));
  await createScramUsers(port('PLAINTEXT'));
});
afterAll(async () => {
  await tb?.cleanup();
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

describe('authentication-path fuzzing', () => {
  it('20,000 hostile frames: no crash, no hang, an authenticated client keeps being served', async () => {
    const good = await RawClient.connect(port('SASL_PLAINTEXT'));
    expect((await good.send(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    expect((await good.send(36, 2, { authBytes: Buffer.from(`\0alice\0${PLAIN_USERS.alice}`) })).errorCode).toBe(0);
    const latencies: number[] = [];
    let stop = false;
    const probe = (async () => {
      while (!stop) {
        const t0 = performance.now();
        const md = await good.send(3, 1, { topics: null });
        latencies.push(performance.now() - t0);
        expect(md.brokers).toHaveLength(1);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const stats = await fuzzAuthPath(
      { saslPort: port('SASL_PLAINTEXT'), tlsPort: port('SASL_SSL'), plainUser: 'alice', plainPassword: PLAIN_USERS.alice, scramUser: 'scram256' },
      { frames: 20_000, seed: 15, concurrency: 20, hangMs: 4000 },
    );
    stop = true;
    await probe;
    good.close();
    expect(stats.hangs).toBe(0);
    expect(Object.keys(stats.byKind).sort()).toEqual(['after-auth', 'early', 'garbage', 'handshake', 'raw-scram', 'scram', 'tls']);
    expect(latencies.length).toBeGreaterThan(10);
    latencies.sort((a, b) => a - b);
    // Generous bound for a shared 2-core machine: the point is that the client is never starved.
    expect(latencies[Math.floor(latencies.length * 0.99)]!).toBeLessThan(1000);
    // Every hostile connection is gone once the deadlines have passed.
    await waitFor(() => tb.broker.connectionCount === 0, 'every hostile connection to be closed', 5000);
    expect(tb.broker.connectionCount).toBe(0);
  }, 120_000);
});
