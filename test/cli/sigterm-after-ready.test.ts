// A harness that starts and stops a broker quickly (spawn `node bin/tributary.js start`, wait for
// the "ready" line, SIGTERM) must see a clean shutdown every time: exit code 0, "shutdown
// complete", and the clean-shutdown marker in the log dir (without it the next start recovers
// every log). The signal handlers used to be installed only after "ready" was written, so a
// SIGTERM sent in the same tick as the line was read often found SIGTERM's default action still in
// place and killed the broker by the signal (7 of 10 such starts on a 2-vCPU machine). SIGTERM
// sent while the broker is still starting (at its first log line) must stop it cleanly too, as a
// Kafka broker's shutdown hook does.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/spawned-broker.js';

const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  marker: boolean;
}

/**
 * Runs `node bin/tributary.js ...args` and sends SIGTERM in the same tick as `when` first matches
 * what the process wrote to `stream` (so far).
 */
async function runAndTerm(args: string[], when: RegExp, stream: 'stdout' | 'stderr' = 'stderr'): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/tributary.js', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  let sent = false;
  for (const name of ['stdout', 'stderr'] as const) {
    child[name]!.setEncoding('utf8');
    child[name]!.on('data', (s: string) => {
      out[name] += s;
      if (!sent && name === stream && when.test(out[name])) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
  }
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (c, s) => resolve({ code: c, signal: s })),
  );
  expect(sent, `never wrote ${when}:\n${out.stdout}\n${out.stderr}`).toBe(true);
  return { code, signal, ...out };
}

/** Starts the broker on an empty dir and sends SIGTERM in the same tick as `when` first matches its log. */
async function startAndTerm(when: RegExp): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-sigterm-'));
  dirs.push(dir);
  const r = await runAndTerm(['start', '--override', `log.dirs=${dir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'tributary.log.format=json'], when);
  return { code: r.code, signal: r.signal, stderr: r.stderr, marker: fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE)) };
}

function expectCleanShutdown(o: Outcome, i: number): void {
  const tail = o.stderr.trim().split('\n').slice(-4).join('\n');
  expect({ start: i, code: o.code, signal: o.signal }, `start ${i} did not exit cleanly; last log lines:\n${tail}`).toEqual({ start: i, code: 0, signal: null });
  expect(o.stderr.match(/"msg":"shutdown complete"/g), tail).toHaveLength(1);
  expect(o.marker, `start ${i}: no ${CLEAN_SHUTDOWN_FILE} after the shutdown`).toBe(true);
}

it('SIGTERM sent the instant "ready" is read shuts the broker down cleanly, every time', { timeout: 120_000 }, async () => {
  // Sequential: each start is its own race. 8 starts: on the old code (about 7 in 10 died) all 8
  // passing had a chance of about 0.3^8, under 1 in 10^4.
  for (let i = 0; i < 8; i++) {
    const o = await startAndTerm(/"msg":"ready"/);
    expectCleanShutdown(o, i);
    expect(o.stderr).toContain('"msg":"received SIGTERM: stopping"');
  }
});

it('SIGTERM sent while the broker is starting stops it cleanly once started, with no "ready" line', { timeout: 60_000 }, async () => {
  for (let i = 0; i < 2; i++) {
    // The first log line the broker writes: the start is under way, nothing is ready yet.
    const o = await startAndTerm(/"level"/);
    expectCleanShutdown(o, i);
    expect(o.stderr).not.toContain('"msg":"ready"');
  }
});

// The same race in the other long-running commands: each printed its address before installing
// its handlers.
it('tributary console: SIGTERM sent the instant its URL is read exits 0', { timeout: 60_000 }, async () => {
  for (let i = 0; i < 5; i++) {
    // Nothing listens on port 1: the console starts without reaching a cluster.
    const r = await runAndTerm(['console', '--bootstrap-server', '127.0.0.1:1', '--port', '0'], /http:\/\/127\.0\.0\.1:\d+\//, 'stdout');
    expect({ start: i, code: r.code, signal: r.signal }, r.stderr).toEqual({ start: i, code: 0, signal: null });
  }
});

it('tributary dev-cluster: SIGTERM sent the instant the bootstrap line is read stops the cluster, exit 0', { timeout: 90_000 }, async () => {
  for (let i = 0; i < 3; i++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-sigterm-dev-'));
    dirs.push(dir);
    const r = await runAndTerm(['dev-cluster', '--brokers', '1', '--port', '0', '--data-dir', dir, '--log-level', 'warn'], /^bootstrap: \S+$/m, 'stdout');
    expect({ start: i, code: r.code, signal: r.signal }, `${r.stdout}\n${r.stderr}`).toEqual({ start: i, code: 0, signal: null });
    expect(r.stdout).toMatch(/^stopped$/m);
  }
});
