// Errors raised by the record codecs. Every failure carries the Kafka error code the broker should
// answer with, so callers can turn an exception into a response without guessing.
//
// Codes from protocol/specs/error-codes.tsv, hard-coded here because protocol/errors.ts is
// generated separately; the names match that table exactly.

export const ErrorCodes = {
  /** 2: failed its CRC, or is otherwise corrupt (bad lengths, undecodable compressed data). */
  CORRUPT_MESSAGE: 2,
  /** 10: larger than the max message size the server will accept (also our decompression limit). */
  MESSAGE_TOO_LARGE: 10,
  /** 32: timestamp out of range, or a producer claimed LogAppendTime. */
  INVALID_TIMESTAMP: 32,
  /** 43: e.g. transactional/idempotent data that a magic 0/1 format cannot carry. */
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  /** 76: zstd where the request version or the message format does not allow it. */
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  /** 87: structurally valid but rejected (offset range, counts, control batch from a client...). */
  INVALID_RECORD: 87,
} as const;

export type RecordsErrorName = keyof typeof ErrorCodes;

/** Typed error thrown by decoders/converters; the network layer maps it to `errorCode`. */
export class RecordsError extends Error {
  readonly errorCode: number;

  constructor(
    readonly errorName: RecordsErrorName,
    message: string,
  ) {
    super(message);
    this.name = 'RecordsError';
    this.errorCode = ErrorCodes[errorName];
  }
}

export function corrupt(message: string): RecordsError {
  return new RecordsError('CORRUPT_MESSAGE', message);
}
