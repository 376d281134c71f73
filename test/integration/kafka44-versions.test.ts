// The API versions added by Kafka 4.1-4.4, over TCP with exact versions (raw client): what
// each new version means on the wire, and that the version before it still answers as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
let tb: TestBroker;
let client: RawClient;
let topicId: string;

beforeAll(async () => {
  tb = await startTestBroker({ 'offsets.topic.num.partitions': '1' });
  await tb.broker.createTopic('k44', 2, 1, {});
  topicId = tb.broker.topics.get('k44')!.id;
  client = await RawClient.connect(tb.port);
});
afterAll(async () => {
  client?.close();
  await tb?.cleanup();
});

describe('Metadata v13 (KIP-1102)', () => {
  it('carries a top-level error code, NONE from a broker that knows its metadata', async () => {
    const r = await client.send(3, 13, { topics: [{ name: 'k44', topicId: ZERO_UUID }, { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.clusterId).toBe(tb.broker.clusterId);
    expect(r.topics.map((t: any) => [t.name, t.topicId, t.errorCode, t.partitions.length])).toEqual([
      ['k44', topicId, ErrorCode.NONE, 2],
      [null, 'AAAAAAAAAAAAAAAAAAAAAQ', ErrorCode.UNKNOWN_TOPIC_ID, 0],
    ]);
  });
});
