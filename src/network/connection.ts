// One client connection: frames in, handlers, responses out strictly in request order.
//
//   socket 'data' -> FrameDecoder -> header -> handler (sync or async) -> slot in `pending`
//   pending = [slot(corr 7, done), slot(corr 8, waiting), slot(corr 9, done)]
//             ^ flushed as soon as the head is done; 9 waits for 8 (clients pipeline and
//               match responses by order as well as by correlation id).
//
// Backpressure: while too many requests are in flight (on this connection, or broker-wide:
// queued.max.requests), too many response bytes are unsent, or the broker-wide budget for
// partially received frames (queued.max.request.bytes) is used up, the socket is paused and
// buffered frames wait, so one greedy client cannot exhaust memory.
//
// Containment: nothing thrown while handling this connection's bytes may escape into the event
// loop (an uncaught exception exits the broker). Every entry point -- socket data, drain, budget
// wake-ups, async handler completions -- ends in `failed()`, which logs once and closes only this
// connection.
import net, { type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Reader } from '../../protocol/wire/reader.js';
import { Writer } from '../../protocol/wire/writer.js';
import { DecodeError } from '../../protocol/wire/errors.js';
import { API_CODECS, requestHeaderVersion, responseHeaderVersion } from '../../protocol/generated/index.js';
import { decodeProduceRequestFast } from '../../protocol/fast/produce-request.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { Logger } from '../logging/logger.js';
import { FrameDecoder, InvalidFrameSizeError } from './frame-decoder.js';
import { FrameReader } from './frame-reader.js';
import { takeLentView, type BufferLease } from '../../protocol/wire/buffer-pool.js';
import type { BudgetWaiter, NetworkBudgets } from './shared-budget.js';
import type { SaslSession } from '../auth/sasl-session.js';
import { ChannelMute } from './channel-mute.js';
import {
  CLOSE_CONNECTION,
  NO_RESPONSE,
  RespondThenClose,
  type ApiHandler,
  type ConnectionInfo,
  type HandlerOutcome,
  type RequestContext,
  type RequestHeader,
} from './request-context.js';

const API_VERSIONS_KEY = 18;
const PRODUCE_KEY = 0;

/** How a listener secures a new connection (see src/auth). */
export interface ConnectionSecurity {
  /** Principal already established by the transport (TLS client certificate). */
  principal?: string;
  /** Builds the SASL state on SASL listeners; gets a callback for the authenticated principal. */
  sasl?: (onAuthenticated: (principal: string) => void) => SaslSession;
}

export interface ConnectionLimits {
  maxRequestBytes: number;
  maxInflightRequests: number;
  maxUnsentResponseBytes: number;
  idleTimeoutMs: number;
  /** Request bytes handled before the connection yields to the event loop once (TURN_REQUEST_BYTES; 0: never). */
  turnRequestBytes?: number;
}

export interface HandlerLookup {
  get(apiKey: number): ApiHandler | undefined;
  /** ApiVersions v0 body used for the KIP-511 fallback when the client's version is too new. */
  apiVersionsFallback(): object;
}

interface Slot {
  correlationId: number;
  done: boolean;
  /** The response: one buffer (copied out of the shared encoder) or the chunks of its own writer. */
  chunks: Buffer | Buffer[] | null;
}

/**
 * The encoder of every response that fits in COPY_OUT_MAX_BYTES of its own bytes (all but very
 * large ones): one per process, as there is one event loop and complete() encodes synchronously.
 * Its bytes are copied out at their exact size, so a Produce response costs one small Buffer
 * instead of a Writer, its 256-byte buffer, two chunk arrays and a view (issue 14: per-request
 * garbage); a Fetch response's records stay by reference beside that copy. A response it cannot
 * copy out keeps the writer (its chunks are views of it), and a fresh one takes its place.
 */
const COPY_OUT_MAX_BYTES = 16 * 1024;
let sharedEncoder = new Writer(4096);

/**
 * Request bytes one connection handles before its next request waits for the check phase of the
 * loop turn (issue 14, tail fairness; tributary.connection.turn.request.bytes). libuv reads a
 * readable socket up to 32 times per poll, and each read that completed a Produce frame was
 * handled on the spot: a producer pipelining ~1 MB requests had 16 appended per loop turn (16 MB,
 * 35-65 ms) while a consumer, one Fetch in flight, got one turn per 16 MB and fell hundreds of MB
 * behind, out of the tail cache. Now such a producer gets one request per turn, handled in the
 * check phase, and a Fetch that arrives meanwhile is answered in the next poll, before the
 * producer's next request. (Kafka mutes a connection while its request is handled: one request
 * per connection per poll too.)
 */
export const TURN_REQUEST_BYTES = 512 * 1024;

export class Connection implements BudgetWaiter {
  readonly info: ConnectionInfo;
  /** Plain TCP: FrameReader (reused read memory, pooled Produce frames); TLS: FrameDecoder. */
  private readonly decoder: FrameDecoder | FrameReader;
  private readonly pending: Slot[] = [];
  private paused = false;
  /** Set once the connection is only finishing its last responses before closing. */
  private draining = false;
  private closed = false;
  /** Graceful shutdown: never resume reading. */
  private stopped = false;
  private processing = false;
  /** A flush is queued for the end of the current microtasks (scheduleFlush). */
  private flushQueued = false;
  /** Bytes of queued.max.request.bytes held for the partial frame at the head of the decoder. */
  private reservedBytes = 0;
  /** Slow-sender watchdog (checkStalledReceive): when the current partial frame was first seen. */
  private partialSince = 0;
  private partialFrameIndex = -1;
  /** Request bytes handled since the connection last yielded (TURN_REQUEST_BYTES). */
  private turnBytes = 0;
  /** Its turn's request bytes are spent: the next frame waits for the check phase (yieldTurn). */
  private yielding = false;
  /** The frame read while yielding, handled first when the connection's next turn starts. */
  private held: { frame: Buffer; lease: BufferLease | null } | null = null;
  private readonly turnRequestBytes: number;
  /** Client quotas (KIP-219): reading stops while the last response's throttle time runs. */
  private readonly mute = new ChannelMute(() => this.maybeResume());

  constructor(
    socket: Socket,
    id: number,
    listenerName: string,
    private readonly handlers: HandlerLookup,
    private readonly limits: ConnectionLimits,
    private readonly logger: Logger,
    private readonly onClose: (c: Connection) => void,
    private readonly budgets: NetworkBudgets,
    security: ConnectionSecurity = {},
  ) {
    this.turnRequestBytes = limits.turnRequestBytes ?? TURN_REQUEST_BYTES;
    this.info = { id, listenerName, remoteAddress: `${socket.remoteAddress}:${socket.remotePort}`, socket, principal: security.principal ?? 'User:ANONYMOUS' };
    const reader = new FrameReader(limits.maxRequestBytes);
    const userBuffer = FrameReader.attach(socket, net, reader, () => this.processFrames());
    this.decoder = userBuffer ? reader : new FrameDecoder(limits.maxRequestBytes);
    this.info.throttle = (ms) => this.mute.mute(ms);
    if (security.sasl) {
      const sasl = security.sasl((principal) => {
        this.info.principal = principal;
        this.decoder.maxFrameBytes = limits.maxRequestBytes;
      });
      this.info.sasl = sasl;
      // Until authenticated, every frame is bounded by sasl.server.max.receive.size (as Kafka).
      this.decoder.maxFrameBytes = Math.min(limits.maxRequestBytes, sasl.config.maxReceiveSize);
      // An unauthenticated connection gets a deadline, so holding one open costs an attacker
      // something: it is closed if authentication has not completed in time.
      if (sasl.config.authTimeoutMs > 0) {
        const deadline = setTimeout(() => {
          if (this.closed || this.draining || sasl.authenticated) return;
          this.logger.info('closing connection: authentication not completed in time', { connection: this.info.remoteAddress });
          this.close();
        }, sasl.config.authTimeoutMs).unref();
        // Released with the socket, so a flood of short-lived connections holds no closures.
        socket.once('close', () => clearTimeout(deadline));
      }
    }
    socket.setNoDelay(true);
    if (limits.idleTimeoutMs > 0) {
      socket.setTimeout(limits.idleTimeoutMs, () => {
        this.logger.debug('closing idle connection', { connection: this.info.remoteAddress });
        this.close();
      });
    }
    if (!userBuffer) {
      const decoder = this.decoder as FrameDecoder;
      socket.on('data', (chunk: Buffer) => {
        decoder.push(chunk);
        this.processFrames();
      });
    }
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.logger.debug('socket error', { connection: this.info.remoteAddress, error: err.message }));
    socket.on('close', () => {
      this.closed = true;
      this.mute.dispose();
      this.budgets.requests.release(this.pending.length);
      this.pending.length = 0;
      if (this.decoder instanceof FrameReader) this.decoder.dispose();
      this.held?.lease?.release();
      this.held = null;
      this.releaseReservation();
      this.budgets.requests.forget(this);
      this.budgets.receiveBytes.forget(this);
      this.onClose(this);
    });
  }

  get inflight(): number {
    return this.pending.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.info.socket.destroy();
  }

  /** Stops reading new requests (graceful shutdown) while in-flight ones finish. */
  stopReading(): void {
    this.stopped = true;
    this.paused = true;
    this.info.socket.pause();
  }

  /** Budget wake-up (BudgetWaiter): room was released in a shared budget this connection waits on. */
  wake(): void {
    this.maybeResume();
  }

  /**
   * Slow-sender watchdog, called periodically by the server: closes the connection when the same
   * partial frame has been pending for `timeoutMs` (counted from when a check first saw it, so a
   * sender trickling bytes cannot extend it). A paused connection is not the sender's fault.
   */
  checkStalledReceive(now: number, timeoutMs: number): void {
    if (this.closed || this.paused || !this.decoder.hasPartialFrame()) {
      this.partialSince = 0;
      return;
    }
    const index = this.decoder.framesDecoded;
    if (this.partialSince === 0 || index !== this.partialFrameIndex) {
      this.partialSince = now;
      this.partialFrameIndex = index;
      return;
    }
    if (now - this.partialSince < timeoutMs) return;
    this.logger.warn('closing connection: request not received in time', {
      connection: this.info.remoteAddress,
      bufferedBytes: this.decoder.bufferedBytes,
      declaredBytes: this.decoder.pendingFrameSize(),
      timeoutMs,
    });
    this.close();
  }

  private overloaded(): boolean {
    return (
      this.mute.muted ||
      this.pending.length >= this.limits.maxInflightRequests ||
      this.info.socket.writableLength >= this.limits.maxUnsentResponseBytes ||
      this.budgets.requests.exhausted
    );
  }

  private pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.info.socket.pause();
    }
  }

  private processFrames(): void {
    if (this.processing) return; // re-entrancy: a sync handler completing can trigger maybeResume
    this.processing = true;
    try {
      while (!this.closed && !this.draining) {
        if (this.overloaded()) {
          this.pause();
          if (this.budgets.requests.exhausted) this.budgets.requests.wait(this);
          return;
        }
        let frame: Buffer;
        let lease: BufferLease | null;
        const held = this.held;
        if (held !== null) {
          this.held = null;
          frame = held.frame;
          lease = held.lease;
        } else {
          const next = this.decoder.next();
          if (next === null) {
            this.reserveForPartialFrame();
            return;
          }
          if (this.reservedBytes > 0) this.releaseReservation();
          frame = next;
          lease = this.decoder instanceof FrameReader ? this.decoder.lastLease : null;
          if (this.yielding) {
            // Its turn's budget is spent: the frame waits for the check phase, and reading stops
            // until then (one frame held, not as many as the poll could read).
            this.held = { frame, lease };
            this.pause();
            return;
          }
        }
        this.turnBytes += frame.length;
        if (lease === null) {
          this.handleFrame(frame);
        } else {
          // The frame's pooled buffer goes back once the request is answered (or failed); storage
          // holds its own reference while it still needs the bytes (buffer-pool.ts).
          let settled = false;
          try {
            settled = !this.handleFrame(frame, lease);
          } finally {
            if (settled) lease.release();
          }
        }
        if (this.turnBytes >= this.turnRequestBytes && this.turnRequestBytes > 0) this.yieldTurn();
      }
    } catch (err) {
      this.failed(err);
    } finally {
      this.processing = false;
    }
  }

  /**
   * Ends this connection's turn: its next frame is handled in the check phase (setImmediate), after
   * every other socket readable in this poll. Reading goes on until that frame is complete, so it
   * is ready then; a consumer's Fetch that arrives while it is handled is served in the next poll,
   * before the frame after it. overloaded() is untouched: no other wake-up (drain, a response
   * flushed, a budget) resumes a connection paused here before its turn.
   */
  private yieldTurn(): void {
    this.turnBytes = 0;
    this.yielding = true;
    setImmediate(this.nextTurn);
  }

  private readonly nextTurn = (): void => {
    this.yielding = false;
    try {
      if (this.paused) this.maybeResume();
      else this.processFrames();
    } catch (err) {
      this.failed(err);
    }
  };

  /**
   * queued.max.request.bytes: a frame that did not arrive whole holds its declared size from the
   * broker-wide budget until it is complete (as Kafka's memory pool does), so partial requests
   * across all connections cannot exceed the bound. No room: stop reading until there is.
   */
  private reserveForPartialFrame(): void {
    if (this.reservedBytes > 0 || this.budgets.receiveBytes.limit <= 0) return;
    const size = this.decoder.pendingFrameSize();
    if (size <= 0) return;
    if (this.budgets.receiveBytes.tryAcquire(size)) {
      this.reservedBytes = size;
      return;
    }
    this.pause();
    this.budgets.receiveBytes.wait(this);
  }

  private releaseReservation(): void {
    if (this.reservedBytes === 0) return;
    this.budgets.receiveBytes.release(this.reservedBytes);
    this.reservedBytes = 0;
  }

  private maybeResume(): void {
    if (this.closed || this.stopped || this.draining || this.yielding || !this.paused) return;
    if (this.overloaded()) {
      if (this.budgets.requests.exhausted) this.budgets.requests.wait(this);
      return;
    }
    this.paused = false;
    this.info.socket.resume();
    this.processFrames();
  }

  /** Anything thrown while handling this connection: log it once, close only this connection. */
  private failed(err: unknown): void {
    if (this.closed) return;
    if (err instanceof InvalidFrameSizeError) {
      this.logger.warn('closing connection: invalid frame size', { connection: this.info.remoteAddress, error: err.message });
    } else {
      this.logger.error('closing connection: unexpected error while handling its requests', {
        connection: this.info.remoteAddress,
        error: (err as Error)?.stack ?? String(err),
      });
    }
    this.close();
  }

  /** Returns true when the handler continues asynchronously and will release `lease` itself. */
  private handleFrame(frame: Buffer, lease: BufferLease | null = null): boolean {
    if (this.info.sasl?.rawTokens) {
      this.handleRawSaslToken(this.info.sasl, frame);
      return false;
    }
    if (frame.length < 8) {
      this.protocolViolation('request shorter than its header');
      return false;
    }
    const header: RequestHeader = {
      apiKey: frame.readInt16BE(0),
      apiVersion: frame.readInt16BE(2),
      correlationId: frame.readInt32BE(4),
      clientId: null,
    };
    const handler = this.handlers.get(header.apiKey);
    const codec = API_CODECS.get(header.apiKey);
    if (!handler || !codec) {
      this.protocolViolation(`unsupported API key ${header.apiKey}`);
      return false;
    }
    const versionOk = header.apiVersion >= handler.minVersion && header.apiVersion <= handler.maxVersion;
    if (!versionOk && header.apiKey !== API_VERSIONS_KEY) {
      this.protocolViolation(`unsupported version ${header.apiVersion} of API key ${header.apiKey}`);
      return false;
    }
    const refusal = this.info.sasl?.admit(header.apiKey, versionOk) ?? null;
    if (refusal !== null) {
      this.protocolViolation(refusal);
      return false;
    }
    const slot: Slot = { correlationId: header.correlationId, done: false, chunks: null };
    this.pending.push(slot);
    this.budgets.requests.acquire(1);
    if (!versionOk) {
      // KIP-511: answer a too-new ApiVersions with a v0 response listing what we support, so the
      // client can pick a version it shares with us.
      const body = { ...this.handlers.apiVersionsFallback(), errorCode: ErrorCode.UNSUPPORTED_VERSION };
      this.complete(slot, { ...header, apiVersion: 0 }, body);
      return false;
    }
    let request: unknown;
    try {
      const r = new Reader(frame, 8);
      const hv = requestHeaderVersion(header.apiKey, header.apiVersion);
      if (hv >= 1) header.clientId = r.readNullableString();
      if (hv >= 2) r.skipTaggedFields();
      // Produce: the one-topic one-partition request decoded directly (protocol/fast; same result).
      request = header.apiKey === PRODUCE_KEY ? decodeProduceRequestFast(r, header.apiVersion) : codec.decodeRequest(r, header.apiVersion);
    } catch (err) {
      if (err instanceof DecodeError && header.apiKey === API_VERSIONS_KEY && header.apiVersion >= 3) {
        // Kafka answers an unparseable ApiVersions v3+ body with INVALID_REQUEST instead of closing.
        this.complete(slot, { ...header, apiVersion: 0 }, { ...this.handlers.apiVersionsFallback(), errorCode: ErrorCode.INVALID_REQUEST });
        return false;
      }
      this.pending.pop();
      this.budgets.requests.release(1);
      this.protocolViolation(`malformed request (api ${header.apiKey} v${header.apiVersion}): ${(err as Error).message}`);
      return false;
    }
    const ctx: RequestContext = { header, connection: this.info, receivedAt: performance.now(), requestBytes: frame.length };
    let outcome: HandlerOutcome | Promise<HandlerOutcome>;
    try {
      outcome = handler.handle(ctx, request);
    } catch (err) {
      this.handlerFailed(slot, header, handler, request, err);
      return false;
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (o) => {
          try {
            this.finish(slot, header, o);
          } catch (err) {
            this.failed(err);
          } finally {
            lease?.release();
          }
        },
        (err) => {
          try {
            this.handlerFailed(slot, header, handler, request, err);
          } catch (err2) {
            this.failed(err2);
          } finally {
            lease?.release();
          }
        },
      );
      return true;
    }
    this.finish(slot, header, outcome);
    return false;
  }

  private finish(slot: Slot, header: RequestHeader, outcome: HandlerOutcome): void {
    if (outcome === NO_RESPONSE) {
      slot.done = true;
      this.scheduleFlush();
      return;
    }
    if (outcome === CLOSE_CONNECTION) {
      this.close();
      return;
    }
    if (outcome instanceof RespondThenClose) {
      this.complete(slot, header, outcome.body);
      this.closeSoon();
      return;
    }
    this.complete(slot, header, outcome);
  }

  /**
   * A raw SASL token (after a v0 SaslHandshake): evaluated in order with the requests before it;
   * the reply goes back size-prefixed without a Kafka header. A failure closes without a reply,
   * as Kafka does on this path.
   */
  private handleRawSaslToken(sasl: SaslSession, token: Buffer): void {
    const reply = sasl.evaluateRaw(token);
    if (reply === null) {
      this.logger.info('SASL authentication failed', { connection: this.info.remoteAddress, listener: this.info.listenerName });
      this.closeSoon();
      return;
    }
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(reply.length, 0);
    this.pending.push({ correlationId: -1, done: true, chunks: [size, reply] });
    this.flush();
  }

  /** Stops reading, lets queued responses go out, and closes a moment later. */
  private closeSoon(): void {
    if (this.closed) return;
    this.stopReading();
    this.draining = true;
    // connection.failed.authentication.delay.ms: slows down password guessing, as Kafka does.
    setTimeout(() => this.close(), this.info.sasl?.config.failedAuthDelayMs ?? 0).unref();
  }

  private handlerFailed(slot: Slot, header: RequestHeader, handler: ApiHandler, request: unknown, err: unknown): void {
    this.logger.error('request handler failed', {
      apiKey: header.apiKey,
      apiVersion: header.apiVersion,
      error: (err as Error)?.stack ?? String(err),
    });
    if (handler.errorResponse && !this.closed) {
      try {
        this.complete(slot, header, handler.errorResponse(request, ErrorCode.UNKNOWN_SERVER_ERROR, header.apiVersion));
        return;
      } catch {
        // fall through to closing: we cannot build a response the client would understand
      }
    }
    this.close();
  }

  private complete(slot: Slot, header: RequestHeader, body: object): void {
    if (this.closed) return;
    const codec = API_CODECS.get(header.apiKey)!;
    const w = sharedEncoder;
    w.reset();
    w.writeInt32(0);
    w.writeInt32(header.correlationId);
    if (responseHeaderVersion(header.apiKey, header.apiVersion) >= 1) w.writeUnsignedVarint(0);
    try {
      codec.encodeResponse(w, header.apiVersion, body);
    } catch (err) {
      this.logger.error('response encoding failed', { apiKey: header.apiKey, apiVersion: header.apiVersion, error: (err as Error).stack });
      this.close();
      return;
    }
    w.setInt32At(0, w.length - 4);
    if (w.contiguous && w.length <= COPY_OUT_MAX_BYTES) {
      slot.chunks = w.copyOut();
    } else {
      // A Fetch response with records: those stay by reference, the few bytes around them are
      // copied out, and the encoder is kept (a new Writer and its 4 KiB buffer per fetch before).
      const detached = w.detachChunks(COPY_OUT_MAX_BYTES);
      if (detached !== null) {
        slot.chunks = detached;
      } else {
        slot.chunks = w.toChunks();
        sharedEncoder = new Writer(4096);
      }
    }
    slot.done = true;
    this.scheduleFlush();
  }

  /**
   * Responses completed in the same pass go out in one write: the flush runs once the current
   * microtasks have drained (process.nextTick), so the pipelined Produce requests of one read,
   * whose appends share one write group and complete together, cost one writev instead of one
   * write each (issue 14, latency). No timer and no extra event-loop turn: a lone response is
   * written in the same turn as before, right after its handler's continuation.
   */
  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    process.nextTick(() => {
      this.flushQueued = false;
      // Closed meanwhile (another request's failure): nothing more is written, as before this
      // was deferred; the slots' budget goes back on 'close'.
      if (this.closed) return;
      try {
        this.flush();
      } catch (err) {
        this.failed(err);
      }
    });
  }

  private flush(): void {
    const socket = this.info.socket;
    let corked = false;
    while (this.pending.length > 0 && this.pending[0]!.done) {
      const slot = this.pending.shift()!;
      this.budgets.requests.release(1);
      if (slot.chunks === null) continue;
      // Cork only when more than one write follows: a lone response (one small Produce answered at
      // a time) is written straight away, without the stream's cork buffer and its clearBuffer
      // pass (issue 14, per-request CPU; the same one socket write either way).
      if (!corked && (Array.isArray(slot.chunks) || (this.pending.length > 0 && this.pending[0]!.done))) {
        socket.cork();
        corked = true;
      }
      const out = slot.chunks;
      if (!Array.isArray(out)) {
        socket.write(out); // copied out of the shared encoder: nothing lent
        continue;
      }
      for (const c of out) {
        // A view of a pooled buffer lent by storage: give its reference back once it is sent.
        const lease = takeLentView(c);
        if (lease === undefined) socket.write(c);
        else socket.write(c, () => lease.release());
      }
    }
    if (corked) socket.uncork();
    this.maybeResume();
  }

  private protocolViolation(reason: string): void {
    this.logger.warn('closing connection: protocol violation', { connection: this.info.remoteAddress, reason });
    this.close();
  }
}
