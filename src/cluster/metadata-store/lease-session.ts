// A broker's session with the metadata store: one lease, kept alive every TTL/3. Everything the
// broker owns (its registration, the controller key) is bound to this lease, so it disappears when
// the broker does.
//
// Losing the lease is decided locally and conservatively, without waiting for the store: each
// successful renewal extends `validUntil` to the moment the renewal was *sent* plus the TTL the
// store granted. The store can only have started that TTL after we sent the request, so when our
// clock passes `validUntil` the store may already have expired the lease: we report the session
// lost at that moment (never later than the store's own expiry), so a controller or leader stops
// acting before anyone else can be elected in its place. No split brain. A tenth of the TTL is
// kept as a margin for timer jitter and clock-rate drift between us and the store.
import type { KvBackend } from './kv.js';

function safeTtl(ttlMs: number): number {
  return ttlMs - Math.floor(ttlMs / 10);
}

export type LostListener = (reason: string) => void;

export class LeaseSession {
  private validUntil: number;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private lostReason: string | undefined;
  private closed = false;
  private revoked = false;
  private readonly listeners: LostListener[] = [];

  private constructor(
    private readonly kv: KvBackend,
    readonly id: string,
    readonly ttlMs: number,
    grantSentAt: number,
  ) {
    this.validUntil = grantSentAt + safeTtl(ttlMs);
    this.keepaliveTimer = setInterval(() => void this.renew(), Math.max(50, Math.floor(ttlMs / 3)));
    this.keepaliveTimer.unref();
    this.armDeadline();
  }

  static async open(kv: KvBackend, ttlMs: number): Promise<LeaseSession> {
    const sentAt = Date.now();
    const grant = await kv.grantLease(ttlMs);
    return new LeaseSession(kv, grant.id, grant.ttlMs, sentAt);
  }

  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  get reason(): string | undefined {
    return this.lostReason;
  }

  /** The latest moment (epoch ms) until which the lease is certainly still alive on the store. */
  get aliveUntil(): number {
    return this.validUntil;
  }

  /** Called once when the session is lost (immediately if it already is). */
  onLost(listener: LostListener): void {
    if (this.lostReason !== undefined) queueMicrotask(() => listener(this.lostReason!));
    else this.listeners.push(listener);
  }

  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => {
      if (Date.now() >= this.validUntil) this.markLost(`lease ${this.id} not renewed within its ${this.ttlMs} ms TTL (metadata store unreachable)`);
      else this.armDeadline();
    }, Math.max(0, this.validUntil - Date.now()));
    this.deadlineTimer.unref();
  }

  private async renew(): Promise<void> {
    if (this.inFlight || this.lost || this.closed) return;
    this.inFlight = true;
    const sentAt = Date.now();
    try {
      const ttl = await this.kv.keepAlive(this.id);
      if (this.lost || this.closed) return;
      if (ttl <= 0) {
        this.markLost(`lease ${this.id} expired on the metadata store`);
        return;
      }
      this.validUntil = Math.max(this.validUntil, sentAt + safeTtl(ttl));
      this.armDeadline();
    } catch {
      // Unreachable for now: the next tick retries; the deadline timer decides when it is lost.
    } finally {
      this.inFlight = false;
    }
  }

  /** Declares the session lost (also used when a write finds our keys gone). */
  markLost(reason: string): void {
    if (this.lostReason !== undefined || this.closed) return;
    this.lostReason = reason;
    this.stopTimers();
    for (const l of this.listeners.splice(0)) l(reason);
  }

  private stopTimers(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.keepaliveTimer = this.deadlineTimer = undefined;
  }

  /** Stops renewing without revoking, as a crashed broker would: the lease expires after its TTL. */
  abandon(): void {
    this.closed = true;
    this.revoked = true;
    this.stopTimers();
  }

  /**
   * Ends the session: stops renewing and revokes the lease, which deletes its keys at once.
   * Best effort (the store may be unreachable); calling it again retries the revoke.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stopTimers();
    if (this.revoked) return;
    try {
      await this.kv.revokeLease(this.id);
      this.revoked = true;
    } catch {
      // Unreachable: the lease expires on its own after its TTL.
    }
  }
}
