// Cluster mode (issue 13): __transaction_state writes wait request.timeout.ms for the ISR (Kafka's
// transaction coordinator appends with request.timeout.ms), not a fixed 5 s. A follower of the
// partition dies without leaving the ISR; InitProducerId, which must write the new producer epoch,
// fails after the configured timeout with COORDINATOR_NOT_AVAILABLE, and the client may retry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { expectWriteTimesOut, logEnd, waitForCoordinator } from '../helpers/coordinator-writes.js';

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

const initProducerId = async (nodeId: number): Promise<number> =>
  (await cluster.send(nodeId, 22, 4, { transactionalId: TID, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })).errorCode;

describe('request.timeout.ms bounds __transaction_state writes in a cluster', () => {
  it('InitProducerId the ISR cannot acknowledge fails after request.timeout.ms with COORDINATOR_NOT_AVAILABLE', async () => {
    const coordinator = await waitForCoordinator(cluster, 1, TID);
    // Retried while the coordinator loads and the followers join the ISR.
    await cluster.waitFor('the first InitProducerId', async () => (await initProducerId(coordinator)) === ErrorCode.NONE);
    for (const id of [1, 2, 3]) expect(logEnd(cluster, id, TXN)).toBe(logEnd(cluster, coordinator, TXN));
    await expectWriteTimesOut(cluster, coordinator, TXN, TIMEOUT_MS, () => initProducerId(coordinator));
  }, 60_000);
});
