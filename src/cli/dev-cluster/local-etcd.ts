// `dev-cluster --etcd auto`: a one-member etcd (the `etcd` binary on PATH) on free loopback
// ports, its data under the dev cluster's data dir so the metadata survives a restart of the
// dev cluster. Stopped with the cluster.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface LocalEtcd {
  /** etcd://127.0.0.1:PORT for tributary.metadata.store. */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** The etcd binary on PATH, or null. */
export function findEtcd(env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'etcd');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function startLocalEtcd(binary: string, dataDir: string, timeoutMs = 20_000): Promise<LocalEtcd> {
  fs.mkdirSync(dataDir, { recursive: true });
  // The same ports as last time when free: the member's stored peer URL must not change.
  const portsFile = path.join(dataDir, 'ports.json');
  let ports: { client: number; peer: number } | null = null;
  try {
    ports = JSON.parse(fs.readFileSync(portsFile, 'utf8')) as { client: number; peer: number };
    if (!(await isFree(ports.client)) || !(await isFree(ports.peer))) ports = null;
  } catch {
    ports = null;
  }
  ports ??= { client: await freePort(), peer: await freePort() };
  fs.writeFileSync(portsFile, JSON.stringify(ports));
  const clientPort = ports.client;
  const peerPort = ports.peer;
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const logFile = path.join(dataDir, 'etcd.log');
  const log = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    binary,
    [
      '--name', 'dev', '--data-dir', path.join(dataDir, 'member-data'),
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `dev=${peer}`,
    ],
    { stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`etcd exited at start; its log: ${logFile}`);
    try {
      const res = await fetch(`${client}/health`, { signal: AbortSignal.timeout(500) });
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd not healthy after ${timeoutMs} ms; its log: ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `etcd://127.0.0.1:${clientPort}`, pid: child.pid!, stop };
}
