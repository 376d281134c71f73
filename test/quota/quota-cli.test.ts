// `tributary configs` for client quotas (kafka-configs.sh's flags and output), in-process against
// a broker: users, clients, user + client pairs and defaults; delete; the broker's validation
// errors reported with exit code 1, flag errors with 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliDeps } from '../../src/cli/main.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb?.cleanup();
});

async function configs(...args: string[]) {
  const out = { stdout: '', stderr: '' };
  const deps: CliDeps = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    env: {},
    onSignal: () => () => {},
    forceExit: () => {},
    helpText: () => '',
    logStream: { write: () => {} },
  };
  const code = await runCli(['configs', '--bootstrap-server', tb.bootstrap, ...args], deps);
  return { code, ...out };
}

describe('tributary configs (client quotas)', () => {
  it('alters and describes users, clients, pairs and defaults', async () => {
    expect(await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'producer_byte_rate=1024,consumer_byte_rate=2048')).toMatchObject({
      code: 0,
      stdout: 'Completed updating config for user alice.\n',
    });
    expect((await configs('--alter', '--entity-type', 'clients', '--entity-default', '--add-config', 'consumer_byte_rate=4096')).code).toBe(0);
    expect((await configs('--alter', '--user', 'alice', '--client', 'app', '--add-config', 'request_percentage=25.5')).code).toBe(0);

    expect(await configs('--describe', '--entity-type', 'users', '--entity-name', 'alice')).toMatchObject({
      code: 0,
      stdout: "Quota configs for user-principal 'alice' are consumer_byte_rate=2048.0, producer_byte_rate=1024.0\n",
    });
    expect((await configs('--describe', '--entity-type', 'clients', '--entity-default')).stdout).toBe('Quota configs for the default client-id are consumer_byte_rate=4096.0\n');
    expect((await configs('--describe', '--user', 'alice', '--client', 'app')).stdout).toBe("Quota configs for user-principal 'alice', client-id 'app' are request_percentage=25.5\n");

    expect((await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--delete-config', 'consumer_byte_rate')).code).toBe(0);
    expect((await configs('--describe', '--entity-type', 'users', '--entity-name', 'alice')).stdout).toBe("Quota configs for user-principal 'alice' are producer_byte_rate=1024.0\n");
  });

  it('reports the broker refusing a value, and bad flags', async () => {
    const fractional = await configs('--alter', '--entity-type', 'users', '--entity-name', 'bob', '--add-config', 'producer_byte_rate=1.5');
    expect(fractional.code).toBe(1);
    expect(fractional.stderr).toBe('Error while updating quotas of user bob: Configuration producer_byte_rate must be a Long value\n');
    const wrongKey = await configs('--alter', '--entity-type', 'ips', '--entity-name', '10.0.0.1', '--add-config', 'producer_byte_rate=10');
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('Invalid configuration key producer_byte_rate');
    const unknown = await configs('--alter', '--entity-type', 'clients', '--entity-name', 'x', '--add-config', 'bogus_rate=1');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown config 'bogus_rate'");
    expect((await configs('--alter', '--entity-type', 'groups', '--entity-name', 'g', '--add-config', 'producer_byte_rate=1')).code).toBe(2);
  });
});
