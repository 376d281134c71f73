// The status file the broker writes for `tributary tier status` (`<first log dir>/tier-status.json`)
// and its table rendering. Kept apart from tier-manager.ts so the CLI loads without the tier engine.
import type { TierStatus } from '../../storage/tier/tier-status.js';

export const TIER_STATUS_FILE = 'tier-status.json';

const COLUMNS = ['TOPIC', 'PART', 'STATE', 'REMOTE-START', 'COPIED-END', 'LOCAL-START', 'LOG-END', 'REMOTE-SEGS', 'REMOTE-BYTES', 'LOCAL-BYTES', 'LAG-SEGS', 'LAG-BYTES', 'LAST-ERROR'];

export function formatTierStatus(s: TierStatus, now: number): string {
  const age = Math.max(0, Math.round((now - s.updatedAt) / 1000));
  const lines = [`store: ${s.store}`, `as of: ${new Date(s.updatedAt).toISOString()} (${age} s ago${age > 60 ? '; is the broker running?' : ''})`];
  if (s.pendingTopicDeletes.length) lines.push(`deleting remote data of deleted topics: ${s.pendingTopicDeletes.join(', ')}`);
  lines.push(
    `cache: ${s.cache.bytes}/${s.cache.maxBytes} bytes, ${s.cache.hits} hits, ${s.cache.misses} misses; remote reads: ${s.reads.reads}, ${s.reads.bytesServed} bytes served, ${s.reads.getRequests} GETs`,
    '',
  );
  const rows = s.partitions.map((p) => [
    p.topic,
    String(p.partition),
    p.enabled ? p.state : `${p.state} (copy off)`,
    String(p.remoteLogStartOffset),
    String(p.copiedEndOffset),
    String(p.localLogStartOffset),
    String(p.logEndOffset),
    String(p.remoteSegments),
    String(p.remoteBytes),
    String(p.localBytes),
    String(p.lagSegments),
    String(p.lagBytes),
    p.lastError ? `${p.lastError} (${new Date(p.lastErrorAt).toISOString()})` : '-',
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  lines.push(fmt(COLUMNS), ...rows.map(fmt));
  if (rows.length === 0) lines.push('(no tiered partitions)');
  return lines.join('\n') + '\n';
}
