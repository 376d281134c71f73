// Waiting on a condition in tests: poll until it holds, or fail after a timeout with a message
// that says what was awaited. Tests wait for proof that work ran; they never sleep and then assert
// that something did not happen (see countCalls for proving that a background pass ran).

export interface WaitOptions {
  /** Give up after this long (default 20 s, the longest the private copies used). */
  timeoutMs?: number;
  /** Poll interval (default 25 ms). */
  intervalMs?: number;
}

const opts = (o: WaitOptions | number | undefined): Required<WaitOptions> => {
  const given = typeof o === 'number' ? { timeoutMs: o } : (o ?? {});
  return { timeoutMs: given.timeoutMs ?? 20_000, intervalMs: given.intervalMs ?? 25 };
};

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves once `cond` is true. An exception from `cond` fails the wait at once. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, options?: WaitOptions | number): Promise<void> {
  const { timeoutMs, intervalMs } = opts(options);
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(intervalMs);
  }
}

/**
 * Resolves with the first truthy value `fn` returns. An exception from `fn` counts as "not yet"
 * (e.g. a topic that does not exist yet); the last one is in the timeout message.
 */
export async function waitForValue<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options?: WaitOptions | number,
): Promise<T> {
  const { timeoutMs, intervalMs } = opts(options);
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    await pause(intervalMs);
  }
}

export interface CallCounter {
  /** Counted calls since the counter was installed. */
  readonly count: number;
  /** Waits for `n` more counted calls than now (with completions: the n-th of them started after this point). */
  more(n: number, what: string, options?: WaitOptions | number): Promise<void>;
  /** Waits until `n` calls in all have been counted since the counter was installed. */
  reach(n: number, what: string, options?: WaitOptions | number): Promise<void>;
  restore(): void;
}

export interface CountOptions {
  /** 'completions' (default) counts calls whose promise resolved; 'calls' counts calls as they start. */
  count?: 'calls' | 'completions';
  /** Counts only calls this accepts: the receiver (to tell instances apart), the arguments, the result if completed. */
  filter?: (self: any, args: unknown[], result?: any) => boolean;
}

/**
 * Counts calls of `target[method]` (an object's method or a class prototype's), to prove that a
 * background pass (retention, a source poll, a loop iteration) ran before asserting that it
 * changed nothing. Throws if the method does not exist, so a rename fails the test loudly.
 */
export function countCalls<T extends object>(target: T, method: string, options: CountOptions = {}): CallCounter {
  const t = target as Record<string, unknown>;
  const original = t[method];
  if (typeof original !== 'function') throw new Error(`countCalls: ${method} is not a method of the target`);
  const hadOwn = Object.prototype.hasOwnProperty.call(target, method);
  const accept = options.filter ?? (() => true);
  let count = 0;
  t[method] = function (this: unknown, ...args: unknown[]) {
    if (options.count === 'calls' && accept(this, args)) count += 1;
    const r = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (options.count === 'calls') return r;
    const done = (v: unknown) => {
      if (accept(this, args, v)) count += 1;
      return v;
    };
    return r instanceof Promise ? r.then(done) : done(r);
  };
  return {
    get count() {
      return count;
    },
    async more(n, what, waitOptions) {
      const goal = count + n;
      await waitFor(() => count >= goal, what, waitOptions);
    },
    async reach(n, what, waitOptions) {
      await waitFor(() => count >= n, what, waitOptions);
    },
    restore() {
      if (hadOwn) t[method] = original;
      else delete t[method];
    },
  };
}
