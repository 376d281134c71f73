// Producer id allocation (Kafka's ProducerIdManager over AllocateProducerIds): ids are handed out
// from blocks of 1000, and a block is recorded as used in `__tributary_producer_ids.json` (first
// log dir, written atomically) before any id from it is returned — so a restart, clean or not,
// continues after the last reserved block and an id is never given out twice.
//
//   {"version":1,"nextBlockStart":3000}
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isNotFound, writeFileAtomic } from '../../../storage/log/log-files.js';

export const PRODUCER_ID_BLOCK_SIZE = 1000;
export const PRODUCER_IDS_FILE = '__tributary_producer_ids.json';
/** Reserve the next block when fewer than this many ids are left, so allocation rarely waits. */
const PREFETCH_BELOW = 100;
/**
 * Cluster mode: each broker hands out ids from its own range, `nodeId * 2^40` on (Kafka asks the
 * controller for blocks; disjoint ranges give the same guarantee — no id handed out by two
 * brokers — without a round trip). 8191 ranges of 2^40 ids stay below 2^53 (exact in a number).
 */
export const CLUSTER_ID_RANGE = 2 ** 40;
const CLUSTER_RANGES = 8191;

export class ProducerIdManager {
  private next = 0;
  private blockEnd = 0;
  private reserving: Promise<void> | null = null;

  /** 0 on a single broker; cluster mode: the start of this broker's range (the file counts within it). */
  private readonly base: number;
  private readonly clustered: boolean;

  private constructor(
    private readonly path: string,
    nodeId: number | undefined,
  ) {
    this.clustered = nodeId !== undefined;
    this.base = nodeId === undefined ? 0 : (((nodeId % CLUSTER_RANGES) + CLUSTER_RANGES) % CLUSTER_RANGES) * CLUSTER_ID_RANGE;
  }

  /** `nodeId`: cluster mode, ids come from that broker's own range. */
  static async load(path: string, nodeId?: number): Promise<ProducerIdManager> {
    const m = new ProducerIdManager(path, nodeId);
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as { nextBlockStart?: unknown };
      const start = parsed.nextBlockStart;
      if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) throw new Error(`bad nextBlockStart in ${path}`);
      m.next = m.blockEnd = start;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return m;
  }

  /** The next id not yet handed out (ids below it may have been). */
  get nextId(): number {
    return this.base + this.next;
  }

  async generate(): Promise<number> {
    while (this.next >= this.blockEnd) await this.reserve();
    const id = this.next++;
    if (this.blockEnd - this.next < PREFETCH_BELOW) void this.reserve().catch(() => {});
    return this.base + id;
  }

  /**
   * Makes sure ids at or below `id` are never handed out (ids seen in __transaction_state on load).
   * Cluster mode: ids of other brokers' ranges (a transactional id that moved here) are theirs to avoid.
   */
  async ensureAbove(globalId: number): Promise<void> {
    const id = globalId - this.base;
    if (this.clustered && (id < 0 || id >= CLUSTER_ID_RANGE)) return;
    if (id < this.next) return;
    this.next = id + 1;
    while (this.next >= this.blockEnd) await this.reserve();
  }

  private reserve(): Promise<void> {
    this.reserving ??= (async () => {
      try {
        const end = Math.max(this.blockEnd, this.next) + PRODUCER_ID_BLOCK_SIZE;
        await writeFileAtomic(this.path, JSON.stringify({ version: 1, nextBlockStart: end }), dirname(this.path));
        this.blockEnd = end;
      } finally {
        this.reserving = null;
      }
    })();
    return this.reserving;
  }
}
