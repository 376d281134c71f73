// Cluster mode (issue 13): __transaction_state writes wait request.timeout.ms for the ISR (Kafka's
// transaction coordinator appends with request.timeout.ms), not a fixed 5 s. A follower of the
// partition dies without leaving the ISR; InitProducerId, which must write the new producer epoch,
// fails after the configured timeout with COORDINATOR_NOT_AVAILABLE, and the client may retry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';

const TXN = '__transaction_state';
const TID = 'txn-write-timeout';
const TIMEOUT_MS = 800;

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3, {
    'transaction.state.log.replication.factor': '3',
    'transaction.state.log.num.partitions': '1',
    'request.timeout.ms': String(TIMEOUT_MS),
    'replica.lag.time.max.ms': '60000',
    'tributary.metadata.session.timeout.ms': '6000',
  });
});
afterAll(async () => {
  await cluster?.close();
});

async function send(nodeId: number, apiKey: number, version: number, body: object): Promise<any> {
  const c = await RawClient.connect(cluster.byId(nodeId).port);
  try {
    return await c.send(apiKey, version, body);
  } finally {
    c.close();
  }
}

const initProducerId = async (nodeId: number): Promise<number> =>
  (await send(nodeId, 22, 4, { transactionalId: TID, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })).errorCode;

describe('request.timeout.ms bounds __transaction_state writes in a cluster', () => {
  it('InitProducerId the ISR cannot acknowledge fails after request.timeout.ms with COORDINATOR_NOT_AVAILABLE', async () => {
    let coordinator = -1;
    await cluster.waitFor('the transaction coordinator', async () => {
      const r = await send(1, 10, 4, { keyType: 1, coordinatorKeys: [TID] });
      coordinator = r.coordinators[0].errorCode === ErrorCode.NONE ? r.coordinators[0].nodeId : -1;
      return coordinator > 0;
    });
    // Retried while the coordinator loads and the followers join the ISR.
    await cluster.waitFor('the first InitProducerId', async () => (await initProducerId(coordinator)) === ErrorCode.NONE);
    const leo = (id: number) => cluster.byId(id).broker.partitionManager.offsets({ topic: TXN, partition: 0 })!.logEndOffset;
    for (const id of [1, 2, 3]) expect(leo(id)).toBe(leo(coordinator));

    const follower = [1, 2, 3].find((id) => id !== coordinator)!;
    await cluster.kill(follower);
    expect(cluster.byId(coordinator).broker.partition(TXN, 0)!.isr).toContain(follower);
    const started = Date.now();
    expect(await initProducerId(coordinator)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(took).toBeLessThan(TIMEOUT_MS + 2500); // the fixed 5 s before
    expect(cluster.byId(coordinator).broker.partition(TXN, 0)!.isr).toContain(follower);
  }, 60_000);
});
