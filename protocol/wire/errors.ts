/**
 * Thrown by Reader and the generated decoders when a frame is malformed: truncated input,
 * negative or oversized lengths, array counts larger than the bytes remaining, over-long
 * varints, unsupported versions. The network layer catches it and closes the connection.
 */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}
