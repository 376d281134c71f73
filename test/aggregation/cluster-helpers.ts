// Helpers of the cluster-mode aggregation tests (test/cluster/aggregation-*.test.ts): who runs an
// aggregation, who leads the definitions partition, reading an output topic and running the CLI
// through a client against the whole cluster.
import { runCli, type CliDeps } from '../../src/cli/main.js';
import { clientSettings, closeClient, loadKafka, readTopicToEnd } from '../../src/aggregation/kafka-client.js';
import type { TestCluster } from '../helpers/cluster.js';

/** Live brokers on which the aggregation `name` has a processor that is not stopped. */
export function runners(cluster: TestCluster, name: string): number[] {
  const out: number[] = [];
  cluster.brokers.forEach((b, i) => {
    const s = b?.broker.aggregations?.status(name);
    if (s && s.state !== 'stopped' && s.state !== 'starting') out.push(i + 1);
  });
  return out;
}

export function definitionsLeader(cluster: TestCluster): number {
  for (const b of cluster.brokers) {
    const st = b?.broker.partitionManager.partition('__tributary_aggregations', 0);
    if (st && st.leaderId >= 0) return st.leaderId;
  }
  return -1;
}

export interface Out {
  partition: number;
  offset: number;
  key: string;
  value: { measures: { sum: number; count: number }; contributors: number; version: number } | null;
  version: number;
}

export async function readOutput(cluster: TestCluster, topic: string): Promise<Out[]> {
  const { Consumer } = await loadKafka();
  const consumer = new Consumer({ ...clientSettings({ bootstrap: cluster.bootstrap().split(',') }, 'agg-reader'), groupId: 'agg-reader', retries: 3 });
  try {
    return (await readTopicToEnd(consumer, topic)).map((r) => ({
      partition: r.partition,
      offset: r.offset,
      key: r.key!.toString(),
      value: r.value === null ? null : JSON.parse(r.value.toString()),
      version: Number(r.headers.get('tributary.version')),
    }));
  } finally {
    await closeClient(consumer);
  }
}

export async function clusterCli(cluster: TestCluster, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const deps: CliDeps = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    env: { TRIBUTARY_BOOTSTRAP_SERVER: cluster.bootstrap() },
    onSignal: () => () => undefined,
    forceExit: () => undefined,
    helpText: () => 'HELP\n',
  };
  const code = await runCli(args, deps);
  return { code, out, err };
}

