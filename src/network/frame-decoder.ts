// Splits a TCP byte stream into Kafka request frames: [int32 size][size bytes].
// Chunks are kept by reference; a frame is copied only when it spans chunks.
// The size is bounded by socket.request.max.bytes before anything is allocated.

export class FrameTooLargeError extends Error {}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Mutable: SASL listeners bound frames tighter until the client has authenticated. */
  constructor(public maxFrameBytes: number) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Next complete frame body (without the size prefix), or null when more bytes are needed. */
  next(): Buffer | null {
    if (this.buffered < 4) return null;
    const size = this.peekSize();
    if (size < 0 || size > this.maxFrameBytes) {
      throw new FrameTooLargeError(`frame size ${size} outside [0, ${this.maxFrameBytes}] (socket.request.max.bytes)`);
    }
    if (this.buffered < 4 + size) return null;
    this.consume(4);
    return this.consume(size);
  }

  private peekSize(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.concat(this.chunks, 4);
    return head.readInt32BE(0);
  }

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
