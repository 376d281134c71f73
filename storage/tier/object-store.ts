// The object store tiered storage writes to: a flat key space with whole-object puts, ranged gets,
// heads, paged listings and batch deletes. Two implementations: S3 (s3-store.ts, also Swift's S3
// API, MinIO, ...) and a local directory (local-store.ts, the zero-config default).
//
// Every failure is an ObjectStoreError with a `kind`:
//   not-found   the key does not exist (a value, not a fault: callers branch on it)
//   retriable   worth retrying after a backoff (5xx, throttling, timeouts, resets, short bodies)
//   fatal       retrying cannot help (bad credentials, missing bucket, 4xx validation errors)

export interface ObjectInfo {
  key: string;
  size: number;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** Pass to the next list() call; undefined on the last page. */
  next?: string;
}

/** A body to upload: bytes in memory, or a file (streamed; multipart when large). */
export type PutBody = Buffer | { path: string; size: number };

export interface ObjectStore {
  /** Human-readable target, e.g. `s3://bucket/prefix @ http://127.0.0.1:9000` (no secrets). */
  readonly description: string;
  /** Whole-object write; atomic for readers (they see the old object, the new one, or none). */
  put(key: string, body: PutBody): Promise<void>;
  /**
   * Bytes [start, end) of an object (end exclusive, clamped to the object size); whole object
   * without a range. `signal` aborts it (read-ahead no longer wanted); the promise then rejects.
   * `into(size)`, when given, supplies the buffer (exactly `size` bytes) the body is read into once
   * its size is known (a pooled buffer: no per-GET allocation, no concatenation of body chunks);
   * the answer is then that buffer or a prefix of it. A body longer or shorter than announced is
   * a retriable error, never a truncated answer.
   */
  get(key: string, range?: { start: number; end: number }, signal?: AbortSignal, into?: (size: number) => Buffer): Promise<Buffer>;
  /** Size of an object, or null if it does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  /** One page of keys starting with `prefix`, in lexicographic order. */
  list(prefix: string, page?: { next?: string; maxKeys?: number }): Promise<ListPage>;
  /** Deletes the keys; missing keys are not an error. */
  deleteMany(keys: string[]): Promise<void>;
  close(): Promise<void>;
}

export type StoreErrorKind = 'not-found' | 'retriable' | 'fatal';

export class ObjectStoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    readonly op: string,
    readonly key?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ObjectStoreError';
  }

  get retriable(): boolean {
    return this.kind === 'retriable';
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ObjectStoreError && e.kind === 'not-found';
}

/** Node/network error codes that mean "the request may succeed if tried again". */
const RETRIABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ServiceUnavailable',
  'InternalError',
  'BadDigest', // body damaged in transit
  'IncompleteBody',
  'RequestTimeTooSkewed',
]);

/** Whether an arbitrary error (network, SDK, fs) is worth retrying. */
export function isRetriableError(e: unknown): boolean {
  if (e instanceof ObjectStoreError) return e.retriable;
  const err = e as { code?: string; name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown } | null;
  if (!err || typeof err !== 'object') return false;
  const status = err.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 408 || status === 429)) return true;
  if (err.$retryable) return true;
  if ((err.code && RETRIABLE_CODES.has(err.code)) || (err.name && RETRIABLE_CODES.has(err.name))) return true;
  // An HTTP status in the 4xx range is a definite answer; without any status the request never
  // got a proper answer (socket closed, body cut short, parse failure of a truncated reply).
  return status === undefined && !(e instanceof TypeError) && !(e instanceof RangeError);
}

/** All objects under `prefix`, following pages. */
export async function listAll(store: ObjectStore, prefix: string, maxKeys = 1000): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  let next: string | undefined;
  do {
    const page = await store.list(prefix, { next, maxKeys });
    out.push(...page.objects);
    next = page.next;
  } while (next !== undefined);
  return out;
}
