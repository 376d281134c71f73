// Real S3 servers for tiered-storage tests, each on loopback with its own temp dir:
//   startS3rver()  s3rver 3.7.1 in a child process (it needs --openssl-legacy-provider for listing
//                  continuation tokens, which only a process flag can turn on)
//   startSwift()   Debian's OpenStack Swift with s3api: memcached + account/container/object/proxy
//                  servers on free ports (../shared/TOOLCHAIN.md §4.2), ~5 s to start
//   startFaultProxy(target)  an HTTP proxy in front of either that fails a share of requests
//                  (5xx, stalls, slow bodies, connection resets, cut bodies) on demand
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { REPO_ROOT } from './spawned-broker.js';

export interface S3Server {
  name: string;
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Server processes (for CPU accounting in benchmarks). */
  pids: number[];
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

async function killAll(procs: ChildProcess[]): Promise<void> {
  await Promise.all(
    procs.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const t = setTimeout(() => c.kill('SIGKILL'), 3000);
          c.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Broker overrides that point the tier store at `s` (optionally through a proxy endpoint). */
export function tierStoreOverrides(s: S3Server, endpoint = s.endpoint, prefix = 'tier-test'): Record<string, string> {
  return {
    'tributary.tier.store': 's3',
    'tributary.tier.s3.endpoint': endpoint,
    'tributary.tier.s3.bucket': s.bucket,
    'tributary.tier.s3.prefix': prefix,
    'tributary.tier.s3.path.style': 'true',
    'tributary.tier.s3.access.key.id': s.accessKeyId,
    'tributary.tier.s3.secret.access.key': s.secretAccessKey,
  };
}

// ---- s3rver ---------------------------------------------------------------------------------------

const S3RVER_LAUNCHER = `
const S3rver = require(process.argv[1]);
const srv = new S3rver({ port: 0, address: '127.0.0.1', silent: !process.env.TRIBUTARY_S3RVER_LOG, directory: process.argv[2], configureBuckets: [{ name: process.argv[3], configs: [] }] });
srv.run().then((a) => process.stdout.write(JSON.stringify({ port: a.port }) + '\\n'), (e) => { console.error(e); process.exit(1); });
process.on('SIGTERM', () => srv.close().finally(() => process.exit(0)));
`;

/** `parentDir`: where s3rver keeps its objects (default the OS temp dir; benchmarks use tmpfs). */
export async function startS3rver(bucket = 'tributary', parentDir = os.tmpdir()): Promise<S3Server> {
  const dir = await fs.mkdtemp(path.join(parentDir, 'tributary-s3rver-'));
  const child = track(
    spawn(process.execPath, ['--openssl-legacy-provider', '-e', S3RVER_LAUNCHER, path.join(REPO_ROOT, 'node_modules/s3rver'), dir, bucket], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (process.env.TRIBUTARY_S3RVER_LOG) process.stderr.write(d);
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}: ${err}`)));
  });
  return {
    name: 's3rver',
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    pids: [child.pid!],
    async stop() {
      await killAll([child]);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

// ---- OpenStack Swift (s3api) ------------------------------------------------------------------------

export const SWIFT_PACKAGES = ['swift-proxy', 'swift-account', 'swift-container', 'swift-object', 'memcached'];
const SWIFT_BINARIES = ['/usr/bin/swift-proxy-server', '/usr/bin/swift-account-server', '/usr/bin/swift-container-server', '/usr/bin/swift-object-server', '/usr/bin/memcached'];

/** Null when Swift can run here, else the message naming what to install. */
export function swiftMissing(): string | null {
  const missing = SWIFT_BINARIES.filter((b) => !existsSync(b));
  if (missing.length === 0 && existsSync('/etc/swift/swift.conf')) return null;
  return (
    `OpenStack Swift is not installed (missing ${missing.join(', ') || '/etc/swift/swift.conf'}). ` +
    `Install it with: apt-get install -y --no-install-recommends ${SWIFT_PACKAGES.join(' ')}  (.ci/run does this)`
  );
}

const SERVER_CONF = (name: string, port: number, root: string) => `[DEFAULT]
devices = ${root}/srv
mount_check = false
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
swift_dir = ${root}/etc
user = root
log_level = WARNING
[pipeline:main]
pipeline = ${name}-server
[app:${name}-server]
use = egg:swift#${name}
[${name}-replicator]
[${name}-updater]
[${name}-auditor]
`;

const PROXY_CONF = (port: number, root: string, memcachePort: number) => `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
swift_dir = ${root}/etc
user = root
log_level = WARNING
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:${memcachePort}
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
`;

const RING_SCRIPT = `
import sys
from swift.common.ring import RingBuilder
for name, port in (('object', sys.argv[2]), ('container', sys.argv[3]), ('account', sys.argv[4])):
    b = RingBuilder(10, 1, 1)
    b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': int(port), 'device': 'd1', 'weight': 1, 'meta': ''})
    b.rebalance()
    b.get_ring().save(sys.argv[1] + '/' + name + '.ring.gz')
`;

/** Starts a single-node Swift with the S3 API; throws (naming the apt packages) if it is not installed. */
export async function startSwift(bucket = 'tributary'): Promise<S3Server> {
  const missing = swiftMissing();
  if (missing) throw new Error(missing);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-swift-'));
  const etc = path.join(root, 'etc');
  await fs.mkdir(path.join(root, 'srv', 'd1'), { recursive: true });
  await fs.mkdir(etc, { recursive: true });
  const ports = { object: await freePort(), container: await freePort(), account: await freePort(), proxy: await freePort(), memcache: await freePort() };
  // The three rings of the recipe's `swift-ring-builder create 10 1 1 / add / rebalance`, built in
  // one Python process (nine swift-ring-builder runs cost ~7 s on this machine).
  execFileSync('/usr/bin/python3', ['-c', RING_SCRIPT, etc, String(ports.object), String(ports.container), String(ports.account)], { stdio: 'pipe' });
  for (const name of ['object', 'container', 'account'] as const) {
    await fs.writeFile(path.join(etc, `${name}-server.conf`), SERVER_CONF(name, ports[name], root));
  }
  await fs.writeFile(path.join(etc, 'proxy-server.conf'), PROXY_CONF(ports.proxy, root, ports.memcache));
  const logs: string[] = [];
  const procs: ChildProcess[] = [];
  const launch = (cmd: string, args: string[]) => {
    const c = track(spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
    c.stderr!.on('data', (d: Buffer) => logs.length < 200 && logs.push(d.toString()));
    procs.push(c);
  };
  launch('/usr/bin/memcached', ['-u', 'root', '-l', '127.0.0.1', '-p', String(ports.memcache), '-m', '64']);
  for (const n of ['account', 'container', 'object', 'proxy']) launch('/usr/bin/python3', [`/usr/bin/swift-${n}-server`, path.join(etc, `${n}-server.conf`)]);
  const endpoint = `http://127.0.0.1:${ports.proxy}`;
  const stop = async () => {
    await killAll(procs);
    await fs.rm(root, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`${endpoint}/healthcheck`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`Swift did not become healthy in 30 s:\n${logs.join('').slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test:tester', secretAccessKey: 'testing' } });
    // The account and container servers may still be warming up: retry bucket creation briefly.
    for (let i = 0; ; i++) {
      try {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        break;
      } catch (e) {
        if ((e as { name?: string }).name === 'BucketAlreadyOwnedByYou' || (e as { name?: string }).name === 'BucketAlreadyExists') break;
        if (i >= 50) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    // The object server may still be starting: wait until an object can be written.
    for (let i = 0; ; i++) {
      try {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'probe', Body: 'ok' }));
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'probe' }));
        break;
      } catch (e) {
        if (i >= 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    s3.destroy();
  } catch (e) {
    await stop();
    throw e;
  }
  return { name: 'swift', endpoint, bucket, accessKeyId: 'test:tester', secretAccessKey: 'testing', pids: procs.map((c) => c.pid!), stop };
}

// ---- fault-injecting proxy ----------------------------------------------------------------------------

export type Fault = 'error-503' | 'error-500' | 'stall' | 'slow' | 'reset' | 'cut-body';

export interface FaultProxy {
  endpoint: string;
  /** Share of requests (0..1) that get one of `faults`; 0 = transparent. */
  setFaults(rate: number, faults?: Fault[]): void;
  /** Fail every request (the store is "down") until set back to false. */
  setDown(down: boolean): void;
  stats: { requests: number; faulted: number; byFault: Record<string, number> };
  stop(): Promise<void>;
}

/**
 * A reverse proxy to `target`. Faults: 503/500 with an S3 XML error; a stall (no answer for
 * `stallMs`, longer than the client's request timeout); a slow answer (delayed `slowMs`); a reset
 * (socket destroyed before answering); a body cut in the middle (headers promise more bytes).
 */
export async function startFaultProxy(target: string, opts: { stallMs?: number; slowMs?: number; random?: () => number } = {}): Promise<FaultProxy> {
  const t = new URL(target);
  const random = opts.random ?? Math.random;
  let rate = 0;
  let faults: Fault[] = ['error-503', 'error-500', 'stall', 'slow', 'reset', 'cut-body'];
  let down = false;
  const stats = { requests: 0, faulted: 0, byFault: {} as Record<string, number> };
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    stats.requests++;
    const fault: Fault | null = down ? 'error-503' : random() < rate ? faults[Math.floor(random() * faults.length)]! : null;
    if (fault) {
      stats.faulted++;
      stats.byFault[fault] = (stats.byFault[fault] ?? 0) + 1;
    }
    const xmlError = (status: number, code: string) => {
      req.resume();
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected fault</Message></Error>`);
    };
    if (fault === 'error-503') return xmlError(503, 'ServiceUnavailable');
    if (fault === 'error-500') return xmlError(500, 'InternalError');
    if (fault === 'reset') {
      req.resume();
      req.socket.destroy();
      return;
    }
    if (fault === 'stall') {
      req.resume();
      const timer = setTimeout(() => req.socket.destroy(), opts.stallMs ?? 10_000);
      req.socket.once('close', () => clearTimeout(timer));
      return;
    }
    const forward = () => {
      const up = http.request(
        { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          if (fault === 'cut-body' && Number(upRes.headers['content-length'] ?? 0) > 1) {
            // Send about half of the body, then drop the connection.
            const want = Math.floor(Number(upRes.headers['content-length']) / 2);
            let sent = 0;
            upRes.on('data', (chunk: Buffer) => {
              if (sent >= want) return;
              const part = chunk.subarray(0, Math.max(0, want - sent));
              sent += part.length;
              res.write(part);
              if (sent >= want) {
                upRes.destroy();
                res.socket?.destroy();
              }
            });
            upRes.on('end', () => res.socket?.destroy());
            return;
          }
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.socket?.destroy());
      req.pipe(up);
    };
    if (fault === 'slow') setTimeout(forward, opts.slowMs ?? 300);
    else forward();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setFaults(r, f) {
      rate = r;
      if (f) faults = f;
    },
    setDown(d) {
      down = d;
    },
    stats,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
