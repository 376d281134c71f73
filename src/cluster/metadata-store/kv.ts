// The small key-value contract both backends implement: etcd v3's data model (a global revision,
// per-key create/mod revisions, leases that own keys, all-or-nothing compare transactions, and
// ordered prefix watches that can resume from a revision). The metadata store is written once on
// top of it, so the in-memory backend and etcd behave the same by construction.

export interface KvEntry {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  /** '0' when no lease owns the key. */
  lease: string;
}

/** One comparison of a transaction; every comparison must hold for the success branch to run. */
export type KvCompare =
  | { key: string; target: 'create' | 'mod'; value: number }
  | { key: string; target: 'value'; value: string }
  | { key: string; target: 'lease'; value: string };

export type KvOp = { type: 'put'; key: string; value: string; lease?: string } | { type: 'delete'; key: string };

export interface KvTxnResult {
  succeeded: boolean;
  /** The store revision after the transaction. */
  revision: number;
  /** On failure: the current entries of the keys named in `readOnFailure` (absent keys are omitted). */
  entries: Map<string, KvEntry>;
}

export interface KvWatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** undefined for deletes. */
  value?: string;
  revision: number;
  /** For puts: the key's create revision (0 when unknown). */
  createRevision?: number;
}

export interface KvLeaseGrant {
  id: string;
  /** The TTL the store actually granted (etcd rounds up to its minimum). */
  ttlMs: number;
}

export interface KvBackend {
  readonly kind: 'memory' | 'etcd';
  get(key: string): Promise<KvEntry | undefined>;
  /** Every key under the prefix, sorted by key, and the revision the read saw. */
  range(prefix: string): Promise<{ entries: KvEntry[]; revision: number }>;
  txn(compares: KvCompare[], success: KvOp[], readOnFailure?: string[]): Promise<KvTxnResult>;
  grantLease(ttlMs: number): Promise<KvLeaseGrant>;
  /** Renews the lease; resolves with the remaining TTL in ms, 0 when the lease no longer exists. */
  keepAlive(id: string): Promise<number>;
  revokeLease(id: string): Promise<void>;
  /**
   * Delivers every change under the prefix after `afterRevision`, in revision order, until the
   * returned function is called. Survives store restarts (resumes from the last delivered revision).
   */
  watch(prefix: string, afterRevision: number, onEvent: (ev: KvWatchEvent) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
