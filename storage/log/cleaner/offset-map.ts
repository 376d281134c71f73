// key -> offset of its latest record in the dirty section (Kafka's SkimpyOffsetMap). Kafka stores a
// 16-byte MD5 of each key in a fixed buffer (log.cleaner.dedupe.buffer.size); here short keys are
// kept verbatim (no collision possible) and long ones by their MD5, as Kafka does, in a JS Map
// capped at `maxEntries`. When the map is full the cleaner stops at a segment boundary and
// cleans up to there; the rest is cleaned by the next pass.
import { createHash } from 'node:crypto';

/** Keys up to this many bytes are stored as-is; longer keys by their 16-byte MD5. */
const VERBATIM_MAX = 32;

function mapKey(key: Buffer): string {
  // The one-character prefix keeps the two key spaces apart.
  if (key.length <= VERBATIM_MAX) return 'k' + key.toString('latin1');
  return 'h' + createHash('md5').update(key).digest().toString('latin1');
}

export class OffsetMap {
  private readonly map = new Map<string, number>();
  /** Last offset the map covers: records past it were not looked at and are kept by the cleaner. */
  latestOffset = -1;

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.map.size;
  }

  get full(): boolean {
    return this.map.size >= this.maxEntries;
  }

  /**
   * Records `offset` as the latest for `key`; false (nothing stored) if the key is new and the map
   * is full, unless `force` (the first dirty segment is always taken whole).
   */
  put(key: Buffer, offset: number, force = false): boolean {
    const k = mapKey(key);
    const prev = this.map.get(k);
    if (prev === undefined && !force && this.full) return false;
    if (prev === undefined || offset > prev) this.map.set(k, offset);
    return true;
  }

  /** Latest offset of `key`, -1 if the dirty section does not hold it. */
  get(key: Buffer): number {
    return this.map.get(mapKey(key)) ?? -1;
  }

  clear(): void {
    this.map.clear();
    this.latestOffset = -1;
  }
}
