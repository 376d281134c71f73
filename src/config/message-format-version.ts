// message.format.version (topic) and log.message.format.version (broker): deprecated in Kafka 3.x
// and ignored once inter.broker.protocol.version >= 3.0 (always, here: the log is message format
// v2 only, and old fetchers get down-converted data regardless). Kafka 3.x still accepts and
// validates the keys, and clients' own test suites (librdkafka's) set them, so we do the same;
// Kafka 4.0 removed them.
//
// Valid values are Kafka's MetadataVersion strings ("0.10.0", "0.10.0-IV1", "2.8", "2.8-IV1",
// "3.0"...). As in MetadataVersion.fromVersionString, longer release strings are cut to their
// significant segments first: 3 for 0.x ("0.10.0.1" -> "0.10.0"), 2 otherwise ("2.8.1" -> "2.8").

/** Kafka 3.x's default for both keys (MetadataVersion.IBP_3_0_IV1). */
export const DEFAULT_MESSAGE_FORMAT_VERSION = '3.0-IV1';

/** Release -> its internal versions (IV), in Kafka 3.9's MetadataVersion. */
const RELEASES: readonly (readonly [string, number])[] = [
  ['0.8.0', 0], ['0.8.1', 0], ['0.8.2', 0], ['0.9.0', 0],
  ['0.10.0', 2], ['0.10.1', 3], ['0.10.2', 1], ['0.11.0', 3],
  ['1.0', 1], ['1.1', 1], ['2.0', 2], ['2.1', 3], ['2.2', 2], ['2.3', 2], ['2.4', 2], ['2.5', 1],
  ['2.6', 1], ['2.7', 3], ['2.8', 2], ['3.0', 2], ['3.1', 1], ['3.2', 1], ['3.3', 4], ['3.4', 1],
  ['3.5', 3], ['3.6', 3], ['3.7', 5], ['3.8', 1], ['3.9', 1],
];

const VERSIONS: ReadonlySet<string> = new Set(
  RELEASES.flatMap(([release, ivs]) => [release, ...Array.from({ length: ivs }, (_, i) => `${release}-IV${i}`)]),
);

export function isValidMessageFormatVersion(value: string): boolean {
  const segments = value.split('.');
  const significant = value.startsWith('0.') ? 3 : 2;
  const key = segments.length <= significant ? value : segments.slice(0, significant).join('.');
  return VERSIONS.has(key);
}

export function messageFormatVersionValidator(v: unknown): string | null {
  if (v === null) return null;
  return isValidMessageFormatVersion(v as string) ? null : `Version ${v as string} is not a valid version`;
}

/** Kafka's warning when a topic sets the key (LogConfig / ConfigAdminManager in 3.x). */
export function ignoredTopicMessageFormatWarning(topic: string, value: string): string {
  return (
    `Topic configuration message.format.version with value \`${value}\` is ignored for \`${topic}\` because the ` +
    'inter-broker protocol version is greater or equal than 3.0. This configuration is deprecated and it will be removed in Apache Kafka 4.0.'
  );
}
