// Issue 10, defect 2: two brokers on one log.dirs used to both accept acks=all writes at the same
// offsets (half the acknowledged records gone after a restart), and a second broker on the same
// port rewrote the live broker's meta.properties, checkpoints and indexes before failing on the
// port. Now every log dir is locked before anything in it is read or written, and the ports are
// bound before any data is written. Brokers run as real processes (bin/tributary.js).
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { startTestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { Broker } from '../../src/broker.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { createLogger } from '../../src/logging/logger.js';
import { kafkajs } from '../helpers/clients.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-lock-'));
  cleanups.push(() => fs.rm(d, { recursive: true, force: true }));
  return d;
}

/** path -> sha256, size and mtime of every file under `dir`. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    const st = await fs.stat(p);
    const sum = crypto.createHash('sha256').update(await fs.readFile(p)).digest('hex');
    out[path.relative(dir, p)] = `${sum} ${st.size} ${st.mtimeMs}`;
  }
  return out;
}

async function produceAndCount(bootstrap: string, topic: string, n: number): Promise<number> {
  const kafka = kafkajs(bootstrap, { clientId: 'lock-test' });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    for (let i = 0; i < n; i += 50) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 50 }, (_, j) => ({ key: `k${i + j}`, value: `v${i + j}` })) });
    }
  } finally {
    await producer.disconnect();
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offs = await admin.fetchTopicOffsets(topic);
    return offs.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function spawnExpectingFailure(opts: Parameters<typeof spawnBroker>[0]): Promise<string> {
  let b: SpawnedBroker | null = null;
  try {
    b = await spawnBroker(opts);
  } catch (e) {
    return (e as Error).message;
  }
  cleanups.push(() => b!.stop('SIGKILL'));
  throw new Error(`the second broker started (pid ${b.pid}) but should have been refused`);
}

describe('one broker per log dir', () => {
  it('a second broker on the same log dir exits naming the dir and the holder, touching nothing; after kill -9 a restart works', async () => {
    const dir = await tempDir();
    // No aggregation stage: nothing in A writes on a timer while the files are compared.
    const a = await spawnBroker({ dataDir: dir, overrides: { 'num.partitions': '1', 'tributary.aggregations.enable': 'false' } });
    cleanups.push(() => a.stop('SIGKILL'));
    expect(await produceAndCount(a.bootstrap, 'locked', 500)).toBe(500);
    // Clean-shutdown style files exist now: checkpoints, meta.properties, segments, indexes.
    const before = await snapshot(dir);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['meta.properties', '.lock', 'recovery-point-offset-checkpoint', 'locked-0/00000000000000000000.log']));

    const msg = await spawnExpectingFailure({ dataDir: dir, startTimeoutMs: 20_000 });
    expect(msg).toMatch(/exited before listening \(code 1/);
    expect(msg).toContain(`log dir ${dir} is locked`);
    expect(msg).toContain(`pid ${a.pid}`);
    expect(await snapshot(dir)).toEqual(before);
    // Same dir and same port (the case that used to rewrite A's files before failing on the port).
    const samePort = await spawnExpectingFailure({ dataDir: dir, port: a.port, startTimeoutMs: 20_000 });
    expect(samePort).toContain(`log dir ${dir} is locked`);
    expect(await snapshot(dir)).toEqual(before);
    expect(a.exitStatus()).toBeNull(); // A still runs and serves
    expect(await produceAndCount(a.bootstrap, 'locked', 50)).toBe(550);

    await a.stop('SIGKILL');
    const c = await spawnBroker({ dataDir: dir });
    cleanups.push(() => c.stop('SIGKILL'));
    expect(await produceAndCount(c.bootstrap, 'locked', 50)).toBe(600);
  }, 90_000);

  it('a second broker on a busy listener port exits naming `listeners` and writes no data', async () => {
    const a = await spawnBroker();
    cleanups.push(() => a.cleanup());
    const dir = await tempDir();
    const msg = await spawnExpectingFailure({ dataDir: dir, port: a.port, startTimeoutMs: 20_000 });
    expect(msg).toMatch(/exited before listening \(code 1/);
    expect(msg).toContain('(config key listeners)');
    expect(msg).toContain('EADDRINUSE');
    // Only the lock's own file: no meta.properties, no internal topics, no checkpoints.
    expect(await fs.readdir(dir)).toEqual(['.lock']);
  }, 60_000);

  it('a busy tributary.metrics.port stops the broker before it writes any data', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => busy.close(() => r())));
    const port = (busy.address() as net.AddressInfo).port;
    const dir = await tempDir();
    const msg = await spawnExpectingFailure({ dataDir: dir, overrides: { 'tributary.metrics.port': String(port) }, startTimeoutMs: 20_000 });
    expect(msg).toMatch(/exited before listening \(code 1/);
    expect(msg).toContain('(config key tributary.metrics.port)');
    expect(await fs.readdir(dir)).toEqual(['.lock']);
  }, 60_000);

  it('two in-process brokers on one dir: the second is refused, and the dir is free again after close', async () => {
    const first = await startTestBroker();
    cleanups.push(() => first.cleanup());
    await expect(startTestBroker({}, first.dataDir)).rejects.toThrow(`log dir ${first.dataDir} is locked by another broker in this process (pid ${process.pid})`);
    // The same dir through a symlink is the same dir.
    const link = path.join(await tempDir(), 'alias');
    await fs.symlink(first.dataDir, link);
    await expect(startTestBroker({}, link)).rejects.toThrow('is locked by another broker in this process');
    const second = await first.restart();
    cleanups.push(() => second.cleanup());
    expect(second.port).toBeGreaterThan(0);
  }, 60_000);
});

describe('start-up order', () => {
  it('binds before loading; a client that connects meanwhile is served once the broker is ready', async () => {
    const dir = await tempDir();
    const config = loadBrokerConfig({ overrides: [`log.dirs=${dir}`, 'listeners=PLAINTEXT://127.0.0.1:0'], env: {} });
    const broker = new Broker(config, createLogger({ level: 'silent' }));
    cleanups.push(() => broker.close());
    const order: string[] = [];
    const starting = broker.start().then(() => order.push('started'));
    // The port is bound while the logs and coordinators are still loading.
    while (broker.port === 0 && order.length === 0) await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    const c = await RawClient.connect(broker.port);
    cleanups.push(async () => void c.socket.destroy());
    const response = c.send(18, 3, { clientSoftwareName: 'early', clientSoftwareVersion: '1' }).then((r) => {
      order.push('response');
      return r;
    });
    await starting;
    expect((await response).errorCode).toBe(0);
    expect(order).toEqual(['started', 'response']);
  }, 30_000);
});
