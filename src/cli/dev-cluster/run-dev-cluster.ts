// `tributary dev-cluster`: N brokers in this process over one metadata store (memory, or etcd),
// a control endpoint for failover drills, until SIGINT/SIGTERM. What it prints on stdout is for
// people (and for tests, which read the `bootstrap:` and `control:` lines); broker logs go to
// stderr, each line naming its broker.
import fs from 'node:fs';
import path from 'node:path';
import type { LogSink } from '../../logging/logger.js';
import { LocalCluster, clusterDefaults } from '../../local-cluster.js';
import type { CliDeps } from '../main.js';
import { PARENT_EXITED } from '../parent-watch.js';
import type { RunArgs, ControlAction } from './dev-cluster-args.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { findEtcd, startLocalEtcd, type LocalEtcd } from './local-etcd.js';

/** Written while the cluster runs, so `dev-cluster kill 2` finds the control endpoint. */
export const STATE_FILE = 'dev-cluster.json';
/** Marks a data dir as made by dev-cluster: only then are its broker dirs cleared (memory store). */
const MARKER_FILE = '.tributary-dev-cluster';

class UsageError extends Error {}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Prepares DIR/broker-N. With in-memory metadata the cluster forgets its topics on exit, so the
 * broker dirs of the last run are cleared (only in a dir dev-cluster made: the marker says so).
 */
function prepareDataDirs(dataDir: string, brokers: number, memory: boolean): string[] {
  fs.mkdirSync(dataDir, { recursive: true });
  const stateFile = path.join(dataDir, STATE_FILE);
  if (fs.existsSync(stateFile)) {
    try {
      const st = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { pid?: number };
      if (st.pid && st.pid !== process.pid && pidAlive(st.pid)) throw new UsageError(`a dev cluster (pid ${st.pid}) already runs on ${dataDir}`);
    } catch (e) {
      if (e instanceof UsageError) throw e;
    }
  }
  const marker = path.join(dataDir, MARKER_FILE);
  const ours = fs.existsSync(marker);
  const dirs: string[] = [];
  for (let id = 1; id <= brokers; id++) {
    const dir = path.join(dataDir, `broker-${id}`);
    if (memory && fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
      if (!ours) throw new UsageError(`${dir} exists and was not made by tributary dev-cluster; choose another --data-dir`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    dirs.push(dir);
  }
  fs.writeFileSync(marker, 'Data dirs of `tributary dev-cluster`: with in-memory metadata they are cleared on every run.\n');
  return dirs;
}

/**
 * Broker N's log lines: JSON gets a "broker" field, text a `[broker N]` prefix. A startup warning
 * every broker gives alike (a setting accepted without effect) is shown once, not once per broker.
 */
function brokerLogSink(nodeId: number, out: LogSink, seen: Set<string>): LogSink {
  return {
    isTTY: out.isTTY,
    write(line: string) {
      const same = /The configuration '[^']+' is accepted for compatibility but has no effect[^"\n]*/.exec(line);
      if (same) {
        if (seen.has(same[0])) return true;
        seen.add(same[0]);
      }
      return out.write(line.startsWith('{') ? `{"broker":${nodeId},${line.slice(1)}` : `[broker ${nodeId}] ${line}`);
    },
  };
}

function overridesToSettings(overrides: readonly string[]): Record<string, string> {
  // As `start` reads --override: key up to the first '=', the rest is the value.
  return Object.fromEntries(overrides.map((o) => [o.slice(0, o.indexOf('=')).trim(), o.slice(o.indexOf('=') + 1)]));
}

export async function runDevCluster(args: RunArgs, deps: CliDeps): Promise<number> {
  // Signals are handled from the first moment (as `start` does): one arriving while etcd and the
  // brokers start is remembered and acted on once they are up, so SIGTERM during start-up stops
  // the cluster cleanly (etcd's child process included) instead of taking the default action.
  let early: string | null = null;
  let onSignal = (signal: string): void => {
    early ??= signal;
  };
  const unsubscribe = deps.onSignal((signal) => onSignal(signal));
  try {
    return await runStarted(args, deps, (handler) => {
      onSignal = handler;
      if (early !== null) handler(early);
    });
  } finally {
    unsubscribe();
  }
}

/** The dev cluster from start-up to shutdown; `handleSignals` takes over the signals once it runs (and replays one that came earlier). */
async function runStarted(args: RunArgs, deps: CliDeps, handleSignals: (handler: (signal: string) => void) => void): Promise<number> {
  const dataDir = path.resolve(args.dataDir);
  let etcd: LocalEtcd | null = null;
  let dirs: string[];
  try {
    dirs = prepareDataDirs(dataDir, args.brokers, args.etcd === null);
  } catch (e) {
    deps.stderr(`tributary dev-cluster: ${(e as Error).message}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
  let store: string | undefined;
  if (args.etcd === 'auto') {
    const bin = findEtcd(deps.env);
    if (!bin) {
      deps.stderr('tributary dev-cluster: --etcd auto needs the etcd binary on PATH (Debian: apt-get install etcd-server), or pass --etcd etcd://host:2379\n');
      return 1;
    }
    try {
      etcd = await startLocalEtcd(bin, path.join(dataDir, 'etcd'));
    } catch (e) {
      deps.stderr(`tributary dev-cluster: ${(e as Error).message}\n`);
      return 1;
    }
    store = etcd.url;
  } else if (args.etcd) store = args.etcd;

  const logOut: LogSink = deps.logStream ?? { write: (l: string) => deps.stderr(l), isTTY: process.stderr.isTTY };
  const defaults = clusterDefaults(args.brokers);
  const seenWarnings = new Set<string>();
  let cluster: LocalCluster;
  try {
    cluster = await LocalCluster.start({
      brokers: dirs.map((dir, i) => ({ nodeId: i + 1, dataDir: dir, port: args.port === 0 ? 0 : args.port + i })),
      store,
      host: args.host,
      config: { ...defaults, ...overridesToSettings(args.overrides) },
      logLevel: args.logLevel as never,
      logStream: (id) => brokerLogSink(id, logOut, seenWarnings),
    });
  } catch (e) {
    deps.stderr(`tributary dev-cluster: the cluster failed to start: ${(e as Error).message}\n`);
    await etcd?.stop();
    return 1;
  }

  const sessionMs = Number(overridesToSettings(args.overrides)['tributary.metadata.session.timeout.ms'] ?? 6000);
  const describe = () => ({
    bootstrap: cluster.bootstrap,
    controller: cluster.controllerId(),
    metadata: store ?? 'memory',
    brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, address: `${b.host}:${b.port}`, state: b.state, dataDir: b.dataDir })),
  });
  const say = (line: string) => deps.stdout(`${line}\n`);
  const act = async (action: ControlAction, nodeId: number) => {
    const started = Date.now();
    const b = await (action === 'stop' ? cluster.stop(nodeId) : action === 'kill' ? cluster.kill(nodeId) : action === 'restart' ? cluster.restart(nodeId) : cluster.startBroker(nodeId));
    if (action === 'restart' || action === 'start') await cluster.waitUntil(`broker ${nodeId} registered`, () => cluster.allRegistered(), 30_000);
    const note =
      action === 'kill' ? ` (no controlled shutdown: its lease expires in ${sessionMs} ms, then its partitions get new leaders)` : action === 'stop' ? ' (clean shutdown: its lease is revoked, leaders move now)' : '';
    say(`broker ${nodeId} ${b.state === 'running' ? 'running' : b.state} at ${b.host}:${b.port}${note}`);
    return { nodeId, state: b.state, address: `${b.host}:${b.port}`, tookMs: Date.now() - started };
  };

  let control: ControlServer;
  try {
    control = await startControlServer({ status: describe, act }, args.controlPort);
  } catch (e) {
    deps.stderr(`tributary dev-cluster: the control endpoint cannot listen on 127.0.0.1:${args.controlPort}: ${(e as Error).message}\n`);
    await cluster.close();
    await etcd?.stop();
    return 1;
  }
  const stateFile = path.join(dataDir, STATE_FILE);

  // The state file and the banner only once the signal handlers below are in place: a harness that
  // sends SIGTERM as soon as it reads the bootstrap line (or sees the file) must find them, not
  // SIGTERM's default action (as `start` once did).
  const announce = () => {
    fs.writeFileSync(stateFile, JSON.stringify({ pid: process.pid, control: control.url, ...describe() }, null, 2) + '\n');
    if (args.json) say(JSON.stringify({ ...describe(), control: control.url }));
    else {
      const memo = store ? `metadata in etcd ${store}${etcd ? ' (started here)' : ''}` : 'metadata in memory (the cluster starts empty on every run; --etcd keeps it)';
      say(`Tributary dev cluster: ${args.brokers} broker${args.brokers > 1 ? 's' : ''}, ${memo}`);
      const controller = cluster.controllerId();
      for (const b of cluster.brokers) say(`  broker ${b.nodeId}  ${b.host}:${b.port}  ${path.relative(process.cwd(), b.dataDir) || b.dataDir}${b.nodeId === controller ? '  (controller)' : ''}`);
      say(`defaults:  ${Object.entries(defaults).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      say(`control:   ${control.url}  (tributary dev-cluster stop|kill|restart <nodeId>)`);
      say(`bootstrap: ${cluster.bootstrap}`);
      say('Press Ctrl-C to stop the cluster.');
    }
  };

  return new Promise<number>((resolve) => {
    let stopping = false;
    handleSignals((signal) => {
      if (stopping) {
        if (signal === PARENT_EXITED) return;
        say('second signal: exiting without waiting for shutdown');
        deps.forceExit(1);
        return;
      }
      stopping = true;
      say(`${signal === PARENT_EXITED ? 'npm exited' : signal}: stopping the cluster`);
      const timer = setTimeout(() => {
        deps.stderr('tributary dev-cluster: shutdown timed out, exiting\n');
        deps.forceExit(1);
      }, 60_000);
      timer.unref();
      void (async () => {
        let code = 0;
        try {
          await control.close();
          await cluster.close();
        } catch (e) {
          deps.stderr(`tributary dev-cluster: shutdown failed: ${(e as Error).message}\n`);
          code = 1;
        }
        await etcd?.stop().catch(() => undefined);
        fs.rmSync(stateFile, { force: true });
        clearTimeout(timer);
        say('stopped');
        resolve(code);
      })();
    });
    // A signal during start-up has already begun the shutdown: no banner, no state file.
    if (!stopping) announce();
  });
}
