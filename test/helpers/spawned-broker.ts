// Runs the broker as a real child process (`node bin/tributary.js start ...`), the way users and
// the compat clients see it: its own event loop, real signals (SIGTERM clean shutdown, SIGKILL
// crash), and a data dir that survives a restart. The bound port comes from the JSON "listening"
// log line on stderr; all stderr is kept so a failing test can show what the broker said.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface SpawnBrokerOptions {
  /** Extra `--override key=value` settings (listeners and log.dirs are set by the helper). */
  overrides?: Record<string, string>;
  /** Reuse this data dir instead of a fresh temp dir. */
  dataDir?: string;
  /** Listen on this port (0 = any). restart() passes the previous port. */
  port?: number;
  /** How long to wait for the "listening" line. */
  startTimeoutMs?: number;
  /** Extra node flags before the script (e.g. --cpu-prof for benchmarks). */
  nodeArgs?: string[];
}

export interface SpawnedBroker {
  port: number;
  bootstrap: string;
  dataDir: string;
  pid: number;
  /** Everything the process wrote to stderr so far (JSON log lines). */
  logs(): string;
  /** How the process ended, once it has (null while running). */
  exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Stops the process (SIGTERM: clean shutdown; SIGKILL: crash) and waits for it to exit. Keeps the data. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Stops (SIGTERM unless already stopped) and starts a new process on the same data dir and port. */
  restart(opts?: { signal?: 'SIGTERM' | 'SIGKILL'; overrides?: Record<string, string> }): Promise<SpawnedBroker>;
  /** Stops and deletes the data dir. */
  cleanup(): Promise<void>;
}

const MAX_LOG_CHARS = 2_000_000;

// Children still running when the test worker exits are killed, so a failed test never leaves a
// broker holding a port.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Finds the bound port in one JSON log line, tolerating a nested field bag. */
function listeningPort(line: string): number | null {
  if (!line.startsWith('{')) return null;
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (obj.msg !== 'listening' && obj.message !== 'listening') return null;
  for (const bag of [obj, obj.fields, obj.data, obj.ctx]) {
    if (bag && typeof bag === 'object') {
      const port = (bag as Record<string, unknown>).port;
      if (typeof port === 'number' && port > 0) return port;
    }
  }
  return null;
}

export async function spawnBroker(opts: SpawnBrokerOptions = {}): Promise<SpawnedBroker> {
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-compat-')));
  const port = opts.port ?? 0;
  const overrides: Record<string, string> = {
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    'log.dirs': dataDir,
    ...(opts.overrides ?? {}),
  };
  const args = [...(opts.nodeArgs ?? []), 'bin/tributary.js', 'start'];
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);

  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  live.add(child);
  let stderr = '';
  let stdout = '';
  // SPAWN_LOG_FILE=path: every broker's stderr also goes to that file, whole lines tagged with the
  // pid (the in-memory copy keeps only the tail; a long soak's early events are needed to diagnose it).
  const logFile = process.env.SPAWN_LOG_FILE;
  let partialLine = '';
  const append = (s: string) => {
    if (logFile) {
      partialLine += s;
      const cut = partialLine.lastIndexOf('\n');
      if (cut >= 0) {
        appendFileSync(logFile, partialLine.slice(0, cut).split('\n').map((l) => `[pid ${child.pid}] ${l}\n`).join(''));
        partialLine = partialLine.slice(cut + 1);
      }
    }
    stderr += s;
    if (stderr.length > MAX_LOG_CHARS) stderr = stderr.slice(-MAX_LOG_CHARS);
  };
  child.stderr!.setEncoding('utf8');
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (s: string) => {
    stdout += s;
    if (stdout.length > MAX_LOG_CHARS) stdout = stdout.slice(-MAX_LOG_CHARS);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  void exited.then((e) => {
    exitInfo = e;
    live.delete(child);
  });

  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const boundPort = await new Promise<number>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not log "listening" within ${timeoutMs} ms\n--- stderr ---\n${stderr.slice(-8000)}\n--- stdout ---\n${stdout.slice(-2000)}`));
    }, timeoutMs);
    const onData = (s: string) => {
      append(s);
      pending += s;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        const p = listeningPort(line);
        if (p !== null) {
          clearTimeout(timer);
          child.stderr!.off('data', onData);
          child.stderr!.on('data', append);
          resolve(p);
          return;
        }
      }
    };
    child.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`broker exited before listening (code ${code}, signal ${signal})\n--- stderr ---\n${stderr.slice(-8000)}\n--- stdout ---\n${stdout.slice(-2000)}`));
    });
  });

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    if (exitInfo) return;
    child.kill(signal);
    // A clean shutdown that hangs is itself a bug worth seeing, but don't hang the suite on it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const e = await exited;
    clearTimeout(timer);
    if (signal === 'SIGTERM' && e.signal === 'SIGKILL') {
      throw new Error(`broker did not exit within 15 s of SIGTERM\n--- stderr ---\n${stderr.slice(-8000)}`);
    }
  };

  const broker: SpawnedBroker = {
    port: boundPort,
    bootstrap: `127.0.0.1:${boundPort}`,
    dataDir,
    pid: child.pid!,
    logs: () => stderr,
    exitStatus: () => exitInfo,
    stop,
    async restart(r = {}) {
      await stop(r.signal ?? 'SIGTERM');
      const next = { ...opts, overrides: { ...(opts.overrides ?? {}), ...(r.overrides ?? {}) }, dataDir };
      try {
        return await spawnBroker({ ...next, port: boundPort });
      } catch (err) {
        // Someone else took the port meanwhile: a new port is still a valid restart.
        if (!String((err as Error).message).includes('EADDRINUSE')) throw err;
        return spawnBroker({ ...next, port: 0 });
      }
    },
    async cleanup() {
      await stop('SIGKILL');
      await fs.rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
  return broker;
}
