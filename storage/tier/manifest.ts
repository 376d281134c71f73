// The per-partition manifest: which segments are in the object store and in what state. It is the
// only object that is ever overwritten (one PUT of the whole JSON, atomic for readers); segment
// objects carry a fresh id in their keys, so a retried or abandoned copy never touches live data.
//
// Segment states (KIP-405's RemoteLogSegmentState):
//
//   (none) ──copy begins──▶ COPY_STARTED ──objects written──▶ COPY_FINISHED ──retention──▶ DELETE_STARTED ──objects gone──▶ (removed)
//                               │                                                               ▲
//                               └──failure / restart: objects deleted, entry dropped ───────────┘ (same cleanup)
//
// Rules the rest of tier/ relies on:
//   - an entry is written as COPY_STARTED before any of its objects, so every object has an entry
//     (objects without one are orphans from a lost manifest write and are deleted at load);
//   - only COPY_FINISHED entries are read or counted as copied;
//   - `copiedEndOffset` only grows; local retention deletes only below the value last persisted;
//   - `logStartOffset` moves past a segment before its objects are deleted, so readers stop first.
import { ObjectStoreError } from './object-store.js';

export type RemoteSegmentState = 'COPY_STARTED' | 'COPY_FINISHED' | 'DELETE_STARTED';

export interface RemoteSegment {
  /** Unique per copy attempt; part of every object key of the segment. */
  id: string;
  baseOffset: number;
  /** Offset after the segment's last batch. */
  nextOffset: number;
  /** Bytes of the .log object. */
  size: number;
  /** Bytes of the .indexes object. */
  indexesSize: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  /** Leader epochs in effect inside the segment: [epoch, startOffset], ascending. */
  epochs: [number, number][];
  state: RemoteSegmentState;
  /** When the copy started (ms). */
  createdAt: number;
}

export interface Manifest {
  version: 1;
  topic: string;
  topicId: string;
  partition: number;
  /** Bumped on every write. */
  seq: number;
  /** First offset readable from the store, -1 while nothing was ever copied. */
  logStartOffset: number;
  /** Exclusive end of the copied prefix of the log (-1: nothing copied yet); never decreases. */
  copiedEndOffset: number;
  /**
   * Sorted by baseOffset. In a cluster a new leader's first segment may start below the previous
   * segment's end (its own segment boundaries differ): overlapping entries hold the same batches.
   */
  segments: RemoteSegment[];
  /** Cluster mode: the leader epoch that wrote it (its key carries the same epoch). */
  leaderEpoch?: number;
  updatedAt: number;
}

export function emptyManifest(topic: string, topicId: string, partition: number): Manifest {
  return { version: 1, topic, topicId, partition, seq: 0, logStartOffset: -1, copiedEndOffset: -1, segments: [], updatedAt: 0 };
}

export function encodeManifest(m: Manifest): Buffer {
  return Buffer.from(JSON.stringify(m));
}

const STATES = new Set<RemoteSegmentState>(['COPY_STARTED', 'COPY_FINISHED', 'DELETE_STARTED']);

/** Parses and checks a stored manifest; a damaged one is a fatal store error (never guessed at). */
export function decodeManifest(buf: Buffer, key: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(buf.toString('utf8')) as Manifest;
  } catch (e) {
    throw new ObjectStoreError('fatal', `manifest ${key} is not valid JSON: ${(e as Error).message}`, 'get', key);
  }
  const bad = (why: string) => new ObjectStoreError('fatal', `manifest ${key} is invalid: ${why}`, 'get', key);
  if (!m || m.version !== 1 || !Array.isArray(m.segments)) throw bad('unknown version or shape');
  if (!Number.isSafeInteger(m.copiedEndOffset) || !Number.isSafeInteger(m.logStartOffset) || !Number.isSafeInteger(m.seq)) throw bad('offsets');
  let prevBase = -1;
  for (const s of m.segments) {
    if (typeof s.id !== 'string' || !/^[0-9a-f]{32}$/.test(s.id)) throw bad(`segment id ${String(s.id)}`);
    if (!STATES.has(s.state)) throw bad(`segment state ${String(s.state)}`);
    if (!Number.isSafeInteger(s.baseOffset) || !Number.isSafeInteger(s.nextOffset) || s.nextOffset <= s.baseOffset) throw bad(`segment ${s.id} offsets`);
    if (!Number.isSafeInteger(s.size) || s.size < 0 || !Number.isSafeInteger(s.indexesSize)) throw bad(`segment ${s.id} sizes`);
    if (s.baseOffset < prevBase) throw bad('segments out of order');
    prevBase = s.baseOffset;
    if (!Array.isArray(s.epochs)) s.epochs = [];
  }
  return m;
}

/** Segments a reader may use: copied and not being deleted, at or after the log start. */
export function readableSegments(m: Manifest): RemoteSegment[] {
  return m.segments.filter((s) => s.state === 'COPY_FINISHED' && s.nextOffset > m.logStartOffset);
}

/** Index of the readable segment holding `offset`, else of the first one after it; -1 if none. */
export function segmentFor(segs: RemoteSegment[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid]!.nextOffset > offset) {
      found = mid;
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  return found;
}

/** Bytes of the copied segments (the remote size reported to users). */
export function remoteBytes(m: Manifest): number {
  let n = 0;
  for (const s of m.segments) if (s.state === 'COPY_FINISHED') n += s.size;
  return n;
}

/** Where the log start goes once the given leading segments are deleted. */
export function logStartAfterDeleting(m: Manifest, doomed: Set<RemoteSegment>): number {
  const rest = m.segments.filter((s) => s.state === 'COPY_FINISHED' && !doomed.has(s));
  const next = rest.length > 0 ? rest[0]!.baseOffset : m.copiedEndOffset;
  return Math.max(m.logStartOffset, next);
}
