// Transactions for the console, over the Kafka protocol as kafka-transactions.sh does it:
// ListTransactions at every broker (each coordinates some transactional ids), DescribeTransactions
// at each id's coordinator (state, producer id/epoch, timeout, start time, partitions), and
// DescribeProducers at each partition leader for the transactions left open on partitions.
//
// Hanging, as Kafka's `kafka-transactions.sh find-hanging` means it: a partition holds an open
// transaction (DescribeProducers' currentTxnStartOffset >= 0) that has been open longer than the
// transaction timeout and that its coordinator does not list as in progress with that partition;
// such a transaction holds the partition's last stable offset back, so read_committed consumers
// stop there. A transaction the coordinator still shows Ongoing past its own timeout (the
// coordinator should have aborted it) is flagged too.
import type { Kafka } from '../client/common.js';
import type { ClusterClients } from './cluster-clients.js';

type Admin = import('@platformatic/kafka').Admin;
type Connection = import('@platformatic/kafka').Connection;

/** kafka-transactions.sh find-hanging's default when the coordinator does not know the producer. */
export const DEFAULT_MAX_TRANSACTION_TIMEOUT_MS = 15 * 60_000;
/** States in which a transaction holds partitions open. */
const IN_PROGRESS = new Set(['Ongoing', 'PrepareCommit', 'PrepareAbort', 'PrepareEpochFence']);
/** DescribeProducers is one request per leader: a bound on what the page asks for. */
const MAX_PARTITIONS = 5_000;

export interface TransactionView {
  transactionalId: string;
  state: string;
  producerId: number;
  producerEpoch: number | null;
  timeoutMs: number | null;
  startTimeMs: number | null;
  ageMs: number | null;
  partitions: { topic: string; partition: number }[];
  hanging: boolean;
  hangingReason: string | null;
  error: string | null;
}

export interface OpenPartitionTransaction {
  topic: string;
  partition: number;
  producerId: number;
  producerEpoch: number;
  startOffset: number;
  lastTimestamp: number;
  ageMs: number;
  transactionalId: string | null;
  coordinatorState: string | null;
  hanging: boolean;
}

function errorName(kafka: Kafka, code: number): string {
  return kafka.protocolErrorsCodesById[code] ?? `error code ${code}`;
}

async function brokerConnections(admin: Admin): Promise<Map<number, Connection>> {
  const meta = await admin.metadata({ topics: [], forceUpdate: true });
  return admin.connectToBrokers([...meta.brokers.keys()]);
}

/** ListTransactions v0 at every broker (the version every Kafka 3.0+ broker speaks). */
async function listAll(kafka: Kafka, conns: Map<number, Connection>) {
  const answers = await Promise.all([...conns.values()].map((conn) => kafka.listTransactionsV0.api.async(conn, [], [], -1n, null)));
  const out = new Map<string, { producerId: bigint; state: string }>();
  for (const a of answers) for (const t of a.transactionStates) out.set(t.transactionalId, { producerId: t.producerId, state: t.transactionState });
  return out;
}

/** DescribeTransactions at each id's coordinator. */
async function describeAll(admin: Admin, kafka: Kafka, ids: string[]) {
  const byCoordinator = new Map<number, string[]>();
  if (ids.length > 0) {
    const found = await admin.findCoordinator({ keyType: kafka.FindCoordinatorKeyTypes.TRANSACTION, keys: ids });
    for (const f of found) {
      const list = byCoordinator.get(f.nodeId) ?? [];
      list.push(f.key);
      byCoordinator.set(f.nodeId, list);
    }
  }
  const conns = await admin.connectToBrokers([...byCoordinator.keys()]);
  const answers = await Promise.all([...byCoordinator].map(([node, keys]) => kafka.describeTransactionsV0.api.async(conns.get(node)!, keys)));
  return answers.flatMap((a) => a.transactionStates);
}

/** DescribeProducers at each partition's leader: producers with a transaction open there. */
async function openOnPartitions(admin: Admin, kafka: Kafka) {
  const names = await admin.listTopics({ includeInternals: true });
  if (names.length === 0) return [];
  const meta = await admin.metadata({ topics: names, forceUpdate: true });
  const byLeader = new Map<number, Map<string, number[]>>();
  let count = 0;
  for (const name of names)
    // The client's map may lack a topic deleted since it was listed.
    meta.topics.get(name)?.partitions.forEach((p, i) => {
      if (p.leader < 0 || ++count > MAX_PARTITIONS) return;
      const topics = byLeader.get(p.leader) ?? new Map<string, number[]>();
      topics.set(name, [...(topics.get(name) ?? []), i]);
      byLeader.set(p.leader, topics);
    });
  const conns = await admin.connectToBrokers([...byLeader.keys()]);
  const answers = await Promise.all(
    [...byLeader].map(([leader, topics]) => kafka.describeProducersV0.api.async(conns.get(leader)!, [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })))),
  );
  const out: { topic: string; partition: number; producerId: bigint; producerEpoch: number; startOffset: bigint; lastTimestamp: bigint }[] = [];
  for (const a of answers)
    for (const t of a.topics)
      for (const p of t.partitions) {
        if (p.errorCode !== 0) continue; // a partition moving leaders: shown on the next refresh
        for (const pr of p.activeProducers)
          if (pr.currentTxnStartOffset >= 0n) out.push({ topic: t.name, partition: p.partitionIndex, producerId: pr.producerId, producerEpoch: pr.producerEpoch, startOffset: pr.currentTxnStartOffset, lastTimestamp: pr.lastTimestamp });
      }
  return out;
}

export async function transactionOverview(c: ClusterClients, now = Date.now()) {
  const admin = await c.admin();
  const kafka = await c.kafka();
  const listed = await listAll(kafka, await brokerConnections(admin));
  const [described, open] = await Promise.all([describeAll(admin, kafka, [...listed.keys()]), openOnPartitions(admin, kafka)]);

  const transactions: TransactionView[] = described.map((d) => {
    const error = d.errorCode === 0 ? null : errorName(kafka, d.errorCode);
    const start = d.transactionStartTimeMs >= 0n ? Number(d.transactionStartTimeMs) : null;
    const ageMs = start === null ? null : Math.max(0, now - start);
    const pastTimeout = d.transactionState === 'Ongoing' && ageMs !== null && ageMs > d.transactionTimeoutMs;
    return {
      transactionalId: d.transactionalId,
      state: error ? 'Unknown' : d.transactionState,
      producerId: Number(error ? (listed.get(d.transactionalId)?.producerId ?? -1n) : d.producerId),
      producerEpoch: error ? null : d.producerEpoch,
      timeoutMs: error ? null : d.transactionTimeoutMs,
      startTimeMs: start,
      ageMs,
      partitions: d.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
      hanging: pastTimeout,
      hangingReason: pastTimeout ? `open ${(ageMs! / 1000).toFixed(1)} s, past its ${d.transactionTimeoutMs} ms timeout` : null,
      error,
    };
  });
  const byProducer = new Map(transactions.filter((t) => t.producerId >= 0).map((t) => [t.producerId, t]));

  const openPartitions: OpenPartitionTransaction[] = open.map((o) => {
    const t = byProducer.get(Number(o.producerId));
    const ageMs = Math.max(0, now - Number(o.lastTimestamp));
    const known = !!t && IN_PROGRESS.has(t.state) && t.partitions.some((p) => p.topic === o.topic && p.partition === o.partition);
    const timeout = t?.timeoutMs ?? DEFAULT_MAX_TRANSACTION_TIMEOUT_MS;
    const hanging = (!known && ageMs > timeout) || (known && t!.hanging);
    if (hanging && t && !t.hanging) {
      t.hanging = true;
      t.hangingReason = `holds ${o.topic}-${o.partition} open from offset ${o.startOffset} but its coordinator does not list that partition`;
    }
    return {
      topic: o.topic,
      partition: o.partition,
      producerId: Number(o.producerId),
      producerEpoch: o.producerEpoch,
      startOffset: Number(o.startOffset),
      lastTimestamp: Number(o.lastTimestamp),
      ageMs,
      transactionalId: t?.transactionalId ?? null,
      coordinatorState: t?.state ?? null,
      hanging,
    };
  });
  transactions.sort((a, b) => Number(b.hanging) - Number(a.hanging) || a.transactionalId.localeCompare(b.transactionalId));
  openPartitions.sort((a, b) => Number(b.hanging) - Number(a.hanging) || a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return {
    transactions,
    openPartitions,
    hangingTransactions: transactions.filter((t) => t.hanging).length,
    hangingPartitions: openPartitions.filter((p) => p.hanging).length,
  };
}
