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

export class ProducerIdManager {
  private next = 0;
  private blockEnd = 0;
  private reserving: Promise<void> | null = null;

  private constructor(private readonly path: string) {}

  static async load(path: string): Promise<ProducerIdManager> {
    const m = new ProducerIdManager(path);
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
    return this.next;
  }

  async generate(): Promise<number> {
    while (this.next >= this.blockEnd) await this.reserve();
    const id = this.next++;
    if (this.blockEnd - this.next < PREFETCH_BELOW) void this.reserve().catch(() => {});
    return id;
  }

  /** Makes sure ids at or below `id` are never handed out (ids seen in __transaction_state on load). */
  async ensureAbove(id: number): Promise<void> {
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
