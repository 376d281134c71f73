// Cluster mode: the share persister's requests to other brokers' share coordinators
// (ReadShareGroupState / WriteShareGroupState), one inter-broker connection per broker, opened on
// first use and replaced once closed. Failures come back as Kafka error codes the persister
// retries: NOT_COORDINATOR when the broker is unknown or unreachable (it looks the coordinator up
// again), REQUEST_TIMED_OUT when it does not answer in time.
import { ErrorCode } from '../../../protocol/errors.js';
import type { InterBrokerEndpoint } from '../../cluster/inter-broker-security.js';
import { BrokerConnection, sendWithin } from '../../cluster/replication/broker-connection.js';

const REQUEST_TIMEOUT_MS = 10_000;

export class ShareBrokerChannel {
  private readonly connections = new Map<number, Promise<BrokerConnection>>();
  private closed = false;

  constructor(
    private readonly nodeId: number,
    private readonly endpointOf: (brokerId: number) => InterBrokerEndpoint | undefined,
  ) {}

  async request<T>(brokerId: number, apiKey: number, version: number, body: object): Promise<T | number> {
    let conn: BrokerConnection;
    try {
      conn = await this.connection(brokerId);
    } catch {
      return ErrorCode.NOT_COORDINATOR;
    }
    try {
      const r = await sendWithin<T>(conn, apiKey, version, body, REQUEST_TIMEOUT_MS);
      return r === 'timeout' ? ErrorCode.REQUEST_TIMED_OUT : r;
    } catch {
      return ErrorCode.NOT_COORDINATOR;
    }
  }

  close(): void {
    this.closed = true;
    for (const p of this.connections.values()) void p.then((c) => c.close(), () => undefined);
    this.connections.clear();
  }

  private async connection(brokerId: number): Promise<BrokerConnection> {
    if (this.closed) throw new Error('closed');
    const existing = this.connections.get(brokerId);
    if (existing) {
      const c = await existing.catch(() => null);
      if (c && !c.closed) return c;
      if (this.connections.get(brokerId) === existing) this.connections.delete(brokerId);
    }
    const ep = this.endpointOf(brokerId);
    if (!ep) throw new Error(`broker ${brokerId} is not registered`);
    const p = BrokerConnection.connect(ep.host, ep.port, `tributary-share-${this.nodeId}`, undefined, ep.security);
    this.connections.set(brokerId, p);
    p.catch(() => {
      if (this.connections.get(brokerId) === p) this.connections.delete(brokerId);
    });
    return p;
  }
}
