// `tributary tier status` and `tributary aggregations` take the same TLS/SASL flags as the other
// client commands (one shared parser): run in-process against a SASL_SSL + SCRAM listener, through
// `--command-config client.properties` and through the short flags; without them, exit 1.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliDeps } from '../../src/cli/main.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { createScramUsers, makeCerts, SCRAM_USERS, securityOverrides, type TestCerts } from '../integration/auth-setup.js';
import { FAST_TIER, TOPIC_CONFIGS, produceRange, waitTiered, withAdmin } from '../storage/tier/broker-scenario.js';
import { spendDefinition } from '../aggregation/helpers.js';

let certs: TestCerts;
let tb: TestBroker;
let fileFlags: string[];
let shortFlags: string[];
let plainFlags: string[];

beforeAll(async () => {
  certs = makeCerts();
  tb = await startTestBroker(securityOverrides(certs, { ...FAST_TIER, 'tributary.aggregation.status.interval.ms': '200' }));
  await createScramUsers(tb.port);
  const saslSsl = tb.broker.boundListeners.find((l) => l.name === 'SASL_SSL')!.boundPort;
  const props = path.join(certs.dir, 'client.properties');
  fs.writeFileSync(
    props,
    [
      'security.protocol=SASL_SSL',
      'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="scram512" password="${SCRAM_USERS.scram512}";`,
      `ssl.truststore.location=${certs.caFile}`,
    ].join('\n'),
  );
  plainFlags = ['--bootstrap-server', `127.0.0.1:${saslSsl}`];
  fileFlags = [...plainFlags, '--command-config', props];
  // --ca FILE before --json: FILE is the flag's value, not a properties file (which means --offline).
  shortFlags = [...plainFlags, '--ca', certs.caFile, '--sasl-mechanism', 'SCRAM-SHA-256', '--user', 'scram256', '--password', SCRAM_USERS.scram256];
});
afterAll(async () => {
  await tb?.cleanup();
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const deps: CliDeps = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    env: {},
    onSignal: () => () => {},
    forceExit: () => {},
    helpText: () => '',
  };
  const code = await runCli(args, deps);
  return { code, ...out };
}

describe('tier and aggregations over SASL_SSL (SCRAM)', () => {
  it('tier status asks the broker through --command-config and the short flags', async () => {
    const topic = 'tier-secured';
    await withAdmin(tb.bootstrap, (a) =>
      a.createTopics({ topics: [{ topic, configEntries: Object.entries({ ...TOPIC_CONFIGS, 'remote.storage.enable': 'true' }).map(([name, value]) => ({ name, value })) }] }),
    );
    await produceRange(tb.bootstrap, topic, 0, 400);
    const st = await waitTiered(tb, topic, 2);

    for (const flags of [fileFlags, shortFlags]) {
      const r = await cli(['tier', 'status', ...flags, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const part = JSON.parse(r.stdout).partitions.find((p: { topic: string }) => p.topic === topic);
      expect(part).toMatchObject({ partition: 0, remoteSegments: expect.any(Number), copiedEndOffset: expect.any(Number) });
      expect(part.remoteSegments).toBeGreaterThanOrEqual(st.remoteSegments);
    }
    const table = await cli(['tier', 'status', ...shortFlags]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^${topic}\\s+0\\s+ready`, 'm'));

    // No TLS/SASL settings: the handshake fails, exit 1; a wrong password: the SASL error.
    expect((await cli(['tier', 'status', ...plainFlags])).code).toBe(1);
    // Half a client certificate is a usage error, as for the other commands.
    expect((await cli(['tier', 'status', ...plainFlags, '--cert', certs.clientCertFile])).code).toBe(2);
  }, 60_000);

  it('aggregations create, list and status through --command-config and the short flags', async () => {
    const file = path.join(certs.dir, 'spend.json');
    fs.writeFileSync(file, JSON.stringify(spendDefinition({ name: 'secured-spend', output: { topic: 'secured-global' } })));
    const created = await cli(['aggregations', 'create', '--file', file, ...fileFlags]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain("created aggregation 'secured-spend' -> secured-global");

    // The stage starts it (recovering, then running): the list follows.
    await expect
      .poll(async () => {
        const list = await cli(['aggregations', 'list', ...shortFlags]);
        return `${list.code} ${list.stdout}${list.stderr}`;
      }, { timeout: 15_000, interval: 200 })
      .toMatch(/^0 [\s\S]*secured-spend\s+running\s+RUNNING\s+secured-global/);
    const status = await cli(['aggregations', 'status', 'secured-spend', '--json', ...fileFlags]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ name: 'secured-spend', outputTopic: 'secured-global' });
    const paused = await cli(['aggregations', 'pause', 'secured-spend', ...shortFlags]);
    expect(paused.code, paused.stderr).toBe(0);

    expect((await cli(['aggregations', 'list', ...plainFlags, '--cert', certs.clientCertFile])).code).toBe(2);
  }, 60_000);
});
