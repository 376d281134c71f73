// Which remote segments retention deletes (Kafka's RLMExpirationTask), and deleting a whole
// topic's remote data. retention.ms goes by each segment's newest record; retention.bytes by the
// size of the whole log (local bytes + remote bytes not also held locally), oldest first; and
// anything below the log start (DeleteRecords) goes too. A compact-only topic keeps its data.
import { hasDeletePolicy, type LogConfig } from '../log/log-config.js';
import type { Manifest, RemoteSegment } from './manifest.js';
import { listAll, type ObjectStore } from './object-store.js';
import { manifestEpochOfKey } from './remote-keys.js';
import { withRetry, type RetryPolicy } from './retry.js';

/** Segments to delete, in log order (always a prefix of the copied segments plus those below the log start). */
export function retentionVictims(m: Manifest, cfg: LogConfig, localStart: number, localBytes: number, now: number): RemoteSegment[] {
  const copied = m.segments.filter((s) => s.state === 'COPY_FINISHED');
  const doomed = new Set(copied.filter((s) => s.nextOffset <= m.logStartOffset));
  if (!hasDeletePolicy(cfg)) return [...doomed];
  const live = copied.filter((s) => !doomed.has(s));
  if (cfg.retentionMs >= 0) {
    for (const s of live) {
      const ts = s.maxTimestamp >= 0 ? s.maxTimestamp : s.createdAt;
      if (now - ts <= cfg.retentionMs) break;
      doomed.add(s);
    }
  }
  if (cfg.retentionBytes >= 0) {
    // Size of the whole log = local bytes + remote bytes not also held locally.
    const remoteOnly = live.filter((s) => s.nextOffset <= localStart);
    let excess = localBytes + remoteOnly.reduce((n, s) => n + s.size, 0) - cfg.retentionBytes;
    for (const s of remoteOnly) {
      if (doomed.has(s)) {
        excess -= s.size;
        continue;
      }
      if (excess - s.size < 0) break;
      excess -= s.size;
      doomed.add(s);
    }
  }
  return copied.filter((s) => doomed.has(s));
}

/** Deletes every object under `prefix` (topic deletion), page by page, manifests last. */
export async function deleteRemoteData(store: ObjectStore, prefix: string, retry: RetryPolicy): Promise<number> {
  let deleted = 0;
  for (;;) {
    const objects = await withRetry(() => listAll(store, prefix), retry);
    if (objects.length === 0) return deleted;
    const keys = objects.map((o) => o.key);
    const data = keys.filter((k) => manifestEpochOfKey(k) === null);
    const manifests = keys.filter((k) => manifestEpochOfKey(k) !== null);
    if (data.length) await withRetry(() => store.deleteMany(data), retry);
    if (manifests.length) await withRetry(() => store.deleteMany(manifests), retry);
    deleted += keys.length;
  }
}
