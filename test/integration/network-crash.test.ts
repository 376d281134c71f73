// Hostile framing against the broker as a real process: a zero size prefix (`00 00 00 00`) used
// to throw a TypeError out of FrameDecoder.consume that escaped the socket handler and exited the
// process. Each bad stream must close only its own connection, be logged once, and leave the
// broker serving a real client (kafkajs) afterwards.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { kafkajs } from '../helpers/clients.js';

let broker: SpawnedBroker;

beforeAll(async () => {
  broker = await spawnBroker({ overrides: { 'socket.request.max.bytes': '1048576' } });
});
afterAll(async () => {
  await broker?.cleanup();
});

/** Writes `chunks` (one write each, a macrotask apart so they reach the broker as separate reads) and waits for the broker to close. */
async function sendAndAwaitClose(chunks: Buffer[]): Promise<void> {
  const s = net.connect(broker.port, '127.0.0.1');
  s.on('error', () => {});
  s.resume(); // read (and drop) whatever the broker answers, so its close is seen
  let connected = false;
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  await Promise.race([new Promise<void>((resolve) => s.once('connect', () => resolve((connected = true) && undefined))), closed]);
  if (!connected) throw new Error(`could not connect to the broker (exit status ${JSON.stringify(broker.exitStatus())})`);
  for (const c of chunks) {
    s.write(c);
    await new Promise((r) => setTimeout(r, 5));
  }
  await closed;
}

function prefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size, 0);
  return b;
}

describe('a spawned broker survives hostile frame sizes', () => {
  it('closes a connection sending a zero-size frame and keeps running', async () => {
    await sendAndAwaitClose([Buffer.from([0, 0, 0, 0])]);
    const c = await RawClient.connect(broker.port);
    expect((await c.send(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })).errorCode).toBe(0);
    c.close();
    expect(broker.exitStatus()).toBeNull();
  });

  const hostile: [string, Buffer[]][] = [
    ['zero size split byte by byte', [0, 0, 0, 0].map((b) => Buffer.from([b]))],
    ['zero size after a valid ApiVersions frame', []],
    ['sizes 1, 2 and 3 with their bytes', []],
    ['a negative size', [prefix(-1)]],
    ['the largest int32 size', [prefix(0x7fffffff)]],
  ];
  for (const [name, given] of hostile) {
    it(`closes a connection sending ${name}`, async () => {
      let chunks = given;
      if (name.startsWith('zero size after')) {
        const c = await RawClient.connect(broker.port);
        const { frame } = c.encode(18, 0, {});
        c.close();
        chunks = [Buffer.concat([frame, prefix(0)])];
      }
      if (name.startsWith('sizes 1')) {
        for (const size of [1, 2, 3]) await sendAndAwaitClose([Buffer.concat([prefix(size), Buffer.alloc(size)])]);
        return;
      }
      await sendAndAwaitClose(chunks);
    });
  }

  it('still serves a real client, and logged each bad connection once', async () => {
    const kafka = kafkajs(broker.bootstrap, { clientId: 'crash-survivor', retry: { retries: 2 } });
    const producer = kafka.producer();
    await producer.connect();
    const [result] = await producer.send({ topic: 'after-crash', messages: [{ value: 'still here' }] });
    expect(result?.errorCode).toBe(0);
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('after-crash');
    expect(offsets[0]?.high).toBe('1');
    await admin.disconnect();
    expect(broker.exitStatus()).toBeNull();
    const invalid = broker.logs().split('\n').filter((l) => l.includes('invalid frame size'));
    // One line per hostile connection: zero (x3 incl. the split and the trailing one), 1, 2, 3, negative, max.
    expect(invalid).toHaveLength(8);
    expect(broker.logs()).not.toContain('TypeError');
  });
});
