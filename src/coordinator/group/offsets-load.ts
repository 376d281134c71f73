// Recovery: replays one __consumer_offsets partition into groups (on load, see
// ../runtime/partition-states.ts). The last record per key wins, tombstones delete. A group
// whose metadata lists members comes back Stable with its generation and assignments, and every
// member gets a fresh session timeout: members that reconnect keep consuming without a
// rebalance, the others expire and trigger one.
import { ClassicGroup, type CommittedOffset } from './classic-group.js';
import { tpKey } from '../../cluster/topic-partition.js';
import type { CoordinatorCore } from './coordinator-core.js';
import { GroupMember } from './group-member.js';
import { decodeGroupMetadataValue, decodeOffsetCommitValue, decodeOffsetsRecordKey, type GroupMetadataValue } from '../common/offsets-records.js';

interface Loaded {
  metadata: Map<string, GroupMetadataValue | null>;
  offsets: Map<string, Map<string, { topic: string; partition: number; value: CommittedOffset | null }>>;
}

export async function loadPartition(core: CoordinatorCore, partition: number): Promise<number> {
  const loaded: Loaded = { metadata: new Map(), offsets: new Map() };
  let skipped = 0;
  const open = await core.log.replay(partition, (rec) => {
    try {
      const key = decodeOffsetsRecordKey(rec.key);
      if (key === null) {
        core.foreignRecords?.(rec); // a record type this coordinator does not own
        return;
      }
      if (key.type === 'group') {
        loaded.metadata.set(key.group, rec.value === null ? null : decodeGroupMetadataValue(rec.value));
      } else {
        let g = loaded.offsets.get(key.group);
        if (!g) loaded.offsets.set(key.group, (g = new Map()));
        g.set(tpKey(key.topic, key.partition), { topic: key.topic, partition: key.partition, value: rec.value === null ? null : decodeOffsetCommitValue(rec.value) });
      }
    } catch {
      skipped++;
    }
  });
  if (skipped > 0) core.logger.warn('skipped undecodable __consumer_offsets records', { partition, count: skipped });
  // Transactional offsets without a marker yet go back to the transaction coordinator as pending;
  // its startup (after this load) resumes Prepare* transactions, whose markers then apply them.
  if (open) for (const [producerId, records] of open) core.pendingTxnOffsets?.restoreRecords(producerId, records);

  const now = core.now();
  const groupIds = new Set([...loaded.metadata.keys(), ...loaded.offsets.keys()]);
  let count = 0;
  for (const groupId of groupIds) {
    const meta = loaded.metadata.get(groupId) ?? null;
    const offsets = [...(loaded.offsets.get(groupId)?.values() ?? [])].filter((o) => o.value !== null);
    if (!meta && offsets.length === 0) continue;
    const group = new ClassicGroup(groupId, now);
    if (meta) restoreMetadata(group, meta);
    for (const o of offsets) group.putOffset(o.topic, o.partition, o.value!);
    core.groups.set(groupId, group);
    for (const m of group.members.values()) core.rescheduleHeartbeat(group, m);
    count++;
  }
  return count;
}

function restoreMetadata(group: ClassicGroup, meta: GroupMetadataValue): void {
  group.generationId = meta.generation;
  group.protocolName = meta.protocol;
  group.currentStateTimestamp = meta.currentStateTimestamp >= 0 ? meta.currentStateTimestamp : null;
  for (const m of meta.members) {
    const member = new GroupMember(
      m.memberId,
      m.groupInstanceId,
      m.clientId,
      m.clientHost,
      m.rebalanceTimeoutMs,
      m.sessionTimeoutMs,
      meta.protocolType,
      meta.protocol === null ? [] : [{ name: meta.protocol, metadata: m.subscription }],
    );
    member.assignment = m.assignment;
    group.add(member);
  }
  group.protocolType = meta.protocolType === '' ? null : meta.protocolType;
  group.leaderId = meta.leader !== null && group.has(meta.leader) ? meta.leader : (group.members.keys().next().value ?? null);
  // Bypasses transitionTo: a loaded group starts in its persisted state, not by a transition.
  group.state = group.size > 0 ? 'Stable' : 'Empty';
  group.previousState = group.state;
  group.subscribedTopics = group.computeSubscribedTopics();
}
