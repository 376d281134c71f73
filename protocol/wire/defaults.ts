/** Shared default values used by the generated codecs. */

/** The all-zero uuid in Kafka's display form (base64url, no padding). */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Default for absent non-nullable bytes fields. Zero-length, so sharing it is harmless. */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);
