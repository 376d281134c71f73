// The load generator's connection: a raw Kafka TCP client that sends pre-encoded request bodies,
// pipelines any number of them, and matches responses by correlation id.
//
// Why raw: a real client spends most of its CPU building and parsing batches; on a 2-core machine
// shared with the broker that would measure the client. Here the only per-request work is a
// ~20-byte header (fresh correlation id) written in front of a body encoded once up front:
//
//   per send:  cork → write(header: size | apiKey | apiVersion | correlationId | clientId [| tags])
//                   → write(body, shared and never mutated, so it can be in flight many times)
//              uncork (one writev)
//
// Responses arrive in request order (Kafka guarantees it per connection); a correlation id that
// does not match the oldest pending request is a protocol violation and fails the connection.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { requestHeaderVersion, responseHeaderVersion } from '../protocol/generated/index.js';
import { Reader } from '../protocol/wire/reader.js';
import { FrameAssembler } from './lib/frame-assembler.js';

/**
 * Called with a Reader positioned at the response body and the request's send time (ms). The
 * bytes are only valid during the call (the frame buffer is reused).
 */
export type ResponseHandler = (body: Reader, sentAtMs: number) => void;

interface Pending {
  correlationId: number;
  apiKey: number;
  apiVersion: number;
  sentAtMs: number;
  onResponse: ResponseHandler;
}

const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export class BenchConnection {
  private readonly pending: Pending[] = [];
  private head = 0; // index of the oldest pending entry (array used as a queue)
  private nextCorrelationId = 1;
  private readonly clientId: Buffer;
  private failure: Error | null = null;
  private readonly closeWaiters: ((err: Error | null) => void)[] = [];
  bytesOut = 0;
  bytesIn = 0;

  private constructor(
    private readonly socket: net.Socket,
    clientId: string,
  ) {
    this.clientId = Buffer.from(clientId, 'utf8');
    // Response frames are reused scratch memory: handlers must not keep the Reader's buffer.
    const frames = new FrameAssembler(MAX_RESPONSE_BYTES, (f) => this.onFrame(f), true);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      try {
        frames.push(chunk);
      } catch (err) {
        this.fail(err as Error);
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by peer')));
  }

  /**
   * A connection over any already-opening socket (e.g. tls.connect for SSL listeners); resolves
   * once `readyEvent` fires ('connect' for TCP, 'secureConnect' for TLS).
   */
  static over(socket: net.Socket, readyEvent: 'connect' | 'secureConnect', clientId = 'tributary-bench'): Promise<BenchConnection> {
    return new Promise((resolve, reject) => {
      socket.once(readyEvent, () => {
        socket.removeListener('error', reject);
        resolve(new BenchConnection(socket, clientId));
      });
      socket.once('error', reject);
    });
  }

  static connect(host: string, port: number, clientId = 'tributary-bench'): Promise<BenchConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new BenchConnection(socket, clientId));
      });
      socket.once('error', reject);
    });
  }

  /** Requests sent and not yet answered. */
  get inflight(): number {
    return this.pending.length - this.head;
  }

  get error(): Error | null {
    return this.failure;
  }

  /**
   * Sends one request. `body` is the encoded request body (everything after the request header);
   * it is only read, so the same buffer may be sent again before earlier sends are answered.
   * With `expectResponse` false (Produce acks=0) nothing is queued for matching.
   */
  send(apiKey: number, apiVersion: number, body: Buffer, onResponse: ResponseHandler | null): void {
    if (this.failure) throw this.failure;
    const correlationId = this.nextCorrelationId++ | 0;
    const flexible = requestHeaderVersion(apiKey, apiVersion) === 2;
    const idLen = this.clientId.length;
    const headerLen = 2 + 2 + 4 + 2 + idLen + (flexible ? 1 : 0);
    // Layout: size:int32 | apiKey:int16 | apiVersion:int16 | correlationId:int32 |
    //         clientId:int16-length string | [tagged fields: uvarint 0]   (then the body)
    const header = Buffer.allocUnsafe(4 + headerLen);
    header.writeInt32BE(headerLen + body.length, 0);
    header.writeInt16BE(apiKey, 4);
    header.writeInt16BE(apiVersion, 6);
    header.writeInt32BE(correlationId, 8);
    header.writeInt16BE(idLen, 12);
    this.clientId.copy(header, 14);
    if (flexible) header[14 + idLen] = 0;
    const sentAtMs = performance.now();
    if (onResponse !== null) this.pending.push({ correlationId, apiKey, apiVersion, sentAtMs, onResponse });
    this.socket.cork();
    this.socket.write(header);
    this.socket.write(body);
    this.socket.uncork();
    this.bytesOut += header.length + body.length;
  }

  /** Promise form for setup requests (not used on measured paths). */
  request<T>(apiKey: number, apiVersion: number, body: Buffer, decode: (r: Reader, v: number) => T): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`request api ${apiKey} v${apiVersion} timed out`)), 30_000);
      const onClose = (err: Error | null): void => {
        clearTimeout(timer);
        reject(err ?? new Error('connection closed'));
      };
      this.closeWaiters.push(onClose);
      this.send(apiKey, apiVersion, body, (r) => {
        clearTimeout(timer);
        const i = this.closeWaiters.indexOf(onClose);
        if (i >= 0) this.closeWaiters.splice(i, 1);
        try {
          resolve(decode(r, apiVersion));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  /** Resolves once every pending request has been answered (or rejects if the connection fails). */
  drain(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const deadline = performance.now() + timeoutMs;
      const check = (): void => {
        if (this.failure) return reject(this.failure);
        if (this.inflight === 0) return resolve();
        if (performance.now() > deadline) return reject(new Error(`${this.inflight} requests unanswered after ${timeoutMs} ms`));
        setTimeout(check, 2);
      };
      check();
    });
  }

  close(): void {
    this.failure ??= new Error('closed');
    this.socket.destroy();
  }

  private onFrame(frame: Buffer): void {
    if (this.head >= this.pending.length) return this.fail(new Error('response without a pending request'));
    const p = this.pending[this.head]!;
    this.pending[this.head] = undefined as unknown as Pending; // let the handler be collected
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
    const r = new Reader(frame);
    const correlationId = r.readInt32();
    if (correlationId !== p.correlationId) {
      return this.fail(new Error(`correlation id ${correlationId} does not match the oldest pending request ${p.correlationId}`));
    }
    if (responseHeaderVersion(p.apiKey, p.apiVersion) === 1) r.skipTaggedFields();
    p.onResponse(r, p.sentAtMs);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.socket.destroy();
    for (const w of this.closeWaiters.splice(0)) w(err);
  }
}
