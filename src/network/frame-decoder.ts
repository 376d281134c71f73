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
  private chunks: Buffer[] = [];
  private buffered = 0;
  private decoded = 0;

  constructor(private readonly maxFrameBytes: number) {}

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
    if (this.buffered < 4) return null;
    const size = this.peekSize();
    if (size < MIN_REQUEST_FRAME_BYTES || size > this.maxFrameBytes) {
      throw new InvalidFrameSizeError(
        `frame size ${size} outside [${MIN_REQUEST_FRAME_BYTES}, ${this.maxFrameBytes}] (request header, socket.request.max.bytes)`,
      );
    }
    if (this.buffered < 4 + size) return null;
    this.consume(4);
    this.decoded++;
    return this.consume(size);
  }

  /** True when bytes of a frame that is not complete yet are buffered (call after next() returned null). */
  hasPartialFrame(): boolean {
    if (this.buffered === 0) return false;
    if (this.buffered < 4) return true;
    return this.buffered < 4 + this.peekSize();
  }

  /** Declared size of the frame at the head of the buffer, -1 while its prefix is incomplete. */
  pendingFrameSize(): number {
    return this.buffered < 4 ? -1 : this.peekSize();
  }

  private peekSize(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.concat(this.chunks, 4);
    return head.readInt32BE(0);
  }

  /** Removes n (> 0, <= buffered) bytes from the front. */
  private consume(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const take = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, take);
      filled += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    return out;
  }
}
