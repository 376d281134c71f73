// Issue 10, defect 6: with a full log dir, producers timed out instead of getting
// KAFKA_STORAGE_ERROR, the records acknowledged before could no longer be read, and the broker
// refused to start until space was freed. Now a full dir is read-only: produce answers
// KAFKA_STORAGE_ERROR (56) at once, fetch serves every acknowledged record, start-up on a full
// disk works (read-only, with a clear log line) and writes resume once space is back.
//
// A real small filesystem: a tmpfs mounted for the test (CI runs as root). Without one the test
// fails loudly; it never skips. The broker runs as a process; kafkajs produces, kcat consumes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { kafkajs } from '../helpers/clients.js';

const TOPIC = 'full-disk';
const RECORD_BYTES = 1024;
const BATCH = 20;
let mount = '';
let mounted = false;
let broker: SpawnedBroker | null = null;

beforeAll(async () => {
  mount = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mount], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    throw new Error(`this test needs a small real filesystem: 'mount -t tmpfs' failed (run as root): ${(e as Error).message}`);
  }
  execFileSync('kcat', ['-V'], { stdio: 'pipe' }); // fails loudly without kcat (apt-get install kcat)
});

afterAll(async () => {
  await broker?.stop('SIGKILL').catch(() => {});
  if (mounted) execFileSync('umount', ['-l', mount]);
  await fs.rm(mount, { recursive: true, force: true });
});

const value = (i: number) => `record-${String(i).padStart(8, '0')}-`.padEnd(RECORD_BYTES, 'x');

function client(b: SpawnedBroker): Kafka {
  return kafkajs(b.bootstrap, { clientId: 'disk-full', retry: { retries: 0 } });
}

/** The Kafka error code in a kafkajs error chain, if any. */
function errorCode(e: unknown): { code?: number; type?: string } {
  for (let c = e as Record<string, unknown> | undefined, i = 0; c && i < 5; c = (c.cause ?? c.originalError) as Record<string, unknown>, i++) {
    if (typeof c.code === 'number' || typeof c.type === 'string') return { code: c.code as number, type: c.type as string };
  }
  return {};
}

async function send(p: Producer, from: number): Promise<{ ok: true; baseOffset: number } | { ok: false; ms: number; code?: number; type?: string }> {
  const t0 = Date.now();
  try {
    const [r] = await p.send({ topic: TOPIC, acks: -1, timeout: 30_000, messages: Array.from({ length: BATCH }, (_, j) => ({ value: value(from + j) })) });
    return { ok: true, baseOffset: Number(r!.baseOffset) };
  } catch (e) {
    return { ok: false, ms: Date.now() - t0, ...errorCode(e) };
  }
}

/** Every record of the partition as "offset value" via kcat (a simple consumer: no group writes). */
function consumeAll(b: SpawnedBroker): Map<number, string> {
  const out = execFileSync('kcat', ['-C', '-b', b.bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %s\\n'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30_000,
  });
  const m = new Map<number, string>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const sp = line.indexOf(' ');
    m.set(Number(line.slice(0, sp)), line.slice(sp + 1));
  }
  return m;
}

/** Every .log file of the partition holds whole batches only (no torn tail of a failed write). */
async function expectWholeBatches(dataDir: string): Promise<void> {
  const dir = path.join(dataDir, `${TOPIC}-0`);
  const logs = (await fs.readdir(dir)).filter((n) => n.endsWith('.log'));
  expect(logs.length).toBeGreaterThan(0);
  for (const n of logs) {
    const buf = await fs.readFile(path.join(dir, n));
    let pos = 0;
    while (pos + 12 <= buf.length) pos += 12 + buf.readInt32BE(pos + 8);
    expect(pos, `${n}: ${buf.length} bytes`).toBe(buf.length);
  }
}

describe('a full log dir', () => {
  it('answers KAFKA_STORAGE_ERROR at once, keeps acknowledged data readable, restarts read-only and resumes when space returns', async () => {
    const dataDir = path.join(mount, 'data');
    const fillers = [path.join(mount, 'filler-1'), path.join(mount, 'filler-2')];
    for (const f of fillers) await fs.writeFile(f, Buffer.alloc(1024 * 1024, 1)); // freed later, one at a time
    broker = await spawnBroker({
      dataDir,
      overrides: { 'num.partitions': '1', 'log.segment.bytes': String(512 * 1024), 'offsets.topic.num.partitions': '1' },
    });
    let producer = client(broker).producer({ allowAutoTopicCreation: true });
    await producer.connect();

    const acked = new Map<number, string>(); // offset -> value
    let next = 0;
    /** Produces until the disk is full; every refusal must be KAFKA_STORAGE_ERROR and prompt. */
    const fill = async () => {
      const before = acked.size;
      let failure: { ms: number; code?: number; type?: string } | null = null;
      for (let i = 0; i < 1000 && !failure; i++) {
        const r = await send(producer, next);
        if (r.ok) for (let j = 0; j < BATCH; j++) acked.set(r.baseOffset + j, value(next + j));
        else failure = r;
        next += BATCH;
      }
      expect(failure, 'the disk never filled').not.toBeNull();
      expect(acked.size - before).toBeGreaterThan(200);
      expect(failure!.code, JSON.stringify(failure)).toBe(56);
      expect(failure!.ms).toBeLessThan(5000);
      for (let i = 0; i < 5; i++) {
        const r = await send(producer, next);
        next += BATCH;
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.code).toBe(56);
          expect(r.ms).toBeLessThan(2000);
        }
      }
    };
    /** Every acknowledged record reads back, with its content, at its offset; nothing else. */
    const check = (read: Map<number, string>) => {
      expect(read.size).toBe(acked.size);
      for (const [off, v] of acked) if (read.get(off) !== v) expect.fail(`offset ${off}: ${read.get(off)?.slice(0, 30)} != ${v.slice(0, 30)}`);
    };
    /** Frees a filler file and waits until a produce succeeds again (the probe runs every second). */
    const freeAndResume = async (filler: string) => {
      await fs.rm(filler);
      let r: Awaited<ReturnType<typeof send>> | null = null;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
        r = await send(producer, next);
        if (r.ok) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(r?.ok, JSON.stringify(r)).toBe(true);
      if (r?.ok) {
        // The log continues right after the last acknowledged record: nothing of the refused
        // writes (nor a torn tail) stayed behind.
        expect(r.baseOffset).toBe(acked.size);
        for (let j = 0; j < BATCH; j++) acked.set(r.baseOffset + j, value(next + j));
      }
      next += BATCH;
      expect(broker!.logs()).toContain('writes resumed');
    };

    await fill();
    check(consumeAll(broker));
    expect(broker.logs()).toContain('log dir full');
    await expectWholeBatches(dataDir);

    // Space comes back while the broker runs: writes resume, and the log reads cleanly across
    // the point where the disk was full.
    await freeAndResume(fillers[0]!);
    await fill();
    check(consumeAll(broker));
    await producer.disconnect();

    // Restart on the full disk (clean stop): it starts read-only, says so, and serves the data.
    broker = await broker.restart();
    expect(broker.logs()).toMatch(/log dir full: its partitions are read-only/);
    check(consumeAll(broker));
    producer = client(broker).producer();
    await producer.connect();
    const refused = await send(producer, next);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.code).toBe(56);
    await producer.disconnect();

    // A crash on the full disk too: recovery must not need space.
    broker = await broker.restart({ signal: 'SIGKILL' });
    check(consumeAll(broker));

    producer = client(broker).producer();
    await producer.connect();
    await freeAndResume(fillers[1]!);
    await producer.disconnect();
    check(consumeAll(broker));
  }, 120_000);
});
