// Kafka's Uuid: 16 random bytes shown as base64url without padding (22 chars).
import { randomBytes } from 'node:crypto';

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
/** Kafka reserves Uuid(0, 1) as a sentinel ("metadata topic id"). */
const ONE_UUID = 'AAAAAAAAAAAAAAAAAAAAAQ';

export function randomUuid(): string {
  for (;;) {
    const s = randomBytes(16).toString('base64url');
    // Kafka re-draws ids that start with '-' (they look like command-line flags) and the sentinels.
    if (!s.startsWith('-') && s !== ZERO_UUID && s !== ONE_UUID) return s;
  }
}
