// SIGTERM sent to `npx tributary` or `npm start` alone (not to its process group, as a process
// manager or test harness does) stops the broker: npm runs it under `sh -c`, which dies without
// passing the signal on, and the broker must notice rather than keep holding its port.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/spawned-broker.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });

async function signalNpmOnly(command: string, args: string[], signal: NodeJS.Signals = 'SIGTERM', env: NodeJS.ProcessEnv = process.env, whileStarting = false): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-npm-signal-'));
  const overrides = ['--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${dir}`, '--override', 'tributary.log.format=json'];
  // Its own process group, so the cleanup can reach an orphaned broker if the fix regresses.
  const child = spawn(command, [...args, ...overrides], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
  cleanups.push(async () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await fs.rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => (stderr += s));
  if (whileStarting) {
    // Kill npm at the broker's first log line, while the broker is still starting.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line within 60 s:\n${stderr}`)), 60_000);
      const onData = () => {
        if (!stderr.includes('"level"')) return;
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve();
      };
      child.stderr!.on('data', onData);
      onData();
    });
    process.kill(child.pid!, signal);
  }
  // stderr closes only once every process holding it (npm, sh and the broker) has exited.
  const stderrClosed = new Promise<void>((resolve) => child.stderr!.once('close', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${whileStarting ? 'listening' : 'ready'} line within 60 s:\n${stderr}`)), 60_000);
    const onData = () => {
      // pino writes fields before msg: find the ready line, then its bootstrap address. A broker
      // stopped while starting never writes "ready" (it shuts down as soon as it has started):
      // its port is on the "listening" line.
      const m = whileStarting
        ? /"port":(\d+),"msg":"listening"/.exec(stderr)
        : /"bootstrap":"127\.0\.0\.1:(\d+)"[^\n]*"msg":"ready"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stderr!.on('data', onData);
  });
  if (!whileStarting) {
    expect(await portFree(port)).toBe(false);
    process.kill(child.pid!, signal); // npm's pid only, not the group
  }
  await Promise.race([stderrClosed, new Promise((_, reject) => setTimeout(() => reject(new Error(`broker still running 20 s after npm got ${signal}:\n${stderr}`)), 20_000))]);
  expect(await portFree(port)).toBe(true);
  expect(stderr).toContain('"msg":"shutdown complete"');
  expect(stderr.match(/"msg":"shutdown complete"/g)).toHaveLength(1);
}

it('SIGTERM to npx tributary stops the broker', { timeout: 90_000 }, async () => {
  await signalNpmOnly('npx', ['tributary', 'start']);
});

// Under load these used to fail now and then: the watch read its parent only after the ready line,
// by when the harness could already have killed npm, so it watched the process it was re-parented to.
it('SIGTERM to npm start stops the broker', { timeout: 90_000 }, async () => {
  await signalNpmOnly('npm', ['start', '--silent', '--', 'start']);
});

it('npm dying without telling its shell (SIGKILL) stops the broker too', { timeout: 90_000 }, async () => {
  // A stand-in for npm that runs the broker under `sh -c` as npm does and can be killed before it
  // forwards anything: the shell then lives on, and only the broker's grandparent is gone.
  const fakeNpm = `require('node:child_process').spawn('sh', ['-c', 'node bin/tributary.js "$@"', 'sh', ...process.argv.slice(1)], { stdio: 'inherit' })`;
  await signalNpmOnly(process.execPath, ['-e', fakeNpm, 'start'], 'SIGKILL', { ...process.env, npm_command: 'start' });
});

it('npm killed while the broker is still starting stops it once started', { timeout: 90_000 }, async () => {
  const fakeNpm = `require('node:child_process').spawn('sh', ['-c', 'node bin/tributary.js "$@"', 'sh', ...process.argv.slice(1)], { stdio: 'inherit' })`;
  await signalNpmOnly(process.execPath, ['-e', fakeNpm, 'start'], 'SIGKILL', { ...process.env, npm_command: 'start' }, true);
});
