// A minimal Kafka client over the generated codecs, for tests that need exact control of
// request versions, pipelining and malformed bytes.
import net from 'node:net';
import { API_CODECS, requestHeaderVersion, responseHeaderVersion } from '../../protocol/generated/index.js';
import { Reader } from '../../protocol/wire/reader.js';
import { Writer } from '../../protocol/wire/writer.js';

export class RawClient {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly waiting = new Map<number, { apiKey: number; version: number; resolve: (v: any) => void; reject: (e: Error) => void }>();
  private nextCorrelation = 1;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => this.onData(d));
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        for (const w of this.waiting.values()) w.reject(new Error('connection closed'));
        this.waiting.clear();
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  /** `localAddress` picks the client address (any 127.x.y.z works on Linux loopback). */
  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host, localAddress }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Encodes a request frame without sending it. */
  encode(apiKey: number, version: number, body: object, correlationId = this.nextCorrelation++): { frame: Buffer; correlationId: number } {
    return { frame: encodeRequestFrame(apiKey, version, body, correlationId, 'raw-client'), correlationId };
  }

  /** Sends a request and resolves with the decoded response body. */
  send<T = any>(apiKey: number, version: number, body: object): Promise<T> {
    const { frame, correlationId } = this.encode(apiKey, version, body);
    const p = this.expect<T>(correlationId, apiKey, version);
    this.socket.write(frame);
    return p;
  }

  expect<T = any>(correlationId: number, apiKey: number, version: number): Promise<T> {
    return new Promise<T>((resolve, reject) => this.waiting.set(correlationId, { apiKey, version, resolve, reject }));
  }

  /** Correlation ids in the order responses arrived. */
  readonly arrivalOrder: number[] = [];

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, d]) : d;
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      this.arrivalOrder.push(correlationId);
      const w = this.waiting.get(correlationId);
      if (!w) continue;
      this.waiting.delete(correlationId);
      try {
        const r = new Reader(frame, 4);
        if (responseHeaderVersion(w.apiKey, w.version) >= 1) r.skipTaggedFields();
        w.resolve(API_CODECS.get(w.apiKey)!.decodeResponse(r, w.version));
      } catch (err) {
        w.reject(err as Error);
      }
    }
  }
}

/** A size-prefixed request frame (header for the API version, then the body). */
export function encodeRequestFrame(apiKey: number, version: number, body: object, correlationId: number, clientId: string): Buffer {
  const codec = API_CODECS.get(apiKey)!;
  const w = new Writer();
  w.writeInt32(0);
  w.writeInt16(apiKey);
  w.writeInt16(version);
  w.writeInt32(correlationId);
  const hv = requestHeaderVersion(apiKey, version);
  if (hv >= 1) w.writeNullableString(clientId);
  if (hv >= 2) w.writeUnsignedVarint(0);
  codec.encodeRequest(w, version, body);
  w.setInt32At(0, w.length - 4);
  return w.toBuffer();
}
