// The network layer with raw sockets: KIP-511 fallback, protocol violations closing only the
// offending connection, strict response ordering under pipelining, idle timeout, backpressure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { API_CODECS } from '../../protocol/generated/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;

/** [apiKey, minVersion, maxVersion] as advertised by ApiVersions (README "Supported APIs"). */
const ADVERTISED = [
  [0, 0, 13], [1, 0, 18], [2, 0, 11], [3, 0, 13], [8, 0, 10], [9, 0, 10], [10, 0, 6], [11, 0, 9], [12, 0, 4],
  [13, 0, 5], [14, 0, 5], [15, 0, 6], [16, 0, 5], [17, 0, 1], [18, 0, 5], [19, 0, 7], [20, 0, 6], [21, 0, 2], [22, 0, 5],
  [23, 0, 4], [24, 0, 5], [25, 0, 4], [26, 0, 5], [27, 0, 1], [28, 0, 6], [29, 1, 3], [30, 1, 3], [31, 1, 3], [32, 0, 4], [33, 0, 2], [35, 0, 4],
  [36, 0, 2], [37, 0, 3], [38, 1, 3], [39, 1, 2], [40, 1, 2], [41, 1, 3], [42, 0, 3], [43, 0, 2], [44, 0, 1], [45, 0, 1], [46, 0, 0], [47, 0, 0], [48, 0, 1], [49, 0, 1], [50, 0, 0], [51, 0, 0], [60, 0, 2], [61, 0, 0],
  [65, 0, 0], [66, 0, 2], [68, 0, 1], [69, 0, 1], [75, 0, 0],
  [76, 1, 1], [77, 1, 1], [78, 1, 2], [79, 1, 2], [90, 0, 1], [91, 0, 0], [92, 0, 0], // share groups (KIP-932)
];

beforeAll(async () => {
  tb = await startTestBroker({
    'connections.max.idle.ms': '1500',
    'tributary.max.inflight.requests.per.connection': '3',
    'socket.request.max.bytes': '1048576',
  });
});
afterAll(async () => {
  await tb?.cleanup();
});

async function stillServes(): Promise<void> {
  const c = await RawClient.connect(tb.port);
  const r = await c.send(18, 0, {});
  expect(r.errorCode).toBe(0);
  c.close();
}

describe('ApiVersions', () => {
  for (const v of [0, 1, 2, 3, 4, 5]) {
    it(`answers v${v} with the advertised ranges`, async () => {
      const c = await RawClient.connect(tb.port);
      const r = await c.send(18, v, { clientSoftwareName: 'raw', clientSoftwareVersion: '1.0' });
      expect(r.errorCode).toBe(0);
      const byKey = new Map<number, any>(r.apiKeys.map((k: any) => [k.apiKey, k]));
      expect(byKey.get(0)).toMatchObject({ minVersion: 0, maxVersion: 13 });
      expect(byKey.get(1)).toMatchObject({ minVersion: 0, maxVersion: 18 });
      expect(byKey.get(10)).toMatchObject({ minVersion: 0 });
      c.close();
    });
  }

  it('finalizes transaction.version 2 in v4+ answers only (librdkafka 2.0.2 misparses tagged fields in v3)', async () => {
    const c = await RawClient.connect(tb.port);
    for (const v of [0, 1, 2, 3]) {
      const r = await c.send(18, v, { clientSoftwareName: 'raw', clientSoftwareVersion: '1.0' });
      expect(r.errorCode).toBe(0);
      expect(r.finalizedFeatures, `v${v}`).toBeUndefined();
      expect(r.supportedFeatures, `v${v}`).toBeUndefined();
    }
    for (const v of [4, 5]) {
      const r = await c.send(18, v, { clientSoftwareName: 'raw', clientSoftwareVersion: '1.0' });
      expect(r.supportedFeatures).toEqual([{ name: 'transaction.version', minVersion: 0, maxVersion: 2 }]);
      expect(r.finalizedFeatures).toEqual([{ name: 'transaction.version', minVersionLevel: 2, maxVersionLevel: 2 }]);
      expect(r.finalizedFeaturesEpoch).toBeGreaterThanOrEqual(0);
    }
    c.close();
  });

  it('advertises exactly the implemented ranges, each within what the codecs decode', async () => {
    // Regenerating the codecs from newer Kafka specs widens API_CODECS; what is advertised must
    // change only when a handler implements a new version (and this table is updated with it).
    const c = await RawClient.connect(tb.port);
    const r = await c.send(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1.0' });
    c.close();
    const advertised = r.apiKeys.map((k: any) => [k.apiKey, k.minVersion, k.maxVersion]);
    expect(advertised).toEqual(ADVERTISED);
    for (const [apiKey, min, max] of advertised) {
      const codec = API_CODECS.get(apiKey)!;
      expect(min, `api ${apiKey}`).toBeGreaterThanOrEqual(codec.minVersion);
      expect(max, `api ${apiKey}`).toBeLessThanOrEqual(codec.maxVersion);
    }
  });

  it('answers a too-new version with v0 UNSUPPORTED_VERSION and the supported list (KIP-511)', async () => {
    const c = await RawClient.connect(tb.port);
    // Encode as v3 (the body the client would send) but claim v99 in the header.
    const { frame, correlationId } = c.encode(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    frame.writeInt16BE(99, 6);
    const p = c.expect(correlationId, 18, 0);
    c.writeRaw(frame);
    const r = await p;
    expect(r.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(r.apiKeys.find((k: any) => k.apiKey === 18)).toMatchObject({ minVersion: 0, maxVersion: 5 });
    c.close();
  });

  describe('v5 cluster and node check (KIP-1242)', () => {
    const send = async (clusterId: string | null, nodeId: number) => {
      const c = await RawClient.connect(tb.port);
      const r = await c.send(18, 5, { clientSoftwareName: 'raw', clientSoftwareVersion: '1.0', clusterId, nodeId });
      c.close();
      return r;
    };

    it('answers a client that names this broker of this cluster, or names neither', async () => {
      const named = await send(tb.broker.clusterId, tb.broker.nodeId);
      expect(named.errorCode).toBe(ErrorCode.NONE);
      expect(named.apiKeys.find((k: any) => k.apiKey === 18)).toMatchObject({ maxVersion: 5 });
      const seed = await send(null, -1);
      expect(seed.errorCode).toBe(ErrorCode.NONE);
      expect(seed.apiKeys.length).toBe(ADVERTISED.length);
    });

    it('answers REBOOTSTRAP_REQUIRED, with no api keys, when the address reached another cluster or node', async () => {
      expect(tb.broker.clusterId).not.toBe('');
      const otherCluster = await send('some-other-cluster-id', tb.broker.nodeId);
      expect(otherCluster).toMatchObject({ errorCode: ErrorCode.REBOOTSTRAP_REQUIRED, apiKeys: [] });
      const otherNode = await send(tb.broker.clusterId, tb.broker.nodeId + 1);
      expect(otherNode).toMatchObject({ errorCode: ErrorCode.REBOOTSTRAP_REQUIRED, apiKeys: [] });
      await stillServes();
    });

    it('answers INVALID_REQUEST when only one of cluster id and node id is given', async () => {
      expect(await send(null, tb.broker.nodeId)).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [] });
      expect(await send(tb.broker.clusterId, -1)).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [] });
    });

    it('ignores the fields before v5', async () => {
      const c = await RawClient.connect(tb.port);
      // v4 has no such fields on the wire: whatever the object holds, they are not sent.
      const r = await c.send(18, 4, { clientSoftwareName: 'raw', clientSoftwareVersion: '1.0', clusterId: 'x', nodeId: 99 });
      c.close();
      expect(r.errorCode).toBe(ErrorCode.NONE);
    });
  });

  it('rejects an invalid client software name with INVALID_REQUEST', async () => {
    const c = await RawClient.connect(tb.port);
    const r = await c.send(18, 3, { clientSoftwareName: '-bad name-', clientSoftwareVersion: '1' });
    expect(r.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    c.close();
  });
});

describe('protocol violations close only that connection', () => {
  const cases: [string, (c: RawClient) => void][] = [
    ['an unknown API key', (c) => {
      const { frame } = c.encode(18, 0, {});
      frame.writeInt16BE(9999, 4);
      c.writeRaw(frame);
    }],
    ['an unsupported Produce version', (c) => {
      const { frame } = c.encode(18, 0, {});
      frame.writeInt16BE(0, 4);
      frame.writeInt16BE(99, 6);
      c.writeRaw(frame);
    }],
    ['a frame larger than socket.request.max.bytes', (c) => {
      const b = Buffer.alloc(8);
      b.writeInt32BE(0x7fffffff, 0);
      c.writeRaw(b);
    }],
    ['a negative frame size', (c) => {
      const b = Buffer.alloc(8);
      b.writeInt32BE(-5, 0);
      c.writeRaw(b);
    }],
    ['a truncated Metadata body', (c) => {
      const b = Buffer.alloc(4 + 10);
      b.writeInt32BE(10, 0);
      b.writeInt16BE(3, 4); // Metadata
      b.writeInt16BE(1, 6);
      b.writeInt32BE(7, 8);
      b.writeInt16BE(50, 12); // client id length 50, but no bytes follow
      c.writeRaw(b);
    }],
    ['an array count far beyond the frame', (c) => {
      const { frame } = c.encode(3, 1, { topics: [] });
      frame.writeInt32BE(0x7ffffff0, frame.length - 4);
      c.writeRaw(frame);
    }],
  ];
  for (const [name, send] of cases) {
    it(name, async () => {
      const bystander = await RawClient.connect(tb.port);
      const c = await RawClient.connect(tb.port);
      send(c);
      await c.closedPromise;
      expect(c.closed).toBe(true);
      expect(bystander.closed).toBe(false);
      expect((await bystander.send(3, 1, { topics: [] })).brokers).toHaveLength(1);
      bystander.close();
      await stillServes();
    });
  }
});

describe('ordering and flow control', () => {
  it('answers pipelined requests strictly in order, mixing slow and fast handlers', async () => {
    const c = await RawClient.connect(tb.port);
    await c.send(3, 9, { topics: [{ name: 'net-order', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: true });
    const md = await c.send(3, 12, { topics: [{ name: 'net-order', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }] });
    const topicId = md.topics[0].topicId;
    const expected: number[] = [];
    const promises: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      let e;
      if (i % 3 === 0) {
        // A long-poll fetch that waits its full max.wait (nothing gets produced).
        e = c.encode(1, 13, {
          maxWaitMs: 150, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
          forgottenTopicsData: [], rackId: '',
        });
        promises.push(c.expect(e.correlationId, 1, 13));
      } else {
        e = c.encode(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
        promises.push(c.expect(e.correlationId, 18, 3));
      }
      expected.push(e.correlationId);
      c.writeRaw(e.frame);
    }
    await Promise.all(promises);
    expect(c.arrivalOrder.slice(-30)).toEqual(expected);
    c.close();
  });

  it('closes connections idle longer than connections.max.idle.ms', async () => {
    const c = await RawClient.connect(tb.port);
    await c.send(18, 0, {});
    await c.closedPromise;
    expect(c.closed).toBe(true);
  });
});
