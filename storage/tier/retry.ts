// Retries with exponential backoff and full jitter for object-store calls, and a small semaphore
// that bounds how many requests run at once. Only retriable errors are retried (object-store.ts
// classifies them); a fatal or not-found error surfaces at once.
import { isRetriableError } from './object-store.js';

export interface RetryPolicy {
  /** Total attempts including the first (>= 1). */
  attempts: number;
  /** First backoff; doubles per attempt up to maxBackoffMs. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** Fraction of each backoff that is randomized (0 = none, 1 = full jitter). */
  jitter: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ attempts: 5, baseBackoffMs: 100, maxBackoffMs: 5_000, jitter: 1 });

/** Backoff before attempt `attempt` (1-based retry count), randomized by `jitter`. */
export function backoffMs(policy: Pick<RetryPolicy, 'baseBackoffMs' | 'maxBackoffMs' | 'jitter'>, attempt: number, random = Math.random): number {
  const exp = Math.min(policy.maxBackoffMs, policy.baseBackoffMs * 2 ** Math.max(0, attempt - 1));
  const j = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(exp * (1 - j) + exp * j * random());
}

export interface RetryOptions {
  /** Gives up early (e.g. on shutdown); the last error is thrown. */
  signal?: AbortSignal;
  /** Called before each backoff, for logs and metrics. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export async function withRetry<T>(fn: () => Promise<T>, policy: RetryPolicy, opts: RetryOptions = {}): Promise<T> {
  const sleep = opts.sleep ?? delay;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= policy.attempts || !isRetriableError(e) || opts.signal?.aborted) throw e;
      const ms = backoffMs(policy, attempt);
      opts.onRetry?.(e, attempt, ms);
      await sleep(ms, opts.signal);
    }
  }
}

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Counting semaphore: at most `limit` holders; waiters are served in FIFO order. */
export class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError('Semaphore limit must be >= 1');
  }

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiters.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    }
  }
}

