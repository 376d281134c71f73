// Kafka's SimpleAssignor for share groups (KIP-932): every subscribed partition goes to at least
// one member and every member gets at least one partition when there are any. With more
// partitions than members they are spread round-robin; with more members than partitions the
// partitions are shared (a share partition serves many members at once, that is the point).

export interface AssignableTopic {
  id: string;
  partitions: number;
}

/** memberId → topicId → partitions, for members sorted by id (deterministic across restarts). */
export function simpleAssign(members: { memberId: string; topics: AssignableTopic[] }[]): Map<string, Map<string, number[]>> {
  const out = new Map<string, Map<string, number[]>>();
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  for (const m of sorted) out.set(m.memberId, new Map());
  const byTopic = new Map<string, { topic: AssignableTopic; subscribers: string[] }>();
  for (const m of sorted) {
    for (const t of m.topics) {
      let e = byTopic.get(t.id);
      if (!e) byTopic.set(t.id, (e = { topic: t, subscribers: [] }));
      e.subscribers.push(m.memberId);
    }
  }
  // One running index over all topics so single-partition topics do not all land on member 0.
  let cursor = 0;
  for (const { topic, subscribers } of [...byTopic.values()].sort((a, b) => (a.topic.id < b.topic.id ? -1 : 1))) {
    const p = topic.partitions;
    const m = subscribers.length;
    if (p === 0) continue;
    const n = Math.max(p, m);
    for (let i = 0; i < n; i++) {
      const member = subscribers[(cursor + i) % m]!;
      const parts = out.get(member)!;
      const list = parts.get(topic.id) ?? [];
      const partition = i % p;
      if (!list.includes(partition)) list.push(partition);
      parts.set(topic.id, list);
    }
    cursor += p;
  }
  for (const parts of out.values()) for (const l of parts.values()) l.sort((a, b) => a - b);
  return out;
}
