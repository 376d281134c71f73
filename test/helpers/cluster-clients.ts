// Raw connections to the live brokers of an in-process test cluster (test/helpers/cluster.ts), one
// kept per broker, and the views the cluster tests ask of them: which brokers are alive, who leads
// a partition as every live broker sees it, which broker FindCoordinator names.
import { ErrorCode } from '../../protocol/errors.js';
import type { TestCluster } from './cluster.js';
import { RawClient } from './raw-client.js';

export class ClusterClients {
  private readonly clients = new Map<number, RawClient>();

  constructor(private readonly cluster: () => TestCluster) {}

  /** Node ids of the brokers not killed. */
  alive(): number[] {
    return this.cluster().brokers.flatMap((b, i) => (b === undefined ? [] : [i + 1]));
  }

  /** The kept connection to broker `id` (opened on first use). */
  async client(id: number): Promise<RawClient> {
    let c = this.clients.get(id);
    if (!c) this.clients.set(id, (c = await RawClient.connect(this.cluster().byId(id).port)));
    return c;
  }

  /** Broker `id` was killed: its connection goes. */
  drop(id: number): void {
    this.clients.get(id)?.close();
    this.clients.delete(id);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  /** FindCoordinator through a live broker (v4+: the batched form; older: one key). */
  async findCoordinator(keyType: number, key: string, version = 6): Promise<{ errorCode: number; nodeId: number }> {
    const c = await this.client(this.alive()[0]!);
    if (version >= 4) return (await c.send(10, version, { keyType, coordinatorKeys: [key] })).coordinators[0];
    return c.send(10, version, { keyType, key });
  }

  /** The live broker FindCoordinator names, or -1. */
  async coordinatorOf(keyType: number, key: string): Promise<number> {
    const r = await this.findCoordinator(keyType, key);
    return r.errorCode === ErrorCode.NONE && this.alive().includes(r.nodeId) ? r.nodeId : -1;
  }

  /** The leader of `topic`-`partition` as every live broker sees it (-1 until they agree on a live one). */
  leaderOf(topic: string, partition = 0): number {
    const live = this.alive();
    const views = live.map((id) => this.cluster().byId(id).broker.partitionManager.partition(topic, partition)?.leaderId ?? -1);
    return views.every((v) => v === views[0]) && live.includes(views[0]!) ? views[0]! : -1;
  }
}
