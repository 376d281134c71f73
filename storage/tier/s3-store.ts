// ObjectStore on S3 and S3-compatible servers (s3rver, OpenStack Swift's s3api, MinIO, ...), with
// @aws-sdk/client-s3. Credentials: explicit keys if configured, else the SDK's standard chain
// (env, shared config/credentials files, SSO, web identity, ECS/EC2 metadata).
//
// Options that S3-compatible servers need (../shared/TOOLCHAIN.md §4):
//   requestChecksumCalculation WHEN_REQUIRED  otherwise stream bodies go out aws-chunked, which
//                                             s3rver stores verbatim (corrupt) and Swift rejects
//   Content-MD5 on DeleteObjects              Swift 2.30 requires it; the SDK no longer sends it
//   forcePathStyle                            for endpoints like http://localhost:PORT
// Retries are ours (retry.ts), so the SDK makes one attempt per call; every request carries an
// overall deadline, and a body shorter than announced is a retriable error, never data.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { FileDigester } from './file-digest.js';
import { ObjectStoreError, isRetriableError, type ListPage, type ObjectInfo, type ObjectStore, type PutBody } from './object-store.js';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket ('' or ending without '/'; a '/' is added). */
  prefix?: string;
  /** e.g. http://127.0.0.1:9000; omit for AWS. */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** Omit both to use the SDK's default credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Files larger than this go up as multipart uploads (default 32 MiB). */
  multipartThresholdBytes?: number;
  /** Multipart part size (default 8 MiB, S3's minimum is 5 MiB). */
  partSizeBytes?: number;
  /** Deadline of one request, body included (default 30 s); multipart uploads: per part. */
  requestTimeoutMs?: number;
  /** Connect timeout (default 5 s). */
  connectTimeoutMs?: number;
  /** Sockets kept per host (default 32). */
  maxSockets?: number;
  /** Upload bandwidth cap in bytes/s across all puts (Kafka's remote.log.manager.copy.max.bytes.per.second); unset = none. */
  uploadBytesPerSecond?: number;
}

export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly threshold: number;
  private readonly partSize: number;
  private readonly timeoutMs: number;
  private readonly uploadRate: RateLimiter | null;
  private readonly digester = new FileDigester();

  constructor(opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ? opts.prefix.replace(/\/+$/, '') + '/' : '';
    this.threshold = opts.multipartThresholdBytes ?? 32 * 1024 * 1024;
    this.partSize = Math.max(5 * 1024 * 1024, opts.partSizeBytes ?? 8 * 1024 * 1024);
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.uploadRate = opts.uploadBytesPerSecond && opts.uploadBytesPerSecond > 0 ? new RateLimiter(opts.uploadBytesPerSecond) : null;
    this.description = `s3://${opts.bucket}/${this.prefix}${opts.endpoint ? ` @ ${opts.endpoint}` : ''}`;
    this.client = new S3Client({
      endpoint: opts.endpoint,
      region: opts.region ?? 'us-east-1',
      forcePathStyle: opts.forcePathStyle ?? false,
      credentials:
        opts.accessKeyId && opts.secretAccessKey
          ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, sessionToken: opts.sessionToken }
          : undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
      requestHandler: {
        connectionTimeout: opts.connectTimeoutMs ?? 5_000,
        requestTimeout: this.timeoutMs,
        throwOnRequestTimeout: true,
        httpAgent: { keepAlive: true, maxSockets: opts.maxSockets ?? 32 },
        httpsAgent: { keepAlive: true, maxSockets: opts.maxSockets ?? 32 },
      },
    });
    this.client.middlewareStack.add(
      (next, ctx) => async (args) => {
        const req = (args as { request?: { body?: unknown; headers: Record<string, string> } }).request;
        if ((ctx as { commandName?: string }).commandName === 'DeleteObjectsCommand' && req?.body != null) {
          req.headers['content-md5'] = createHash('md5').update(req.body as string | Buffer).digest('base64');
        }
        return next(args);
      },
      { step: 'build', name: 'contentMd5ForDeleteObjects', priority: 'low' },
    );
  }

  /**
   * Sends one HEAD (its answer is ignored). The SDK loads much of itself lazily on the first
   * request (~180 ms of synchronous module compilation); done at startup, that cost does not land
   * in the middle of serving produce requests when the first segment uploads.
   */
  async warmUp(): Promise<void> {
    await this.head('.tributary-warmup').catch(() => {});
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  private signal(): AbortSignal {
    return AbortSignal.timeout(this.timeoutMs);
  }

  async put(key: string, body: PutBody): Promise<void> {
    try {
      if (!Buffer.isBuffer(body) && body.size > this.threshold) {
        const upload = new Upload({
          client: this.client,
          params: { Bucket: this.bucket, Key: this.k(key), Body: throttled(createReadStream(body.path, { start: 0, end: body.size - 1 }), this.uploadRate) },
          partSize: this.partSize,
          queueSize: 2,
          leavePartsOnError: false,
        });
        await upload.done();
        return;
      }
      if (!Buffer.isBuffer(body) && body.size > 0) {
        // A file: MD5 on the digest worker, bytes streamed from disk in 1 MiB reads. The broker's
        // event loop neither hashes nor holds the segment in memory (see file-digest.ts).
        const md5 = await this.digester.md5(body.path, body.size);
        const stream = createReadStream(body.path, { start: 0, end: body.size - 1, highWaterMark: HASH_SLICE_BYTES });
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: this.k(key), Body: throttled(stream, this.uploadRate), ContentLength: body.size, ContentMD5: md5 }),
          { abortSignal: this.signal() },
        );
        return;
      }
      const data = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      // Content-MD5 makes the server reject a body damaged in transit (BadDigest, retriable).
      // Large bodies: MD5 in slices between event-loop turns, and the body as a stream so that
      // SigV4 sends UNSIGNED-PAYLOAD instead of hashing megabytes in one synchronous call —
      // either would stall produce and fetch requests for tens of milliseconds.
      const large = data.length > STREAM_ABOVE_BYTES;
      if (!large) await this.uploadRate?.take(data.length);
      const md5 = large ? await md5InSlices(data) : createHash('md5').update(data).digest('base64');
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.k(key), Body: large ? throttled(slices(data), this.uploadRate) : data, ContentLength: data.length, ContentMD5: md5 }),
        { abortSignal: this.signal() },
      );
    } catch (e) {
      throw classify(e, 'put', key);
    }
  }

  async get(key: string, range?: { start: number; end: number }, abort?: AbortSignal, into?: (size: number) => Buffer): Promise<Buffer> {
    if (range && range.end <= range.start) return Buffer.alloc(0);
    const signal = abort ? AbortSignal.any([this.signal(), abort]) : this.signal();
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.k(key), Range: range ? `bytes=${range.start}-${range.end - 1}` : undefined }),
        { abortSignal: signal },
      );
      const expected = res.ContentLength;
      if (range && expected !== undefined && expected > range.end - range.start) {
        // A server that ignored the Range header (200 with the whole object): not the bytes asked for.
        (res.Body as Readable | undefined)?.destroy?.();
        throw new ObjectStoreError('retriable', `long body for ${key}: ${expected} bytes for a range of ${range.end - range.start}`, 'get', key);
      }
      const body =
        into && expected !== undefined
          ? await collectInto(res.Body as Readable | undefined, signal, into(expected), key)
          : await collect(res.Body as Readable | undefined, signal);
      if (expected !== undefined && body.length !== expected) {
        throw new ObjectStoreError('retriable', `short body for ${key}: got ${body.length} of ${expected} bytes`, 'get', key);
      }
      return body;
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (range && (err.name === 'InvalidRange' || err.$metadata?.httpStatusCode === 416)) return Buffer.alloc(0);
      throw classify(e, 'get', key);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.k(key) }), { abortSignal: this.signal() });
      return { key, size: res.ContentLength ?? 0 };
    } catch (e) {
      const c = classify(e, 'head', key);
      if (c.kind === 'not-found') return null;
      throw c;
    }
  }

  async list(prefix: string, page: { next?: string; maxKeys?: number } = {}): Promise<ListPage> {
    try {
      // Paging with StartAfter (the last key seen) rather than continuation tokens: it works the
      // same on every server and a page can be resumed from our own state.
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.k(prefix),
          MaxKeys: page.maxKeys ?? 1000,
          StartAfter: page.next === undefined ? undefined : this.k(page.next),
        }),
        { abortSignal: this.signal() },
      );
      const objects = (res.Contents ?? [])
        .filter((o) => o.Key !== undefined && o.Key.startsWith(this.prefix))
        .map((o) => ({ key: o.Key!.slice(this.prefix.length), size: o.Size ?? 0 }));
      const last = objects[objects.length - 1];
      return { objects, next: res.IsTruncated && last ? last.key : undefined };
    } catch (e) {
      throw classify(e, 'list', prefix);
    }
  }

  async deleteMany(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const slice = keys.slice(i, i + 1000);
      try {
        const res = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: slice.map((k) => ({ Key: this.k(k) })), Quiet: true } }),
          { abortSignal: this.signal() },
        );
        const errors = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
        if (errors.length > 0) {
          const first = errors[0]!;
          const kind = first.Code === 'AccessDenied' ? 'fatal' : 'retriable';
          throw new ObjectStoreError(kind, `delete failed for ${errors.length} keys, first ${first.Key}: ${first.Code} ${first.Message ?? ''}`, 'delete', first.Key);
        }
      } catch (e) {
        throw classify(e, 'delete', slice[0]);
      }
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
    await this.digester.close();
  }
}

const STREAM_ABOVE_BYTES = 256 * 1024;
const HASH_SLICE_BYTES = 1024 * 1024;

async function md5InSlices(data: Buffer): Promise<string> {
  const h = createHash('md5');
  for (let i = 0; i < data.length; i += HASH_SLICE_BYTES) {
    h.update(data.subarray(i, i + HASH_SLICE_BYTES));
    if (i + HASH_SLICE_BYTES < data.length) await new Promise((r) => setImmediate(r));
  }
  return h.digest('base64');
}

function* slices(data: Buffer): Iterable<Buffer> {
  for (let i = 0; i < data.length; i += HASH_SLICE_BYTES) yield data.subarray(i, i + HASH_SLICE_BYTES);
}

/** A body stream that waits for the upload rate limit before handing on each chunk. */
function throttled(source: Iterable<Buffer> | AsyncIterable<Buffer>, rate: RateLimiter | null): Readable {
  return Readable.from(
    (async function* () {
      for await (const chunk of source) {
        if (rate) await rate.take(chunk.length);
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
}

/** Paces byte transfers to `bytesPerSecond` on average (bursts of one chunk). */
export class RateLimiter {
  private nextFree = 0;

  constructor(readonly bytesPerSecond: number) {}

  async take(bytes: number): Promise<void> {
    const now = performance.now();
    const start = Math.max(now, this.nextFree);
    this.nextFree = start + (bytes / this.bytesPerSecond) * 1000;
    if (start > now) await new Promise((r) => setTimeout(r, start - now));
  }
}

async function collect(body: Readable | undefined, signal: AbortSignal): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  const onAbort = () => body.destroy(new ObjectStoreError('retriable', 'body read timed out', 'get'));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const c of body) chunks.push(c as Buffer);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * The body read into `out` (sized from Content-Length), chunk by chunk as it arrives: one buffer
 * per GET instead of the HTTP chunks plus their concatenation (issue 14: Buffer.concat and the GC
 * of those fresh buffers were a third of the broker's CPU on cold reads). More bytes than
 * announced is an error (the server or the connection is confused); fewer is returned as is and
 * caught by the caller's length check.
 */
async function collectInto(body: Readable | undefined, signal: AbortSignal, out: Buffer, key: string): Promise<Buffer> {
  if (!body) return out.subarray(0, 0);
  let n = 0;
  const onAbort = () => body.destroy(new ObjectStoreError('retriable', 'body read timed out', 'get'));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const c of body) {
      const chunk = c as Buffer;
      if (n + chunk.length > out.length) {
        body.destroy();
        throw new ObjectStoreError('retriable', `long body for ${key}: more than the ${out.length} bytes announced`, 'get', key);
      }
      n += chunk.copy(out, n);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return n === out.length ? out : out.subarray(0, n);
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchUpload']);
const FATAL = new Set(['NoSuchBucket', 'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidBucketName', 'AllAccessDisabled', 'NotImplemented']);

/** Maps SDK / network errors to ObjectStoreError kinds. */
export function classify(e: unknown, op: string, key?: string): ObjectStoreError {
  if (e instanceof ObjectStoreError) return e;
  const err = e as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = err?.name ?? err?.Code ?? 'Error';
  const status = err?.$metadata?.httpStatusCode;
  let kind: ObjectStoreError['kind'];
  if (FATAL.has(name)) kind = 'fatal';
  else if (NOT_FOUND.has(name) || (status === 404 && name !== 'NoSuchBucket')) kind = 'not-found';
  else kind = isRetriableError(e) ? 'retriable' : 'fatal';
  const msg = `${op} ${key ?? ''}: ${name}${status ? ` (HTTP ${status})` : ''}: ${err?.message ?? String(e)}`;
  // No `cause`: SDK errors carry the whole HTTP response, too big to log; the message has the facts.
  return new ObjectStoreError(kind, msg, op, key);
}
