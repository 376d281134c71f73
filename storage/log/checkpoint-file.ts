// Kafka's text checkpoint files, written atomically (tmp + fsync + rename + dir fsync).
//
// Offset checkpoints (recovery-point-offset-checkpoint, log-start-offset-checkpoint):
//   0                      version
//   2                      entry count
//   orders 0 1234          topic partition offset
//   orders 1 987
// leader-epoch-checkpoint:
//   0
//   2
//   0 0                    epoch startOffset
//   3 1500
// partition.metadata:
//   version: 0
//   topic_id: <base64 uuid>
//
// Readers are lenient: a malformed file yields null (callers fall back to a full recovery or to
// what the segments say) instead of refusing to start.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isNotFound, writeFileAtomic } from './log-files.js';

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** `sync`: the loader at start-up, before the broker serves (no thread-pool round trips). */
async function readText(path: string, sync = false): Promise<string | null> {
  try {
    return sync ? readFileSync(path, 'utf8') : await readFile(path, 'utf8');
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

/** Parses "version\ncount\nline*" and checks the count; null if missing or malformed. */
function parseLines<T>(text: string, parse: (fields: string[]) => T | null): T[] | null {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length < 2 || lines[0]!.trim() !== '0') return null;
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count < 0 || count !== lines.length - 2) return null;
  const out: T[] = [];
  for (let i = 2; i < lines.length; i++) {
    const v = parse(lines[i]!.trim().split(/\s+/));
    if (v === null) return null;
    out.push(v);
  }
  return out;
}

function safeInt(s: string | undefined): number | null {
  if (s === undefined || !/^-?\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

export async function readOffsetCheckpoint(path: string): Promise<TopicPartitionOffset[] | null> {
  const text = await readText(path);
  if (text === null) return null;
  return parseLines(text, (f) => {
    if (f.length !== 3) return null;
    const partition = safeInt(f[1]);
    const offset = safeInt(f[2]);
    if (partition === null || offset === null || partition < 0 || offset < 0) return null;
    return { topic: f[0]!, partition, offset };
  });
}

export function writeOffsetCheckpoint(path: string, entries: TopicPartitionOffset[]): Promise<void> {
  const body = entries.map((e) => `${e.topic} ${e.partition} ${e.offset}\n`).join('');
  return writeFileAtomic(path, `0\n${entries.length}\n${body}`, dirname(path));
}

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export async function readLeaderEpochCheckpoint(path: string, sync = false): Promise<EpochEntry[] | null> {
  const text = await readText(path, sync);
  if (text === null) return null;
  return parseLines(text, (f) => {
    if (f.length !== 2) return null;
    const epoch = safeInt(f[0]);
    const startOffset = safeInt(f[1]);
    if (epoch === null || startOffset === null || epoch < 0 || startOffset < 0) return null;
    return { epoch, startOffset };
  });
}

export function writeLeaderEpochCheckpoint(path: string, entries: EpochEntry[]): Promise<void> {
  const body = entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join('');
  return writeFileAtomic(path, `0\n${entries.length}\n${body}`, dirname(path));
}

export async function readPartitionMetadata(path: string, sync = false): Promise<{ topicId: string } | null> {
  const text = await readText(path, sync);
  if (text === null) return null;
  const m = /^version:\s*0\s*\ntopic_id:\s*(\S+)\s*$/m.exec(text.trim());
  return m ? { topicId: m[1]! } : null;
}

export function writePartitionMetadata(path: string, topicId: string): Promise<void> {
  return writeFileAtomic(path, `version: 0\ntopic_id: ${topicId}`, dirname(path));
}
