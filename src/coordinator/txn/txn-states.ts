// Transaction states (Kafka's TransactionState) and their valid predecessors. Every transition of
// a transactional id goes through TxnMetadata.prepareTransition, which checks this table.
//
//                       InitProducerId (epoch bump)
//                 ┌───────────────────────────────────┐
//                 v                                   │
//   (new) ──> Empty ──AddPartitions──> Ongoing ──EndTxn(commit)──> PrepareCommit ──markers──> CompleteCommit
//                 ^                    │  │  ^                                                    │
//                 │                    │  │  └────────── AddPartitions (next transaction) ────────┤
//                 │                    │  └──EndTxn(abort)──> PrepareAbort ──markers──> CompleteAbort
//                 │                    │                         ^                          │
//                 │  InitProducerId /  └──> PrepareEpochFence ───┘                          │
//                 │  timeout (epoch fenced)  (in memory only)                               │
//                 └─────────────── InitProducerId (epoch bump) ─────────────────────────────┘
//
//   Empty / CompleteCommit / CompleteAbort ──transactional.id.expiration.ms──> Dead (tombstone)
//
// Persisted codes are Kafka's (TransactionLogValue.TransactionStatus), so __transaction_state
// records read the same in both systems.

export type TxnState =
  | 'Empty'
  | 'Ongoing'
  | 'PrepareCommit'
  | 'PrepareAbort'
  | 'CompleteCommit'
  | 'CompleteAbort'
  | 'Dead'
  | 'PrepareEpochFence';

export const TXN_STATE_CODES: Record<TxnState, number> = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
};

const BY_CODE = new Map<number, TxnState>(Object.entries(TXN_STATE_CODES).map(([k, v]) => [v, k as TxnState]));

export function txnStateOfCode(code: number): TxnState | undefined {
  return BY_CODE.get(code);
}

/**
 * Kafka's TransactionState.validPreviousStates. PrepareAbort from Empty / Complete* is transaction
 * version 2 only (EndTxn v5 may abort a transaction nothing was added to yet); the classic EndTxn
 * answers those states before asking for a transition.
 */
export const VALID_PREVIOUS_STATES: Record<TxnState, readonly TxnState[]> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareEpochFence: ['Ongoing'],
};

export function isValidTransition(from: TxnState, to: TxnState): boolean {
  return VALID_PREVIOUS_STATES[to].includes(from);
}

/** States whose markers are being written: the next request for the id must wait. */
export function isPreparing(s: TxnState): boolean {
  return s === 'PrepareCommit' || s === 'PrepareAbort';
}

/** States in which no transaction is open (a new one may start; the id may expire). */
export function isIdle(s: TxnState): boolean {
  return s === 'Empty' || s === 'CompleteCommit' || s === 'CompleteAbort';
}

/** ListTransactions state filters use these names (case-sensitive in Kafka). */
export const ALL_TXN_STATES = Object.keys(TXN_STATE_CODES) as TxnState[];
