// `tributary console --bootstrap ...` and `tributary start --console=PORT` (or the
// tributary.console.port key), in-process through
// runCli with fake signals: each prints (or logs) the console's URL, the console answers over
// HTTP about the right cluster, and a signal stops it.
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpText, runCli } from '../../../src/cli/main.js';
import { cliHarness } from '../../helpers/cli-harness.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb?.cleanup();
});

const harness = () => cliHarness({ helpText, throwOnForceExit: true });

async function until<T>(fn: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('tributary console', () => {
  it('prints its URL, serves the cluster it was pointed at, and stops on SIGTERM', async () => {
    const h = harness();
    const done = runCli(['console', '--bootstrap', tb.bootstrap, '--port', '0'], h.deps);
    const url = await until(() => /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(h.out.join(''))?.[1], 'the URL');
    expect(h.out.join('')).toContain(`console for ${tb.bootstrap}`);
    const cluster = (await (await fetch(url + 'api/cluster')).json()) as { brokers: { port: number }[] };
    expect(cluster.brokers.map((b) => b.port)).toEqual([tb.port]);
    h.signal('SIGTERM');
    expect(await done).toBe(0);
    expect(h.handlers.size).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('rejects a bad port and unknown options with exit 2, and --help lists it', async () => {
    let h = harness();
    expect(await runCli(['console', '--port', 'http'], h.deps)).toBe(2);
    expect(h.err.join('')).toContain('--port must be an integer');
    h = harness();
    expect(await runCli(['console', '--bootstrap-servers', 'x'], h.deps)).toBe(2);
    h = harness();
    expect(await runCli(['--help'], h.deps)).toBe(0);
    expect(h.out.join('')).toMatch(/^  console\s+Web console/m);
  });

  it.each([
    ['start --console=0', ['--console=0']],
    ['tributary.console.port=0', ['--override', 'tributary.console.port=0']],
  ])('%s runs the console beside the broker and closes both on SIGTERM', async (_name, consoleArgs) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-console-start-'));
    try {
      const h = harness();
      const done = runCli(['start', ...consoleArgs, '--override', `log.dirs=${dir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'tributary.log.format=json'], h.deps);
      const ready = await until(() => h.log.map((l) => JSON.parse(l) as { msg: string; bootstrap?: string; console?: string }).find((m) => m.msg === 'ready'), 'the ready line');
      expect(ready.console).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const port = Number(ready.bootstrap!.split(':').pop());
      const cluster = (await (await fetch(ready.console + 'api/cluster')).json()) as { brokers: { port: number }[] };
      expect(cluster.brokers.map((b) => b.port)).toEqual([port]);
      h.signal('SIGTERM');
      expect(await done).toBe(0);
      await expect(fetch(ready.console!)).rejects.toThrow();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('a console port that cannot be bound stops start with exit 1, after closing the broker', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as net.AddressInfo).port;
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-console-busy-'));
    try {
      const h = harness();
      const code = await runCli(['start', `--console=${port}`, '--override', `log.dirs=${dir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'tributary.log.format=json'], h.deps);
      expect(code).toBe(1);
      const msgs = h.log.map((l) => JSON.parse(l) as { msg: string; code?: string });
      expect(msgs).toContainEqual(expect.objectContaining({ msg: 'web console failed to start', code: 'EADDRINUSE' }));
      expect(msgs.map((m) => m.msg)).not.toContain('ready');
      // The broker was closed: its data dir is free for the next broker.
      const next = await runCli(['start', '--console=0', '--override', `log.dirs=${dir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'tributary.log.format=json'], (() => {
        const h2 = harness();
        void until(() => h2.log.find((l) => l.includes('"ready"')), 'the second ready line').then(() => h2.signal('SIGTERM'));
        return h2.deps;
      })());
      expect(next).toBe(0);
    } finally {
      busy.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
