/**
 * Cross-checks against the encoders/decoders of two real clients: @platformatic/kafka (flexible
 * versions) and kafkajs (classic versions). Requests they build must decode with our codecs and
 * re-encode byte-identically; responses we build must parse in their decoders.
 * The client internals are not exported, so they are imported by file path.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFetchRequest, encodeFetchRequest, encodeFetchResponse } from '../../../protocol/generated/fetch.js';
import { decodeMetadataRequest, encodeMetadataRequest, encodeMetadataResponse } from '../../../protocol/generated/metadata.js';
import { decodeProduceRequest, encodeProduceRequest, encodeProduceResponse } from '../../../protocol/generated/produce.js';
import { Reader } from '../../../protocol/wire/reader.js';
import { Writer } from '../../../protocol/wire/writer.js';

const require = createRequire(import.meta.url);
const platformaticDist = dirname(require.resolve('@platformatic/kafka'));
const kafkajsSrc = join(dirname(require.resolve('kafkajs')), 'src');
type Any = any;
const pk = async (path: string): Promise<Any> => import(pathToFileURL(join(platformaticDist, path)).href);

let PReader: Any;
let createRecordsBatch: Any;
let batch: Buffer;

beforeAll(async () => {
  PReader = (await pk('protocol/reader.js')).Reader;
  createRecordsBatch = (await pk('protocol/records.js')).createRecordsBatch;
  const dyn = createRecordsBatch([{ topic: 't', partition: 0, key: Buffer.from('k'), value: Buffer.from('value') }], {});
  batch = Buffer.from(dyn.buffer ?? dyn.slice());
});

function encoded(f: (w: Writer) => void): Buffer {
  const w = new Writer();
  f(w);
  return w.toBuffer();
}

describe('@platformatic/kafka (flexible versions)', () => {
  it('Produce v11 request decodes and re-encodes identically', async () => {
    const { createRequest } = await pk('apis/producer/produce-v11.js');
    const bytes: Buffer = createRequest(-1, 1000, [{ topic: 'topic-a', partition: 2, key: Buffer.from('k'), value: Buffer.from('v') }], {}).buffer;
    const req = decodeProduceRequest(new Reader(bytes), 11);
    expect(req.acks).toBe(-1);
    expect(req.timeoutMs).toBe(1000);
    expect(req.transactionalId).toBeNull();
    expect(req.topicData.map((t) => t.name)).toEqual(['topic-a']);
    const records = req.topicData[0].partitionData[0].records!;
    expect(req.topicData[0].partitionData[0].index).toBe(2);
    expect(records.readInt8(16)).toBe(2); // record batch magic
    expect(records.readInt32BE(8)).toBe(records.length - 12); // batch length
    expect(encoded((w) => encodeProduceRequest(w, 11, req))).toEqual(bytes);
  });

  it('Metadata v12 request decodes; our response parses', async () => {
    const { createRequest, parseResponse } = await pk('apis/metadata/metadata-v12.js');
    const bytes: Buffer = createRequest(['a', 'b'], true, false).buffer;
    const req = decodeMetadataRequest(new Reader(bytes), 12);
    expect(req.topics!.map((t) => t.name)).toEqual(['a', 'b']);
    expect(req.topics![0].topicId).toBe('AAAAAAAAAAAAAAAAAAAAAA');
    expect(req.allowAutoTopicCreation).toBe(true);
    expect(encoded((w) => encodeMetadataRequest(w, 12, req))).toEqual(bytes);

    const body = encoded((w) =>
      encodeMetadataResponse(w, 12, {
        throttleTimeMs: 0,
        brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
        clusterId: 'c1',
        controllerId: 1,
        topics: [{ errorCode: 0, name: 'a', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', isInternal: false, topicAuthorizedOperations: -2147483648,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] }],
      } as Any),
    );
    const res = parseResponse(1, 3, 12, PReader.from(body));
    expect(res.brokers).toEqual([{ nodeId: 1, host: 'localhost', port: 9092, rack: null }]);
    expect(res.clusterId).toBe('c1');
    expect(res.topics[0].name).toBe('a');
    expect(res.topics[0].partitions[0].isrNodes).toEqual([1]);
  });

  it('Produce v11 response parses', async () => {
    const { parseResponse } = await pk('apis/producer/produce-v11.js');
    const body = encoded((w) =>
      encodeProduceResponse(w, 11, {
        responses: [{ name: 'topic-a', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 41, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null }] }],
        throttleTimeMs: 0,
      }),
    );
    const res = parseResponse(1, 0, 11, PReader.from(body));
    expect(res.responses[0].name).toBe('topic-a');
    expect(res.responses[0].partitionResponses[0].baseOffset).toBe(41n);
  });

  it('Fetch v17 request decodes; our response with a real batch parses', async () => {
    const { createRequest, parseResponse } = await pk('apis/consumer/fetch-v17.js');
    const topicId = Buffer.alloc(16, 3).toString('base64url');
    const bytes: Buffer = createRequest(500, 1, 1048576, 0, 0, -1,
      [{ topicId: 'a6a6a6a6-a6a6-a6a6-a6a6-a6a6a6a6a6a6', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 7n, lastFetchedEpoch: -1, partitionMaxBytes: 65536 }] }],
      [], '').buffer;
    const req = decodeFetchRequest(new Reader(bytes), 17);
    expect(req.maxWaitMs).toBe(500);
    expect(req.topics[0].topicId).toBe(Buffer.alloc(16, 0xa6).toString('base64url'));
    expect(req.topics[0].partitions[0].fetchOffset).toBe(7);
    expect(req.topics[0].partitions[0].partitionMaxBytes).toBe(65536);
    expect(encoded((w) => encodeFetchRequest(w, 17, req))).toEqual(bytes);

    const body = encoded((w) =>
      encodeFetchResponse(w, 17, {
        throttleTimeMs: 0, errorCode: 0, sessionId: 0,
        responses: [{ topic: '', topicId, partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 1, lastStableOffset: 1, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records: batch }] }],
      } as Any),
    );
    const res = parseResponse(1, 1, 17, PReader.from(body));
    const p = res.responses[0].partitions[0];
    expect(p.highWatermark).toBe(1n);
    expect(p.records[0].records[0].value.toString()).toBe('value');
  });
});

describe('kafkajs (classic versions)', () => {
  it('Metadata v5 and Fetch v11 requests decode and re-encode identically', async () => {
    const metadata = require(join(kafkajsSrc, 'protocol/requests/metadata/v5/request.js'));
    const mBytes: Buffer = (await metadata({ topics: ['x', 'y'], allowAutoTopicCreation: false }).encode()).buffer;
    const m = decodeMetadataRequest(new Reader(mBytes), 5);
    expect(m.topics!.map((t) => t.name)).toEqual(['x', 'y']);
    expect(m.allowAutoTopicCreation).toBe(false);
    expect(encoded((w) => encodeMetadataRequest(w, 5, m))).toEqual(mBytes);

    const fetch = require(join(kafkajsSrc, 'protocol/requests/fetch/v11/request.js'));
    const fBytes: Buffer = (await fetch({ replicaId: -1, maxWaitTime: 100, minBytes: 1, maxBytes: 1000, rackId: 'r1',
      topics: [{ topic: 'x', partitions: [{ partition: 3, fetchOffset: '12', maxBytes: 500 }] }] }).encode()).buffer;
    const f = decodeFetchRequest(new Reader(fBytes), 11);
    expect(f.replicaId).toBe(-1);
    expect(f.isolationLevel).toBe(1);
    expect(f.rackId).toBe('r1');
    expect(f.topics[0].topic).toBe('x');
    expect(f.topics[0].partitions[0]).toMatchObject({ partition: 3, fetchOffset: 12, partitionMaxBytes: 500, currentLeaderEpoch: -1 });
    expect(encoded((w) => encodeFetchRequest(w, 11, f))).toEqual(fBytes);
  });

  it('parses our Fetch v11 response with a real record batch', async () => {
    const { decode, parse } = require(join(kafkajsSrc, 'protocol/requests/fetch/v11/response.js'));
    const body = encoded((w) =>
      encodeFetchResponse(w, 11, {
        throttleTimeMs: 0, errorCode: 0, sessionId: 9,
        responses: [{ topic: 'x', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partitionIndex: 3, errorCode: 0, highWatermark: 5, lastStableOffset: 5, logStartOffset: 0, abortedTransactions: [], preferredReadReplica: -1, records: batch }] }],
      } as Any),
    );
    const res = await parse(await decode(body));
    expect(res.sessionId).toBe(9);
    const p = res.responses[0].partitions[0];
    expect(p.highWatermark).toBe('5');
    expect(p.messages[0].value.toString()).toBe('value');
  });
});
