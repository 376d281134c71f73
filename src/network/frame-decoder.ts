// Splits a TCP byte stream into Kafka request frames: [int32 size][size bytes].
// Chunks are kept by reference; a frame is copied only when it spans chunks.
// The size is checked as soon as its 4 bytes are in, before anything is allocated: below the
// smallest request header or above socket.request.max.bytes (Kafka: InvalidReceiveException /
// InvalidRequestException) the connection must be closed, so next() throws InvalidFrameSizeError.
// No other exception may come out of here: the connection treats anything else as a bug.

/** apiKey int16 + apiVersion int16 + correlationId int32: request header v0, the smallest there is. */
export const MIN_REQUEST_FRAME_BYTES = 8;

export class InvalidFrameSizeError extends Error {}

export class FrameDecoder {
  // Chunks from `head` on are unconsumed. An index instead of shift() keeps a frame that arrived
  // in many tiny chunks linear to take apart (shift() is O(n) per call on large arrays).
  private chunks: Buffer[] = [];
  private head = 0;
  private buffered = 0;
  /** Size of the frame at the head, read once per frame (-1 until its 4 prefix bytes are in). */
  private headSize = -1;
  private decoded = 0;

  /** Mutable: SASL listeners bound frames tighter until the client has authenticated. */
  constructor(public maxFrameBytes: number) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Frames returned so far; lets a watchdog tell a stalled partial frame from a new one. */
  get framesDecoded(): number {
    return this.decoded;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Next complete frame body (without the size prefix), or null when more bytes are needed. */
  next(): Buffer | null {
    let size = this.headSize;
    if (size < 0) {
      if (this.buffered < 4) return null;
      size = this.readSize();
      if (size < MIN_REQUEST_FRAME_BYTES || size > this.maxFrameBytes) {
        throw new InvalidFrameSizeError(
          `frame size ${size} outside [${MIN_REQUEST_FRAME_BYTES}, ${this.maxFrameBytes}] (request header, socket.request.max.bytes)`,
        );
      }
      this.headSize = size;
    }
    if (this.buffered < 4 + size) return null;
    this.consume(4);
    this.headSize = -1;
    this.decoded++;
    return this.consume(size);
  }

  /** True when bytes of a frame that is not complete yet are buffered (call after next() returned null). */
  hasPartialFrame(): boolean {
    if (this.buffered === 0) return false;
    if (this.buffered < 4) return true;
    return this.buffered < 4 + this.pendingFrameSize();
  }

  /** Declared size of the frame at the head of the buffer, -1 while its prefix is incomplete. */
  pendingFrameSize(): number {
    if (this.headSize >= 0) return this.headSize;
    return this.buffered < 4 ? -1 : this.readSize();
  }

  /** The int32 prefix at the head; the caller checked that 4 bytes are buffered. */
  private readSize(): number {
    const first = this.chunks[this.head]!;
    if (first.length >= 4) return first.readInt32BE(0);
    let v = 0;
    let got = 0;
    for (let i = this.head; got < 4; i++) {
      const c = this.chunks[i]!;
      for (let j = 0; j < c.length && got < 4; j++, got++) v = (v << 8) | c[j]!;
    }
    return v | 0;
  }

  /** Removes n (> 0, <= buffered) bytes from the front. */
  private consume(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[this.head]!;
    if (first.length > n) {
      this.chunks[this.head] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.dropHead();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[this.head]!;
      const take = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, take);
      filled += take;
      if (take === c.length) this.dropHead();
      else this.chunks[this.head] = c.subarray(take);
    }
    return out;
  }

  private dropHead(): void {
    this.chunks[this.head++] = EMPTY;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head >= 8 && this.head * 2 >= this.chunks.length) {
      // At least half the slots are dead: compacting costs no more than the drops since the
      // last one (amortized O(1)) and keeps the array short while a tail chunk lingers.
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }
}

const EMPTY = Buffer.alloc(0);
