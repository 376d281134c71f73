// The security parts of the CLI, run in-process: `tributary configs` (kafka-configs.sh flags) for
// SCRAM users, over PLAINTEXT and over SASL_SSL with --command-config, proven by logging in with
// the new credentials; and `tributary start --generate-tls`, proven by a TLS client that trusts
// only the printed CA.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliDeps } from '../../src/cli/main.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { makeCerts, PLAIN_USERS, securityOverrides, type TestCerts } from './auth-setup.js';
import { kafkajs } from '../helpers/clients.js';
import { waitFor } from '../helpers/wait.js';

let certs: TestCerts;
let tb: TestBroker;
const port = (name: string) => tb.broker.boundListeners.find((l) => l.name === name)!.boundPort;

beforeAll(async () => {
  certs = makeCerts();
  tb = await startTestBroker(securityOverrides(certs));
});
afterAll(async () => {
  await tb?.cleanup();
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

function captureDeps(extra: Partial<CliDeps> = {}) {
  const out = { stdout: '', stderr: '', logs: '' };
  let signal: ((s: string) => void) | null = null;
  const deps: CliDeps = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    env: {},
    onSignal: (h) => {
      signal = h;
      return () => {};
    },
    forceExit: () => {},
    helpText: () => '',
    logStream: { write: (l: string) => void (out.logs += l) },
    ...extra,
  };
  return { out, deps, stop: () => signal?.('SIGTERM') };
}

const scramLogin = async (listener: string, mechanism: 'scram-sha-256' | 'scram-sha-512', username: string, password: string) => {
  const k = new Kafka({
    brokers: [`127.0.0.1:${port(listener)}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    ssl: listener.endsWith('SSL') ? { ca: [certs.ca] } : undefined,
    sasl: { mechanism, username, password } as any,
  });
  const admin = k.admin();
  await admin.connect();
  await admin.disconnect();
};

describe('tributary configs (SCRAM users)', () => {
  it('adds both mechanisms in one command, describes them, deletes one', async () => {
    const c = captureDeps();
    const base = ['configs', '--bootstrap-server', `127.0.0.1:${port('PLAINTEXT')}`, '--entity-type', 'users'];
    const add = ['--alter', '--entity-name', 'carol', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=carol-pw],SCRAM-SHA-512=[password=carol-pw]'];
    expect(await runCli([...base, ...add], c.deps), c.out.stderr).toBe(0);
    expect(c.out.stdout).toBe('Completed updating config for user carol.\n');
    await scramLogin('SASL_SSL', 'scram-sha-512', 'carol', 'carol-pw');
    await scramLogin('SASL_PLAINTEXT', 'scram-sha-256', 'carol', 'carol-pw');

    const d = captureDeps();
    expect(await runCli([...base, '--describe', '--entity-name', 'carol'], d.deps), d.out.stderr).toBe(0);
    expect(d.out.stdout).toBe("SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096\n");

    const r = captureDeps();
    expect(await runCli([...base, '--alter', '--entity-name', 'carol', '--delete-config', 'SCRAM-SHA-512'], r.deps), r.out.stderr).toBe(0);
    await expect(scramLogin('SASL_PLAINTEXT', 'scram-sha-512', 'carol', 'carol-pw')).rejects.toThrow(/Authentication failed/);
    await scramLogin('SASL_PLAINTEXT', 'scram-sha-256', 'carol', 'carol-pw');
  });

  it('connects with --command-config (SASL_SSL, PLAIN, PEM truststore) and reports Kafka errors', async () => {
    const props = path.join(certs.dir, 'admin.properties');
    fs.writeFileSync(
      props,
      [
        'security.protocol=SASL_SSL',
        'sasl.mechanism=PLAIN',
        `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${PLAIN_USERS.admin}";`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${certs.caFile}`,
      ].join('\n'),
    );
    const base = ['configs', '--bootstrap-server', `127.0.0.1:${port('SASL_SSL')}`, '--command-config', props, '--entity-type', 'users', '--alter', '--entity-name', 'dave'];
    const c = captureDeps();
    expect(await runCli([...base, '--add-config', 'SCRAM-SHA-512=[password=dave-pw]'], c.deps), c.out.stderr).toBe(0);
    await scramLogin('SASL_SSL', 'scram-sha-512', 'dave', 'dave-pw');

    const bad = captureDeps();
    expect(await runCli([...base, '--add-config', 'SCRAM-SHA-512=[iterations=100,password=x]'], bad.deps)).toBe(1);
    expect(bad.out.stderr).toContain('Error while updating SCRAM credentials of user dave: Too few iterations');
    const usage = captureDeps();
    expect(await runCli([...base, '--add-config', 'SCRAM-SHA-1=[password=x]'], usage.deps)).toBe(2);
    expect(usage.out.stderr).toMatch(/unknown config 'SCRAM-SHA-1'/);
  });
});

describe('tributary start --generate-tls', () => {
  it('generates a CA and broker certificate, adds an SSL listener and prints the client settings', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-gentls-'));
    const c = captureDeps();
    const run = runCli(['start', '--generate-tls', '--override', `log.dirs=${dir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0'], c.deps);
    try {
      // The CLI logs "ready" once the broker serves (the loop here used to wait for a 'tributary started'
      // line that is never logged, so it always ran into its 20 s bound).
      await waitFor(() => c.out.logs.includes('"msg":"ready"'), 'the CLI to log "ready"');
      const caFile = path.join(dir, 'tls', 'ca.pem');
      expect(c.out.stdout).toContain(`security.protocol=SSL ssl.ca.location=${caFile}`);
      expect(c.out.stdout).toContain(`ssl.truststore.type=PEM ssl.truststore.location=${caFile}`);
      const listening = c.out.logs.split('\n').filter((l) => l.includes('"listening"')).map((l) => JSON.parse(l));
      const ssl = listening.find((l) => l.listener === 'SSL');
      expect(ssl).toBeDefined();
      const k = kafkajs(`localhost:${ssl.port}`, { retry: { retries: 0 }, ssl: { ca: [fs.readFileSync(caFile, 'utf8')] } });
      const admin = k.admin();
      await admin.connect();
      expect((await admin.describeCluster()).brokers[0]!.port).toBe(ssl.port);
      await admin.disconnect();
      expect(fs.statSync(path.join(dir, 'tls', 'ca.key')).mode & 0o777).toBe(0o600);
    } finally {
      c.stop();
      expect(await run).toBe(0);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
