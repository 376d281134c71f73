import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BROKER_KEY_NAMES, TOPIC_KEY_NAMES } from '../../src/config/definitions.js';
import { helpText, runCli, type CliDeps } from '../../src/cli/main.js';
import { parseStartArgs } from '../../src/cli/start.js';
import { PARENT_EXITED } from '../../src/cli/parent-watch.js';
import { cliHarness } from '../helpers/cli-harness.js';
import { waitFor } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/tributary.js');

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tributary binary', () => {
  it('--help prints usage and every broker and topic key with its default', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: tributary');
    expect(r.stdout).toContain('--override key=value');
    expect(r.stdout).toContain('TRIBUTARY_LOG_DIRS');
    for (const k of [...BROKER_KEY_NAMES, ...TOPIC_KEY_NAMES]) expect(r.stdout).toMatch(new RegExp(`^  ${k.replace(/\./g, '\\.')}$`, 'm'));
    expect(r.stdout).toContain('default 1048588');
    expect(r.stdout).toContain('default PLAINTEXT://127.0.0.1:9092');
    expect(r.stdout.indexOf('Broker configuration')).toBeLessThan(r.stdout.indexOf('Topic configuration'));
    expect(r.stderr).toBe('');
  });

  it('every command answers --help with exit 0, and all help fits 80 columns', async () => {
    const commands = [[], ['start'], ['tier'], ['tier', 'status'], ['aggregations'], ['aggregations', 'status'], ['contribute'], ['topic'], ['topic', 'create'], ['produce'], ['consume'], ['group'], ['group', 'describe'], ['cluster'], ['console'], ['bench'], ['bench', 'produce'], ['help'], ['version']];
    for (const args of commands) {
      for (const flag of ['--help', '-h']) {
        const h = harness();
        h.deps.helpText = helpText;
        const code = await runCli([...args, flag], h.deps);
        expect(code, `${args.join(' ')} ${flag}`).toBe(0);
        const text = h.out.join('');
        expect(text).toMatch(/Usage: tributary|tributary \d/);
        const wide = text.split('\n').filter((l) => l.length > 80);
        expect(wide, `${args.join(' ')} ${flag}`).toEqual([]);
      }
    }
    const h = harness();
    expect(await runCli(['help', 'contribute'], h.deps)).toBe(0);
    expect(h.out.join('')).toContain('--partner NAME');
  });

  it("an unknown command gets a 'did you mean'", async () => {
    const h = harness();
    expect(await runCli(['stat'], h.deps)).toBe(2);
    expect(h.err.join('')).toContain("unknown command 'stat' (did you mean 'start'?)");
    expect(parseStartArgs(['--overide', 'a=b'])).toEqual({ error: 'unknown option --overide (did you mean --override?)' });
  });

  it('-h and start --help print the same help', () => {
    const a = cli(['-h']);
    const b = cli(['start', '--help']);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const r = cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`tributary ${pkg.version}`);
  });

  it('a bad override exits 1 with the ConfigError message and no stack trace', () => {
    const r = cli(['start', '--override', 'num.partitions=abc']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('num.partitions');
    expect(r.stderr).toContain('abc');
    expect(r.stderr).toContain('Not a number of type INT');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('--override=key=value form and env values are validated too', () => {
    expect(cli(['--override=log.segment.bytes=10']).stderr).toContain('Value must be at least 14');
    const r = cli([], { TRIBUTARY_NUM_PARTITIONS: '0' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TRIBUTARY_NUM_PARTITIONS');
  });

  it('a bad properties file value names the file line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-cli-test-'));
    try {
      const file = path.join(dir, 'server.properties');
      fs.writeFileSync(file, 'node.id=1\nlisteners=nonsense\n');
      for (const args of [['start', file], [file]]) {
        const r = cli(args);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('listeners');
        expect(r.stderr).toContain('server.properties:2');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unknown commands and options are usage errors (exit 2)', () => {
    const r = cli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect(cli(['start', '--bogus']).code).toBe(2);
  });
});

describe('parseStartArgs', () => {
  it('accepts a file and both override forms', () => {
    expect(parseStartArgs(['server.properties', '--override', 'a=1', '--override=b=2=3'])).toEqual({
      file: 'server.properties',
      overrides: ['a=1', 'b=2=3'],
      help: false,
      generateTls: false,
      consolePort: null,
    });
    expect(parseStartArgs(['--generate-tls'])).toMatchObject({ generateTls: true });
    expect(parseStartArgs(['--console'])).toMatchObject({ consolePort: 8080 });
    expect(parseStartArgs(['--console=9000'])).toMatchObject({ consolePort: 9000 });
    expect(parseStartArgs(['--console=http'])).toHaveProperty('error');
    expect(parseStartArgs(['--consol'])).toMatchObject({ error: expect.stringContaining('did you mean --console') });
  });

  it('rejects a dangling --override, a malformed override and two files', () => {
    expect(parseStartArgs(['--override'])).toHaveProperty('error');
    expect(parseStartArgs(['--override', 'novalue'])).toHaveProperty('error');
    expect(parseStartArgs(['a.properties', 'b.properties'])).toHaveProperty('error');
  });
});

/** In-process CLI with a fake broker and fake signals (no broker is started). */
const harness = (startBroker?: CliDeps['startBroker']) => cliHarness({ startBroker });

describe('start lifecycle', () => {
  it('starts the broker with the loaded config, and SIGTERM closes it and exits 0', async () => {
    let closed = 0;
    let seenPartitions: unknown;
    const h = harness(async (config) => {
      seenPartitions = config.get('num.partitions');
      return { port: 1234, close: async () => void closed++ };
    });
    const done = runCli(['start', '--override', 'num.partitions=3', '--override', 'tributary.log.format=json'], h.deps);
    await waitFor(() => h.handlers.size > 0, 'the broker to start and install its signal handlers');
    expect(seenPartitions).toBe(3);
    expect(h.handlers.size).toBe(1);
    h.signal('SIGTERM');
    expect(await done).toBe(0);
    expect(closed).toBe(1);
    expect(h.handlers.size).toBe(0);
    // The broker logs "shutting down" and "shutdown complete" itself; the CLI does not repeat them.
    expect(h.messages().map((m) => m.msg)).toEqual(['ready', 'received SIGTERM: stopping']);
    expect(h.messages()[0]).toMatchObject({ bootstrap: '127.0.0.1:1234' });
  });

  it('a second signal forces exit while close() hangs', async () => {
    const h = harness(async () => ({ port: 1, close: () => new Promise<void>(() => {}) }));
    void runCli(['--override', 'tributary.log.format=json'], h.deps);
    await waitFor(() => h.handlers.size > 0, 'the broker to start and install its signal handlers');
    h.signal('SIGINT');
    expect(h.exits).toEqual([]);
    h.signal('SIGINT');
    expect(h.exits).toEqual([1]);
  });

  it("the npm parent dying of the same Ctrl-C is not a second signal", async () => {
    let release!: () => void;
    const h = harness(async () => ({ port: 1, close: () => new Promise<void>((r) => (release = r)) }));
    const done = runCli(['--override', 'tributary.log.format=json'], h.deps);
    await waitFor(() => h.handlers.size > 0, 'the broker to start and install its signal handlers');
    h.signal('SIGINT');
    h.signal(PARENT_EXITED);
    expect(h.exits).toEqual([]);
    release();
    expect(await done).toBe(0);
  });

  it('a signal while the broker is starting stops it once started, without a ready line', async () => {
    let started!: () => void;
    let closed = 0;
    const h = harness(
      () =>
        new Promise((resolve) => {
          started = () => resolve({ port: 1, close: async () => void closed++ });
        }),
    );
    const done = runCli(['--override', 'tributary.log.format=json'], h.deps);
    // The handlers are in place before the broker starts (as Kafka's shutdown hook is).
    await waitFor(() => started !== undefined, 'the broker start to begin');
    expect(h.handlers.size).toBe(1);
    h.signal('SIGTERM');
    expect(closed).toBe(0);
    started();
    expect(await done).toBe(0);
    expect(closed).toBe(1);
    expect(h.handlers.size).toBe(0);
    expect(h.exits).toEqual([]);
    expect(h.messages().map((m) => m.msg)).toEqual(['received SIGTERM while starting: stopping once started']);
  });

  it('a second signal while starting exits at once; a failed start removes the handlers', async () => {
    const h = harness(() => new Promise(() => {}));
    void runCli(['--override', 'tributary.log.format=json'], h.deps);
    await waitFor(() => h.handlers.size > 0, 'the signal handlers');
    h.signal('SIGINT');
    expect(h.exits).toEqual([]);
    h.signal('SIGINT');
    expect(h.exits).toEqual([1]);
    const failing = harness(async () => {
      throw new Error('boom');
    });
    expect(await runCli(['--override', 'tributary.log.format=json'], failing.deps)).toBe(1);
    expect(failing.handlers.size).toBe(0);
  });

  it('config warnings are logged, and a failing start exits 1', async () => {
    const h = harness(async () => {
      throw Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    });
    const code = await runCli(['--override', 'no.such.key=1', '--override', 'tributary.log.format=json'], h.deps);
    expect(code).toBe(1);
    const msgs = h.messages();
    expect(msgs[0]).toMatchObject({ level: 'warn' });
    expect(msgs[0]!.msg).toContain('no.such.key');
    expect(msgs[1]).toMatchObject({ level: 'error', msg: 'broker failed to start' });
  });

  it('bare `tributary` is start; help and version need no broker', async () => {
    let started = false;
    const h = harness(async () => {
      started = true;
      return { port: 1, close: async () => {} };
    });
    expect(await runCli(['help'], h.deps)).toBe(0);
    expect(h.out).toEqual(['HELP\n']);
    expect(await runCli(['version'], h.deps)).toBe(0);
    expect(started).toBe(false);
    const done = runCli([], h.deps);
    await waitFor(() => h.handlers.size > 0, 'the broker to start and install its signal handlers');
    expect(started).toBe(true);
    h.signal('SIGTERM');
    expect(await done).toBe(0);
  });
});
