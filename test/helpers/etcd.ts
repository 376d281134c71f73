// A real throwaway etcd (Debian's etcd-server, 3.4) for tests: one member on free loopback ports
// in a temp dir. kill() is SIGKILL (etcd lost); restart() brings it back on the same ports and
// data dir, so leases and keys survive as they would after a real crash.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ETCD_BIN = '/usr/bin/etcd';
const INSTALL_HINT = 'etcd is not installed: run `apt-get install -y etcd-server` (gives /usr/bin/etcd, etcd 3.4)';

export interface TestEtcd {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** For tributary.metadata.store. */
  url: string;
  dataDir: string;
  pid(): number | undefined;
  logs(): string;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data dir; resolves when healthy. */
  restart(): Promise<void>;
  /** Kills it and removes the data dir. */
  cleanup(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(endpoint: string, child: ChildProcess, logs: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`etcd exited during start:\n${logs().slice(-4000)}`);
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(500) });
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`etcd not healthy after ${timeoutMs} ms:\n${logs().slice(-4000)}`);
}

export async function startEtcd(): Promise<TestEtcd> {
  if (!fs.existsSync(ETCD_BIN)) throw new Error(INSTALL_HINT);
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  let out = '';
  let child: ChildProcess | undefined;

  const launch = async () => {
    // Short heartbeat/election so etcd's minimum lease TTL is 1 s (tests use TTLs of seconds).
    child = spawn(
      ETCD_BIN,
      [
        '--name', 't', '--data-dir', path.join(dataDir, 'member-data'),
        '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
        '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `t=${peer}`,
        '--heartbeat-interval', '50', '--election-timeout', '500',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    live.add(child);
    const c = child;
    c.once('exit', () => live.delete(c));
    const keep = (b: Buffer) => {
      out += b.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
    };
    c.stdout!.on('data', keep);
    c.stderr!.on('data', keep);
    await waitHealthy(endpoint, c, () => out, 15_000);
  };

  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };

  await launch();
  return {
    endpoint,
    url: `etcd://127.0.0.1:${clientPort}`,
    dataDir,
    pid: () => child?.pid,
    logs: () => out,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    cleanup: async () => {
      await kill();
      await fsp.rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CuttableLink {
  /** host:port to connect to instead of etcd's. */
  address: string;
  /** Drops every connection and refuses new ones (a network partition). */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

/** A TCP proxy in front of etcd, so one client can be cut off while the others still reach it. */
export async function cuttableLink(targetPort: number): Promise<CuttableLink> {
  let isCut = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    cut: () => {
      isCut = true;
      for (const s of sockets) s.destroy();
    },
    heal: () => {
      isCut = false;
    },
    close: async () => {
      isCut = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
