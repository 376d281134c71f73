// librdkafka before 2.2 (Debian bookworm ships 2.0.2: kcat, confluent-kafka-python) skips one byte
// too few for every tagged field it does not know (fixed upstream in confluentinc/librdkafka#4278),
// so any tagged field in the ApiVersions v3 response desyncs its parser ("Read underflow ...
// probably due to broker version < 0.10") and the client never connects. Kafka's generated
// encoders only write a tagged field whose value differs from its default, so a single broker
// answers ApiVersions v3 with an empty tagged-field section. This pins that at the byte level.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';

let broker: SpawnedBroker;

beforeAll(async () => {
  broker = await spawnBroker();
});

afterAll(async () => {
  await broker?.cleanup();
});

/** Sends one raw request frame and returns the response body after the correlation id. */
function roundTrip(port: number, frame: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(frame));
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        s.end();
        resolve(buf.subarray(8, 4 + buf.readInt32BE(0)));
      }
    });
    s.on('error', reject);
    setTimeout(() => reject(new Error('no response within 5 s')), 5000).unref();
  });
}

function readUvarint(b: Buffer, pos: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const x = b[pos++]!;
    v |= (x & 0x7f) << shift;
    if ((x & 0x80) === 0) return [v >>> 0, pos];
    shift += 7;
  }
}

describe('ApiVersions v3 response (librdkafka 2.0.2 compatibility)', () => {
  it('carries no tagged fields, exactly as librdkafka sends the request', async () => {
    // Request header v2: api_key 18, version 3, correlation id, client_id (int16 string), no tags;
    // body: ClientSoftwareName / ClientSoftwareVersion (compact strings), no tags.
    const clientId = Buffer.from('rdkafka');
    const body = Buffer.concat([
      Buffer.from([0, 18, 0, 3, 0, 0, 0, 1, 0, clientId.length]),
      clientId,
      Buffer.from([0, clientId.length + 1]),
      clientId,
      Buffer.from([6]),
      Buffer.from('2.0.2'),
      Buffer.from([0]),
    ]);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    const res = await roundTrip(broker.port, Buffer.concat([size, body]));

    // error_code int16, api_keys compact array of (key, min, max, tags), throttle_time_ms, tags.
    expect(res.readInt16BE(0), 'error_code').toBe(0);
    const [n, first] = readUvarint(res, 2);
    let pos = first;
    for (let i = 0; i < n - 1; i++) {
      pos += 6;
      const [tags, next] = readUvarint(res, pos);
      expect(tags, `tagged fields after api key #${i}`).toBe(0);
      pos = next;
    }
    pos += 4; // throttle_time_ms
    const [tagCount, end] = readUvarint(res, pos);
    const tagBytes = res.subarray(pos).toString('hex');
    expect(tagCount, `top-level tagged fields present (bytes ${tagBytes}); librdkafka < 2.2 cannot skip them`).toBe(0);
    expect(end).toBe(res.length);
  });
});
