/**
 * Hand-written frames from the Kafka protocol guide. Round trips alone cannot catch a bug
 * that the encoder and decoder share; these bytes were written out by hand, not by our code.
 */
import { describe, expect, it } from 'vitest';
import { decodeApiVersionsRequest, decodeApiVersionsResponse, encodeApiVersionsRequest, encodeApiVersionsResponse } from '../../../protocol/generated/api-versions.js';
import { decodeConsumerProtocolAssignment, encodeConsumerProtocolAssignment } from '../../../protocol/generated/consumer-protocol-assignment.js';
import { decodeDescribeTopicPartitionsRequest, encodeDescribeTopicPartitionsRequest } from '../../../protocol/generated/describe-topic-partitions.js';
import { ApiKeys, requestHeaderVersion, responseHeaderVersion } from '../../../protocol/generated/index.js';
import { decodeMetadataRequest, decodeMetadataResponse, encodeMetadataRequest, encodeMetadataResponse } from '../../../protocol/generated/metadata.js';
import { decodeProduceRequest, decodeProduceResponse, encodeProduceRequest, encodeProduceResponse } from '../../../protocol/generated/produce.js';
import { decodeEndTxnResponse, encodeEndTxnResponse } from '../../../protocol/generated/end-txn.js';
import { decodeTxnOffsetCommitResponse, encodeTxnOffsetCommitResponse } from '../../../protocol/generated/txn-offset-commit.js';
import { decodeOffsetCommitRequest, encodeOffsetCommitRequest } from '../../../protocol/generated/offset-commit.js';
import { decodeDescribeGroupsResponse, encodeDescribeGroupsResponse } from '../../../protocol/generated/describe-groups.js';
import { decodeRequestHeader, encodeRequestHeader, type RequestHeader } from '../../../protocol/generated/request-header.js';
import { decodeResponseHeader } from '../../../protocol/generated/response-header.js';
import { Reader } from '../../../protocol/wire/reader.js';
import { Writer } from '../../../protocol/wire/writer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

/** A request frame the way the network layer builds one: size placeholder, header, body, patch. */
function frame(header: RequestHeader, body: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.writeInt32(0);
  encodeRequestHeader(w, requestHeaderVersion(header.requestApiKey, header.requestApiVersion), header);
  body(w);
  w.setInt32At(0, w.length - 4);
  return w.toBuffer();
}

/** Decodes a request frame; returns header, body, and asserts every byte was consumed. */
function parse<T>(bytes: Buffer, decode: (r: Reader, v: number) => T): { header: RequestHeader; body: T } {
  const r = new Reader(bytes);
  expect(r.readInt32()).toBe(bytes.length - 4);
  const apiKey = bytes.readInt16BE(4);
  const apiVersion = bytes.readInt16BE(6);
  const header = decodeRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
  const body = decode(r, apiVersion);
  expect(r.remaining()).toBe(0);
  return { header, body };
}

describe('golden request frames', () => {
  it('ApiVersions v0 request (header v1, empty body)', () => {
    const bytes = hex('0000000e | 0012 0000 00000001 | 0004 74657374');
    const header = { requestApiKey: 18, requestApiVersion: 0, correlationId: 1, clientId: 'test' };
    expect(frame(header, (w) => encodeApiVersionsRequest(w, 0, {} as never))).toEqual(bytes);
    const { header: h, body } = parse(bytes, decodeApiVersionsRequest);
    expect(h).toEqual(header);
    expect(body).toEqual({ clientSoftwareName: '', clientSoftwareVersion: '', clusterId: null, nodeId: -1 });
  });

  it('ApiVersions v3 request (header v2: int16 client id, then tagged fields; compact body)', () => {
    const bytes = hex('00000016 | 0012 0003 00000002 0001 63 00 | 05 6b636174 04 312e37 00');
    const header = { requestApiKey: 18, requestApiVersion: 3, correlationId: 2, clientId: 'c' };
    const msg = { clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7', clusterId: null, nodeId: -1 };
    expect(frame(header, (w) => encodeApiVersionsRequest(w, 3, msg))).toEqual(bytes);
    expect(parse(bytes, decodeApiVersionsRequest)).toEqual({ header, body: msg });
  });

  it('ApiVersions v5 request: nullable compact cluster id and int32 node id after the v3 fields (KIP-1242)', () => {
    const bytes = hex('0000001d | 0012 0005 00000003 0001 63 00 | 05 6b636174 04 312e37 | 03 6162 | 00000001 | 00');
    const header = { requestApiKey: 18, requestApiVersion: 5, correlationId: 3, clientId: 'c' };
    const msg = { clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7', clusterId: 'ab', nodeId: 1 };
    expect(frame(header, (w) => encodeApiVersionsRequest(w, 5, msg))).toEqual(bytes);
    expect(parse(bytes, decodeApiVersionsRequest)).toEqual({ header, body: msg });
    // A seed connection names neither: null cluster id (length 0) and node id -1.
    const seed = hex('0000001b | 0012 0005 00000003 0001 63 00 | 05 6b636174 04 312e37 | 00 | ffffffff | 00');
    expect(parse(seed, decodeApiVersionsRequest).body).toEqual({ ...msg, clusterId: null, nodeId: -1 });
  });

  it('Metadata v1 request with one topic, and with null topics (all topics)', () => {
    const bytes = hex('00000013 | 0003 0001 00000005 ffff | 00000001 0003 666f6f');
    const header = { requestApiKey: 3, requestApiVersion: 1, correlationId: 5, clientId: null };
    const msg = { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'foo' }], allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
    expect(frame(header, (w) => encodeMetadataRequest(w, 1, msg))).toEqual(bytes);
    expect(parse(bytes, decodeMetadataRequest)).toEqual({ header, body: msg });

    const all = hex('0000000e | 0003 0001 00000005 ffff | ffffffff');
    expect(frame(header, (w) => encodeMetadataRequest(w, 1, { ...msg, topics: null }))).toEqual(all);
    expect(parse(all, decodeMetadataRequest).body.topics).toBeNull();
  });

  it('Produce v9 request (flexible: compact arrays/strings, tagged-field bytes at every level)', () => {
    const bytes = hex(
      '00000022 | 0000 0009 00000007 0001 63 00 |' + // header v2
        '00 ffff 000003e8 |' + // transactional id null, acks -1, timeout 1000
        '02 02 74 | 02 00000000 04 aabbcc 00 | 00 | 00', // 1 topic "t", 1 partition, records, tags
    );
    const header = { requestApiKey: 0, requestApiVersion: 9, correlationId: 7, clientId: 'c' };
    const records = hex('aabbcc');
    const msg = { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionData: [{ index: 0, records }] }] };
    expect(frame(header, (w) => encodeProduceRequest(w, 9, msg))).toEqual(bytes);
    const { body } = parse(bytes, decodeProduceRequest);
    expect(body).toEqual(msg);
    // Records come back as a view into the frame, not a copy.
    expect(body.topicData[0].partitionData[0].records!.buffer).toBe(bytes.buffer);
  });

  it('OffsetCommit v10 request: a 16-byte topic id where v9 had the name (KIP-848)', () => {
    const id = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const body = hex(
      '02 67 | 00000005 | 02 6d | 00 |' + // group "g", member epoch 5, member "m", no instance id
        '02 000102030405060708090a0b0c0d0e0f |' + // one topic, by id
        '02 00000000 000000000000002a ffffffff 00 00 | 00 | 00', // partition 0 at 42, epoch -1, null metadata; tags
    );
    const msg = { groupId: 'g', generationIdOrMemberEpoch: 5, memberId: 'm', groupInstanceId: null,
      topics: [{ topicId: id.toString('base64url'), partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: null }] }] };
    const w = new Writer();
    encodeOffsetCommitRequest(w, 10, msg as never);
    expect(w.toBuffer()).toEqual(body);
    expect(decodeOffsetCommitRequest(new Reader(body), 10)).toMatchObject(msg);
  });

  it('Produce v13 request: a 16-byte topic id where v12 had the name (KIP-516)', () => {
    const id = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const body = hex(
      '00 | ffff | 00001388 |' + // null transactional id, acks -1, timeout 5000
        '02 000102030405060708090a0b0c0d0e0f |' + // one topic, by id
        '02 00000001 02 aa 00 | 00 | 00', // partition 1, records (1 byte); tags
    );
    const msg = { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ topicId: id.toString('base64url'), partitionData: [{ index: 1, records: Buffer.from([0xaa]) }] }] };
    const w = new Writer();
    encodeProduceRequest(w, 13, msg as never);
    expect(w.toBuffer()).toEqual(body);
    expect(decodeProduceRequest(new Reader(body), 13)).toMatchObject({ ...msg, topicData: [{ topicId: msg.topicData[0]!.topicId, partitionData: [{ index: 1 }] }] });
  });

  it('DescribeTopicPartitions v0 request: nullable struct uses an int8 presence marker', () => {
    const body = hex('02 02 61 00 | 000007d0 | 01 02 61 00000003 00 | 00');
    const msg = { topics: [{ name: 'a' }], responsePartitionLimit: 2000, cursor: { topicName: 'a', partitionIndex: 3 } };
    const w = new Writer();
    encodeDescribeTopicPartitionsRequest(w, 0, msg);
    expect(w.toBuffer()).toEqual(body);
    expect(decodeDescribeTopicPartitionsRequest(new Reader(body), 0)).toEqual(msg);
    const nul = hex('02 02 61 00 | 000007d0 | ff | 00');
    expect(decodeDescribeTopicPartitionsRequest(new Reader(nul), 0).cursor).toBeNull();
  });
});

describe('golden response frames', () => {
  it('ApiVersions v3 response: header v0, known tagged field decoded by name', () => {
    const body = hex('0000 | 02 0000 0000 000b 00 | 00000000 | 01 01 08 0000000000000005');
    const msg = { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }], throttleTimeMs: 0, finalizedFeaturesEpoch: 5 };
    const w = new Writer();
    encodeApiVersionsResponse(w, 3, msg);
    expect(w.toBuffer()).toEqual(body);
    expect(decodeApiVersionsResponse(new Reader(body), 3)).toEqual(msg);
    expect(responseHeaderVersion(ApiKeys.ApiVersions, 3)).toBe(0);
  });

  it('Metadata v13 response: top-level int16 error code after the topics (KIP-1102)', () => {
    // throttle 0, no brokers, cluster id "c", controller 1, no topics, REBOOTSTRAP_REQUIRED (129), no tags
    const body = hex('00000000 | 01 | 02 63 | 00000001 | 01 | 0081 | 00');
    const msg = { throttleTimeMs: 0, brokers: [], clusterId: 'c', controllerId: 1, topics: [], errorCode: 129 };
    const w = new Writer();
    encodeMetadataResponse(w, 13, msg as never);
    expect(w.toBuffer()).toEqual(body);
    expect(decodeMetadataResponse(new Reader(body), 13)).toMatchObject(msg);
    // v12 has no such field: the same message encodes two bytes shorter.
    const w12 = new Writer();
    encodeMetadataResponse(w12, 12, msg as never);
    expect(w12.toBuffer()).toEqual(hex('00000000 | 01 | 02 63 | 00000001 | 01 | 00'));
  });

  it('DescribeGroups v6 response: the error message follows the error code (KIP-1043)', () => {
    const body = hex('00000000 | 02 | 0045 | 02 78 | 02 67 | 05 44656164 | 01 | 01 | 01 | 80000000 | 00 | 00');
    const msg = { throttleTimeMs: 0, groups: [{ errorCode: 69, errorMessage: 'x', groupId: 'g', groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 }] };
    const w = new Writer();
    encodeDescribeGroupsResponse(w, 6, msg);
    expect(w.toBuffer()).toEqual(body);
    expect(decodeDescribeGroupsResponse(new Reader(body), 6)).toEqual(msg);
  });

  it('ApiVersions v4 response: supported and finalized transaction.version as tagged fields 0-2', () => {
    const name = '14 7472616e73616374696f6e2e76657273696f6e'; // compact string "transaction.version" (19 bytes)
    const body = hex(
      '0000 | 02 0000 0000 000d 00 | 00000000 | 03 |' + // no error, Produce 0-13, throttle 0, three tagged fields
        `00 1a 02 ${name} 0000 0002 00 |` + // tag 0 SupportedFeatures (26 bytes): min 0, max 2
        '01 08 0000000000000001 |' + // tag 1 FinalizedFeaturesEpoch 1
        `02 1a 02 ${name} 0002 0002 00`, // tag 2 FinalizedFeatures: max level 2, min level 2
    );
    const msg = {
      errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 13 }], throttleTimeMs: 0,
      supportedFeatures: [{ name: 'transaction.version', minVersion: 0, maxVersion: 2 }],
      finalizedFeaturesEpoch: 1,
      finalizedFeatures: [{ name: 'transaction.version', maxVersionLevel: 2, minVersionLevel: 2 }],
    };
    const w = new Writer();
    encodeApiVersionsResponse(w, 4, msg);
    expect(w.toBuffer()).toEqual(body);
    expect(decodeApiVersionsResponse(new Reader(body), 4)).toEqual(msg);
  });

  it('EndTxn v5 response: the next producer id and epoch follow the error code (KIP-890)', () => {
    const body = hex('00000000 | 0000 | 000000000000002a | 0008 | 00');
    const msg = { throttleTimeMs: 0, errorCode: 0, producerId: 42, producerEpoch: 8 };
    const w = new Writer();
    encodeEndTxnResponse(w, 5, msg);
    expect(w.toBuffer()).toEqual(body);
    expect(decodeEndTxnResponse(new Reader(body), 5)).toEqual(msg);
    const w4 = new Writer();
    encodeEndTxnResponse(w4, 4, msg);
    expect(w4.toBuffer()).toEqual(hex('00000000 | 0000 | 00')); // v4 has neither field
  });

  it('TxnOffsetCommit v6 response and Produce v13 response: topics by id (KIP-1319, KIP-516)', () => {
    const id = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const body = hex('00000000 | 02 000102030405060708090a0b0c0d0e0f | 02 00000000 0064 00 | 00 | 00'); // UNKNOWN_TOPIC_ID (100)
    const msg = { throttleTimeMs: 0, topics: [{ topicId: id.toString('base64url'), partitions: [{ partitionIndex: 0, errorCode: 100 }] }] };
    const w = new Writer();
    encodeTxnOffsetCommitResponse(w, 6, msg as never);
    expect(w.toBuffer()).toEqual(body);
    expect(decodeTxnOffsetCommitResponse(new Reader(body), 6)).toMatchObject(msg);
    const produce = hex(
      '02 000102030405060708090a0b0c0d0e0f |' + // one topic, by id
        '02 00000000 0064 ffffffffffffffff ffffffffffffffff ffffffffffffffff 01 00 00 | 00 |' + // UNKNOWN_TOPIC_ID, no offsets, no record errors, null message
        '00000000 | 00', // throttle 0, no tags
    );
    const pmsg = { responses: [{ topicId: id.toString('base64url'), partitionResponses: [{ index: 0, errorCode: 100, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage: null }] }], throttleTimeMs: 0 };
    const pw = new Writer();
    encodeProduceResponse(pw, 13, pmsg as never);
    expect(pw.toBuffer()).toEqual(produce);
    expect(decodeProduceResponse(new Reader(produce), 13)).toMatchObject(pmsg);
  });

  it('ResponseHeader v1 skips unknown tagged fields', () => {
    const r = new Reader(hex('00000009 | 02 05 02 aabb 09 00'));
    expect(decodeResponseHeader(r, 1)).toEqual({ correlationId: 9 });
    expect(r.remaining()).toBe(0);
  });
});

describe('data specs', () => {
  it('ConsumerProtocolAssignment v0', () => {
    const bytes = hex('00000001 | 0001 74 | 00000002 00000000 00000001 | ffffffff');
    const msg = { assignedPartitions: [{ topic: 't', partitions: [0, 1] }], userData: null };
    const w = new Writer();
    encodeConsumerProtocolAssignment(w, 0, msg);
    expect(w.toBuffer()).toEqual(bytes);
    expect(decodeConsumerProtocolAssignment(new Reader(bytes), 0)).toEqual(msg);
  });
});

describe('header version rules', () => {
  it('follows the flexible versions and the ApiVersions exception', () => {
    expect(requestHeaderVersion(ApiKeys.Produce, 0)).toBe(1);
    expect(requestHeaderVersion(ApiKeys.Produce, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKeys.Produce, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKeys.ApiVersions, 3)).toBe(2);
    expect(responseHeaderVersion(ApiKeys.Fetch, 11)).toBe(0);
    expect(responseHeaderVersion(ApiKeys.Fetch, 12)).toBe(1);
    expect(responseHeaderVersion(ApiKeys.ApiVersions, 4)).toBe(0);
  });
});
