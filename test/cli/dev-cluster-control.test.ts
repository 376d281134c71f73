// `tributary dev-cluster` in-process (runCli with fake signals): usage errors, the control
// endpoint's guards, stop/start through the control subcommands, and the data-dir rules (a dir
// dev-cluster did not make is never cleared; with in-memory metadata its own dirs are, each run).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { cliHarness } from '../helpers/cli-harness.js';
import { waitFor } from '../helpers/wait.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-dc-control-'));
  dirs.push(d);
  return d;
}

const harness = () => cliHarness();

describe('dev-cluster usage', () => {
  it.each([
    [['--brokers', '0'], /--brokers needs an integer from 1 to 32, got '0'/],
    [['--override', 'log.dirs=/x'], /--override log.dirs is set per broker by dev-cluster/],
    [['--etcd', 'localhost'], /--etcd needs etcd:\/\/host:port/],
    [['--brokrs', '3'], /unknown option --brokrs \(did you mean --brokers\?\)/],
    [['kil', '2'], /unknown subcommand 'kil' \(did you mean 'kill'\?\)/],
    [['kill'], /kill needs one node id/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const h = harness();
    expect(await runCli(['dev-cluster', ...args], h.deps)).toBe(2);
    expect(h.err.join('')).toMatch(message);
  });

  it('a control command without a running cluster says how to find one (exit 1)', async () => {
    const h = harness();
    expect(await runCli(['dev-cluster', 'kill', '2', '--data-dir', tmpDir()], h.deps)).toBe(1);
    expect(h.err.join('')).toMatch(/no running dev cluster found .*dev-cluster\.json is missing/);
  });

  it('never clears a data dir it did not make', async () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'broker-1'));
    fs.writeFileSync(path.join(dir, 'broker-1', 'precious'), 'x');
    const h = harness();
    expect(await runCli(['dev-cluster', '--brokers', '1', '--port', '0', '--data-dir', dir], h.deps)).toBe(2);
    expect(h.err.join('')).toMatch(/broker-1 exists and was not made by tributary dev-cluster/);
    expect(fs.readFileSync(path.join(dir, 'broker-1', 'precious'), 'utf8')).toBe('x');
  });
});

describe('dev-cluster control endpoint', () => {
  it('guards its actions, stops and starts a broker, exits 0 on SIGINT, and starts empty next time', async () => {
    const dir = tmpDir();
    const h = harness();
    const run = runCli(['dev-cluster', '--brokers', '2', '--port', '0', '--data-dir', dir, '--override', 'tributary.metadata.session.timeout.ms=2000'], h.deps);
    await waitFor(() => /^bootstrap: /m.test(h.out.join('')) || h.err.length > 0, 'the cluster to start', 60_000);
    expect(h.err.join('')).toBe('');
    const control = /^control: {3}(\S+)/m.exec(h.out.join(''))![1]!;
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'dev-cluster.json'), 'utf8')).control).toBe(control);
    fs.writeFileSync(path.join(dir, 'broker-2', 'left-by-run-1'), 'x');

    // A browser page cannot send the header: no action without it; GET is status only.
    expect((await fetch(`${control}/brokers/2/kill`, { method: 'POST' })).status).toBe(403);
    expect((await fetch(`${control}/brokers/2/kill`)).status).toBe(405);
    const unknown = await fetch(`${control}/brokers/9/kill`, { method: 'POST', headers: { 'x-tributary-control': '1' } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/no broker with node id 9/);

    const c = harness();
    expect(await runCli(['dev-cluster', 'stop', '2', '--data-dir', dir], c.deps)).toBe(0);
    expect(c.out.join('')).toMatch(/^broker 2 stopped at 127\.0\.0\.1:\d+/);
    const status = (await (await fetch(`${control}/status`)).json()) as { brokers: { nodeId: number; state: string }[] };
    expect(status.brokers.map((b) => b.state)).toEqual(['running', 'stopped']);
    const s = harness();
    expect(await runCli(['dev-cluster', 'start', '2', '--control', control], s.deps)).toBe(0);
    expect(s.out.join('')).toMatch(/^broker 2 running/);
    const st = harness();
    expect(await runCli(['dev-cluster', 'status', '--data-dir', dir], st.deps)).toBe(0);
    expect(st.out.join('')).toMatch(/broker 1 .* running {2}\(controller\)\n {2}broker 2 .* running/);

    h.signal('SIGINT');
    expect(await run).toBe(0);
    expect(fs.existsSync(path.join(dir, 'dev-cluster.json'))).toBe(false);

    // In-memory metadata is gone, so the next run clears the brokers' dirs of the last one.
    const again = harness();
    const run2 = runCli(['dev-cluster', '--brokers', '2', '--port', '0', '--data-dir', dir, '--json'], again.deps);
    await waitFor(() => again.out.length > 0 || again.err.length > 0, 'the second run to start', 60_000);
    expect(JSON.parse(again.out[0]!)).toMatchObject({ metadata: 'memory', brokers: [{ nodeId: 1, state: 'running' }, { nodeId: 2, state: 'running' }] });
    expect(fs.existsSync(path.join(dir, 'broker-2', 'left-by-run-1'))).toBe(false);
    again.signal('SIGTERM');
    expect(await run2).toBe(0);
  }, 120_000);
});

describe('dev-cluster signals during start-up', () => {
  it('a SIGTERM before the banner stops the cluster once it is up: exit 0, no banner, no state file', async () => {
    const dir = tmpDir();
    const h = harness();
    const run = runCli(['dev-cluster', '--brokers', '2', '--port', '0', '--data-dir', dir, '--json'], h.deps);
    // Handlers are in place from the first moment (before: none until the banner, so a real
    // SIGTERM here took the default action and killed the process mid-start).
    expect(h.handlers.size).toBeGreaterThan(0);
    h.signal('SIGTERM');
    expect(await run).toBe(0);
    const said = h.out.join('');
    expect(said).toMatch(/^SIGTERM: stopping the cluster\nstopped\n$/);
    expect(said).not.toMatch(/bootstrap/);
    expect(fs.existsSync(path.join(dir, 'dev-cluster.json'))).toBe(false);
    expect(h.handlers.size).toBe(0);
    expect(h.exits).toEqual([]);
  }, 120_000);
});

describe('dev-cluster --etcd auto', () => {
  it('starts the etcd on PATH beside the brokers, and a second run keeps the topics and data', async () => {
    const dir = tmpDir();
    const runOnce = async (check: (bootstrap: string[]) => Promise<void>) => {
      const h = harness();
      h.deps.env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
      const run = runCli(['dev-cluster', '--brokers', '2', '--port', '0', '--data-dir', dir, '--etcd', 'auto', '--json'], h.deps);
      await waitFor(() => h.out.length > 0 || h.err.length > 0, 'the cluster to start', 90_000);
      expect(h.err.join('')).toBe('');
      const info = JSON.parse(h.out[0]!) as { bootstrap: string; metadata: string };
      expect(info.metadata).toMatch(/^etcd:\/\/127\.0\.0\.1:\d+$/);
      try {
        await check(info.bootstrap.split(','));
      } finally {
        h.signal('SIGINT');
        expect(await run).toBe(0);
      }
    };
    const kafka = (bootstrap: string[]) => new Kafka({ clientId: 'etcd-auto', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, maxRetryTime: 1000 } });
    await runOnce(async (bootstrap) => {
      const p = kafka(bootstrap).producer();
      await p.connect();
      const admin = kafka(bootstrap).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      await p.send({ topic: 'kept', acks: -1, messages: [{ value: 'survives' }] });
      await p.disconnect();
    });
    expect(fs.existsSync(path.join(dir, 'etcd', 'member-data'))).toBe(true);
    await runOnce(async (bootstrap) => {
      const admin = kafka(bootstrap).admin();
      await admin.connect();
      const meta = await admin.fetchTopicMetadata({ topics: ['kept'] });
      expect(meta.topics[0]!.partitions[0]!.replicas).toHaveLength(2);
      await waitFor(async () => (await admin.fetchTopicOffsets('kept'))[0]!.high === '1', 'the record of the first run', 30_000);
      await admin.disconnect();
    });
  }, 200_000);
});
