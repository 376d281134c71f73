// Every handler answers a failure with Kafka's error response for its API (getErrorResponse):
// the error code on each entry the request named. control() from tributary/testing uses the
// same path as an unexpected handler failure, so these APIs answer an injected error instead of
// closing the connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { createTestCluster, type TestCluster } from '../../src/testing.js';
import { RawClient } from '../helpers/raw-client.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await createTestCluster({ brokers: 1, topics: [{ name: 'configs', partitions: 1 }] });
});
afterAll(() => cluster?.close());

/**
 * Answers `api` with KAFKA_STORAGE_ERROR once, on a connection of its own, and returns what the
 * client got; then checks the same connection still serves (an error response, not a close).
 */
async function withError<T>(api: string, send: (client: RawClient) => Promise<T>): Promise<T> {
  const client = await RawClient.connect(cluster.brokers[0]!.port);
  const handle = cluster.control(api, () => ({ error: 'KAFKA_STORAGE_ERROR' }), { times: 1 });
  try {
    const answer = await send(client);
    const after = await client.send(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    expect(after.errorCode).toBe(ErrorCode.NONE);
    return answer;
  } finally {
    handle.remove();
    client.close();
  }
}

describe('error responses of the config and cluster APIs', () => {
  it('DescribeConfigs: the error on every resource', async () => {
    const r = await withError('DescribeConfigs', (client) =>
      client.send(32, 4, {
        resources: [
          { resourceType: 2, resourceName: 'configs', configurationKeys: null },
          { resourceType: 4, resourceName: '1', configurationKeys: null },
        ],
        includeSynonyms: false,
        includeDocumentation: false,
      }),
    );
    expect(r.results.map((x: { resourceName: string; errorCode: number; configs: unknown[] }) => [x.resourceName, x.errorCode, x.configs.length])).toEqual([
      ['configs', ErrorCode.KAFKA_STORAGE_ERROR, 0],
      ['1', ErrorCode.KAFKA_STORAGE_ERROR, 0],
    ]);
  });

  it('AlterConfigs and IncrementalAlterConfigs: the error on every resource', async () => {
    const resources = [{ resourceType: 2, resourceName: 'configs', configs: [{ name: 'retention.ms', value: '1000', configOperation: 0 }] }];
    const legacy = await withError('AlterConfigs', (client) => client.send(33, 2, { resources, validateOnly: true }));
    expect(legacy.responses.map((x: { resourceName: string; errorCode: number }) => [x.resourceName, x.errorCode])).toEqual([['configs', ErrorCode.KAFKA_STORAGE_ERROR]]);
    const incremental = await withError('IncrementalAlterConfigs', (client) => client.send(44, 1, { resources, validateOnly: true }));
    expect(incremental.responses.map((x: { resourceName: string; errorCode: number }) => [x.resourceName, x.errorCode])).toEqual([['configs', ErrorCode.KAFKA_STORAGE_ERROR]]);
  });

  it('DescribeCluster: the error at the top level, no brokers', async () => {
    const r = await withError('DescribeCluster', (client) => client.send(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 }));
    expect([r.errorCode, r.brokers]).toEqual([ErrorCode.KAFKA_STORAGE_ERROR, []]);
  });

  it('ApiVersions: the error and no api keys', async () => {
    const r = await withError('ApiVersions', (client) => client.send(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' }));
    expect([r.errorCode, r.apiKeys]).toEqual([ErrorCode.KAFKA_STORAGE_ERROR, []]);
  });
});
