// A source topic on another Kafka-protocol cluster, read with @platformatic/kafka's raw Fetch by
// partition (read_committed; no consumer group: the positions live in the changelog). Any error
// closes the client, so the next attempt starts from fresh connections and metadata; the base
// reader backs off and retries, so a cluster that is down only delays its own contributions.
import type { ClusterConnection } from '../definition.js';
import { clientSettings, closeClient, errorText, isUnknownTopic, loadKafka, type KafkaConsumer } from '../kafka-client.js';
import { BufferedSourceReader, TopicMissingError, committedRecords, type BatchView, type PollResult, type ReaderOptions, type SourceChunk } from './source-reader.js';

const MAX_WAIT_MS = 500;
const PARTITION_MAX_BYTES = 1 << 20;
const MAX_BYTES = 4 << 20;

interface RecordsBatchLike {
  firstOffset: bigint;
  lastOffsetDelta: number;
  attributes: number;
  firstTimestamp: bigint;
  producerId: bigint;
  records: { offsetDelta: number; timestampDelta: bigint; key: Buffer | null; value: Buffer | null }[];
}

interface FetchPartitionLike {
  partitionIndex: number;
  errorCode: number;
  lastStableOffset: bigint;
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[];
  records?: RecordsBatchLike[];
}

const ATTR_TRANSACTIONAL = 0x10;
const ATTR_CONTROL = 0x20;
const OFFSET_OUT_OF_RANGE = 1;

export class RemoteSourceReader extends BufferedSourceReader {
  private client: KafkaConsumer | null = null;

  constructor(
    name: string,
    private readonly conn: ClusterConnection,
    private readonly topic: string,
    private readonly clientId: string,
    opts: ReaderOptions,
  ) {
    super(name, opts);
  }

  protected async poll(positions: Map<number, number>): Promise<PollResult> {
    try {
      return await this.fetchOnce(positions);
    } catch (e) {
      await this.dropClient();
      if (e instanceof TopicMissingError) throw e;
      throw new Error(`${this.conn.bootstrap.join(',')}: ${errorText(e)}`);
    }
  }

  private async fetchOnce(positions: Map<number, number>): Promise<PollResult> {
    const client = await this.connect();
    let md;
    try {
      md = await client.metadata({ topics: [this.topic] });
    } catch (e) {
      if (isUnknownTopic(e)) throw new TopicMissingError(`topic '${this.topic}' does not exist on ${this.conn.bootstrap.join(',')}`);
      throw e;
    }
    const t = md.topics.get(this.topic);
    if (!t) throw new TopicMissingError(`topic '${this.topic}' does not exist on ${this.conn.bootstrap.join(',')}`);
    const byLeader = new Map<number, number[]>();
    for (let p = 0; p < t.partitionsCount; p++) {
      const leader = t.partitions[p]?.leader ?? -1;
      if (leader < 0) throw new Error(`partition ${p} of '${this.topic}' has no leader`);
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(p);
    }
    const out: PollResult = { chunks: [], endOffsets: new Map() };
    await Promise.all(
      [...byLeader].map(async ([node, parts]) => {
        const response = await this.fetchFrom(client, node, t.id, parts, positions);
        for (const p of response) this.collect(p, positions, out);
      }),
    );
    if (out.resets) {
      // Out of range (retention deleted the position, or the topic was recreated): restart at
      // the partition's log start, as auto.offset.reset=earliest would.
      const earliest = await client.listOffsets({ topics: [this.topic], partitions: { [this.topic]: [...out.resets.keys()] }, timestamp: -2n, isolationLevel: 1 });
      const offs = earliest.get(this.topic) ?? [];
      for (const p of out.resets.keys()) out.resets.set(p, Number(offs[p] ?? 0n));
    }
    return out;
  }

  private async fetchFrom(client: KafkaConsumer, node: number, topicId: string, parts: number[], positions: Map<number, number>): Promise<FetchPartitionLike[]> {
    const request = {
      node,
      maxWaitTime: MAX_WAIT_MS,
      minBytes: 1,
      maxBytes: MAX_BYTES,
      isolationLevel: 1,
      topics: [
        {
          topicId,
          partitions: parts.map((partition) => ({
            partition,
            currentLeaderEpoch: -1,
            fetchOffset: BigInt(positions.get(partition) ?? 0),
            lastFetchedEpoch: -1,
            partitionMaxBytes: PARTITION_MAX_BYTES,
          })),
        },
      ],
    };
    try {
      const res = await client.fetch(request);
      return (res.responses[0]?.partitions ?? []) as FetchPartitionLike[];
    } catch (e) {
      // Partition-level errors arrive as one error carrying the whole response.
      const response = (e as { response?: { responses?: { partitions: FetchPartitionLike[] }[] } }).response;
      const partitions = response?.responses?.[0]?.partitions;
      if (partitions && partitions.every((p) => p.errorCode === 0 || p.errorCode === OFFSET_OUT_OF_RANGE)) return partitions;
      throw e;
    }
  }

  private collect(p: FetchPartitionLike, positions: Map<number, number>, out: PollResult): void {
    const partition = p.partitionIndex;
    if (p.errorCode === OFFSET_OUT_OF_RANGE) {
      (out.resets ??= new Map()).set(partition, 0);
      return;
    }
    out.endOffsets.set(partition, Number(p.lastStableOffset));
    const from = positions.get(partition) ?? 0;
    if (!positions.has(partition)) positions.set(partition, 0);
    const batches = p.records ?? [];
    if (batches.length === 0) return;
    const views: BatchView[] = batches.map((b) => {
      const base = Number(b.firstOffset);
      const control = (b.attributes & ATTR_CONTROL) !== 0;
      const firstKey = b.records[0]?.key;
      return {
        baseOffset: base,
        lastOffset: base + b.lastOffsetDelta,
        producerId: Number(b.producerId),
        transactional: (b.attributes & ATTR_TRANSACTIONAL) !== 0,
        control,
        abortMarker: control && !!firstKey && firstKey.length >= 4 && firstKey.readInt16BE(2) === 0,
        records: control
          ? []
          : b.records.map((r) => ({ offset: base + r.offsetDelta, timestamp: Number(b.firstTimestamp + r.timestampDelta), key: r.key ?? null, value: r.value ?? null })),
      };
    });
    const aborted = p.abortedTransactions.map((a) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) }));
    const records = committedRecords(views, aborted, from);
    const nextOffset = views[views.length - 1]!.lastOffset + 1;
    if (nextOffset <= from) return;
    const chunk: SourceChunk = { source: this.name, partition, records, nextOffset, bytes: records.reduce((n, r) => n + (r.value?.length ?? 0), 0) };
    out.chunks.push(chunk);
  }

  private async connect(): Promise<KafkaConsumer> {
    if (this.client) return this.client;
    const { Consumer } = await loadKafka();
    const s = clientSettings(this.conn, this.clientId);
    this.client = new Consumer({ ...s, groupId: this.clientId, metadataMaxAge: 10_000 });
    return this.client;
  }

  private async dropClient(): Promise<void> {
    const c = this.client;
    this.client = null;
    await closeClient(c);
  }

  protected release(): Promise<void> {
    return this.dropClient();
  }
}
