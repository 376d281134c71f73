// A minimal inter-broker Kafka client over the generated codecs: one TCP connection, requests
// pipelined by correlation id, responses decoded with the API's codec. Used by follower fetchers.
// Every response frame is bounded (a leader cannot make a follower buffer without limit).
import net from 'node:net';
import { API_CODECS, requestHeaderVersion, responseHeaderVersion } from '../../../protocol/generated/index.js';
import { Reader } from '../../../protocol/wire/reader.js';
import { Writer } from '../../../protocol/wire/writer.js';

/** Largest response frame accepted (a fetch is bounded by the maxBytes we ask for, plus headers). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export class BrokerConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private nextCorrelation = 1;
  private readonly waiting = new Map<number, { apiKey: number; version: number; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private closedError: Error | null = null;

  private constructor(
    private readonly socket: net.Socket,
    private readonly clientId: string,
  ) {
    socket.on('data', (d) => this.onData(d));
    socket.on('close', () => this.fail(new Error('connection closed')));
    socket.on('error', (e) => this.fail(e));
  }

  static connect(host: string, port: number, clientId: string, timeoutMs = 5_000): Promise<BrokerConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve(new BrokerConnection(s, clientId));
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  send<T>(apiKey: number, version: number, body: object): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelation++;
    const w = new Writer();
    w.writeInt32(0);
    w.writeInt16(apiKey);
    w.writeInt16(version);
    w.writeInt32(correlationId);
    const hv = requestHeaderVersion(apiKey, version);
    if (hv >= 1) w.writeNullableString(this.clientId);
    if (hv >= 2) w.writeUnsignedVarint(0);
    API_CODECS.get(apiKey)!.encodeRequest(w, version, body);
    w.setInt32At(0, w.length - 4);
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(correlationId, { apiKey, version, resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(w.toBuffer());
    });
  }

  close(): void {
    this.socket.destroy();
    this.fail(new Error('connection closed'));
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  private onData(d: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, d]) : d;
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (size < 4 || size > MAX_RESPONSE_BYTES) {
        this.socket.destroy();
        this.fail(new Error(`bad response frame size ${size}`));
        return;
      }
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const w = this.waiting.get(frame.readInt32BE(0));
      if (!w) continue;
      this.waiting.delete(frame.readInt32BE(0));
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
