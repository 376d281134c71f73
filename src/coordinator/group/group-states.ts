// The classic group state machine (Kafka's ClassicGroupState / GroupState.scala).
//
//                      join phase completes           leader's SyncGroup
//   ┌───────┐  join  ┌────────────────────┐ (all rejoined  ┌─────────────────────┐ persisted  ┌────────┐
//   │ Empty │──────▶ │ PreparingRebalance │ or timeout) ──▶│ CompletingRebalance │──────────▶ │ Stable │
//   └───────┘        └────────────────────┘                └─────────────────────┘            └────────┘
//       ▲              │      ▲      ▲                               │                           │
//       │ join phase   │      │      └───────────────────────────────┘                           │
//       │ completes    │      │        a member joins, changes metadata, leaves or expires       │
//       │ with no      │      └──────────────────────────────────────────────────────────────────┘
//       │ members      │         the same, or the leader rejoins, or a member misses SyncGroup
//       └──────────────┘
//
//   Dead: reachable from every state (DeleteGroups, the last offsets of an Empty group expired);
//         terminal, a Dead group object is never reused.
//
// Empty                 no members; may still hold committed offsets (and a protocol type).
// PreparingRebalance    waiting for every known member to send JoinGroup again (bounded by the
//                       largest rebalance timeout; the first rebalance of an Empty group also waits
//                       group.initial.rebalance.delay.ms for more members).
// CompletingRebalance   a new generation exists; waiting for the leader's SyncGroup assignments.
// Stable                assignments handed out; members heartbeat.
// Dead                  removed; requests get COORDINATOR_NOT_AVAILABLE and clients look again.

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Valid predecessors of each state (Kafka's validPreviousStates). */
export const VALID_PREVIOUS_STATES: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export const ALL_GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

export function canTransition(from: GroupState, to: GroupState): boolean {
  return VALID_PREVIOUS_STATES[to].includes(from);
}

/** A programming error: the coordinator asked for a transition the table forbids. */
export class IllegalGroupStateError extends Error {
  constructor(groupId: string, from: GroupState, to: GroupState) {
    super(`group ${groupId} cannot move from ${from} to ${to}`);
    this.name = 'IllegalGroupStateError';
  }
}
