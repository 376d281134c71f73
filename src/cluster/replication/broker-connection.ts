// A minimal inter-broker Kafka client over the generated codecs: one TCP connection, requests
// pipelined by correlation id, responses decoded with the API's codec. Used by follower fetchers,
// the controller channel and the transaction marker sender. Every response frame is bounded (a
// leader cannot make a follower buffer without limit). The connection speaks the inter-broker
// listener's security protocol (inter-broker-security.ts): TLS first, then SASL (SaslHandshake
// v1 + SaslAuthenticate v2) before it is handed out, so callers only ever see a ready connection.
import net from 'node:net';
import tls from 'node:tls';
import { ScramClient } from '../../auth/scram-client.js';
import type { InterBrokerSecurity } from '../inter-broker-security.js';
import { API_CODECS, requestHeaderVersion, responseHeaderVersion } from '../../../protocol/generated/index.js';
import { Reader } from '../../../protocol/wire/reader.js';
import { Writer } from '../../../protocol/wire/writer.js';

/** Largest response frame accepted (a fetch is bounded by the maxBytes we ask for, plus headers). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

/** The peer refused our TLS handshake or SASL login: a configuration problem, logged loudly by callers. */
export class InterBrokerAuthError extends Error {}
const TLS_FAILURE = /certificate|SSL|TLS|handshake|self.signed|altname|alert/i;

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
    // TLS 1.3 reports a refused client certificate only after the handshake, as an alert.
    socket.on('error', (e) => this.fail(socket instanceof tls.TLSSocket && TLS_FAILURE.test(e.message) ? new InterBrokerAuthError(`TLS with the peer failed: ${e.message}`) : e));
  }

  static async connect(host: string, port: number, clientId: string, timeoutMs = 5_000, security?: InterBrokerSecurity | null): Promise<BrokerConnection> {
    const useTls = security?.tls ?? null;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = useTls ? tls.connect({ ...useTls, host, port, ...(net.isIP(host) ? {} : { servername: host }) }) : net.connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      s.once(useTls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        const tlsFailure = useTls && TLS_FAILURE.test(e.message);
        reject(tlsFailure ? new InterBrokerAuthError(`TLS handshake with ${host}:${port} (listener ${security!.listenerName}) failed: ${e.message}`) : e);
      });
    });
    const conn = new BrokerConnection(socket, clientId);
    if (security?.sasl) {
      const timer = setTimeout(() => conn.close(), timeoutMs);
      try {
        await conn.authenticate(security.sasl, `${host}:${port} (listener ${security.listenerName})`);
      } catch (err) {
        conn.close();
        throw err;
      } finally {
        clearTimeout(timer);
      }
    }
    return conn;
  }

  /** SASL login: SaslHandshake v1, then SaslAuthenticate v2 round trips until the mechanism is done. */
  private async authenticate(sasl: NonNullable<InterBrokerSecurity['sasl']>, peer: string): Promise<void> {
    const hs = await this.send<{ errorCode: number; mechanisms: string[] }>(SASL_HANDSHAKE, 1, { mechanism: sasl.mechanism });
    if (hs.errorCode !== 0) {
      throw new InterBrokerAuthError(`SASL handshake with ${peer} failed: ${sasl.mechanism} is not enabled there (enabled: ${hs.mechanisms.join(', ') || 'none'})`);
    }
    const step = async (bytes: Buffer): Promise<Buffer> => {
      const r = await this.send<{ errorCode: number; errorMessage: string | null; authBytes: Buffer }>(SASL_AUTHENTICATE, 2, { authBytes: bytes });
      if (r.errorCode !== 0) {
        throw new InterBrokerAuthError(`SASL ${sasl.mechanism} authentication of ${sasl.username} with ${peer} failed: ${r.errorMessage ?? `error ${r.errorCode}`}`);
      }
      return r.authBytes;
    };
    if (sasl.mechanism === 'PLAIN') {
      await step(Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`));
      return;
    }
    const scram = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
    const serverFirst = await step(scram.first());
    let final: Buffer;
    try {
      final = scram.final(serverFirst);
    } catch (err) {
      throw new InterBrokerAuthError(`SASL ${sasl.mechanism} with ${peer}: ${(err as Error).message}`);
    }
    const serverFinal = await step(final);
    try {
      scram.verify(serverFinal);
    } catch (err) {
      throw new InterBrokerAuthError(`SASL ${sasl.mechanism} with ${peer}: ${(err as Error).message}`);
    }
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

/**
 * One request on `conn`, answered within `ms`: the decoded answer, or 'timeout' (the connection is
 * then closed, so a late answer cannot be mistaken for the next request's and the next call
 * reconnects). Rejects as `send` does when the connection fails.
 */
export async function sendWithin<T>(conn: BrokerConnection, apiKey: number, version: number, body: object, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    const r = await Promise.race([conn.send<T>(apiKey, version, body), timeout]);
    if (r === 'timeout') conn.close();
    return r;
  } finally {
    clearTimeout(timer);
  }
}
