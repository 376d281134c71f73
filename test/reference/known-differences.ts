// Differences between Apache Kafka 4.1 and Tributary that the differential test
// (test/reference/differential.test.ts) found and that stay, each with its reason. README.md's
// "Compatibility notes" says the same for users. A difference not listed here fails the test.
export interface KnownDifference {
  /** Session name as the differential test labels it (e.g. "ConsumerSession consumer"). */
  session: RegExp;
  /** Matches Difference.path (step.field...). */
  path: RegExp;
  reason: string;
  /** Seen in some runs only: not reported as stale when it does not occur. */
  intermittent?: boolean;
}

export const KNOWN_DIFFERENCES: KnownDifference[] = [
  {
    session: /^AdminSession$/,
    path: /^describeConfigs\.topic\.result\.ok\.min\.insync\.replicas\.(source|isDefault)$/,
    reason:
      'A Kafka 4.x KRaft cluster with eligible leader replicas (KIP-966) writes min.insync.replicas as a cluster-wide dynamic default at format time, so topics report source DYNAMIC_DEFAULT_BROKER_CONFIG; Tributary has no ELR and reports the static default (same value).',
  },
  {
    session: /^ClusterSession$/,
    path: /^describeConfigs\.broker\.result\.ok\.min\.insync\.replicas\.(source|isDefault)$/,
    reason: 'The same cluster-wide min.insync.replicas default, seen by DescribeConfigs of a broker of the three-node cluster (see above).',
  },
  {
    session: /^FetchSession$/,
    path: /^describeConfigs\.broker\.result\.ok\.min\.insync\.replicas\.source$/,
    reason: 'The broker-level view of the same cluster-wide min.insync.replicas default (see above).',
  },
  {
    session: /^FetchSession$/,
    path: /^partitionsFor\.unknown\.result\.ok$/,
    reason:
      'Auto-creation through Metadata: a KRaft broker forwards the creation to the controller and first answers UNKNOWN_TOPIC_OR_PARTITION (the Java consumer\'s partitionsFor returns an empty list), the topic appearing a moment later; Tributary creates the topic before answering, so the first answer already has it. Both create it (consumerMetadata.autoCreates matches).',
  },
  {
    session: /^CompactionSession$/,
    path: /^createTopic\.tinySegmentBytes\.result\.(ok|error)$/,
    reason:
      'Kafka 4 (KIP-1030) refuses segment.bytes below 1 MiB (its own tests use the internal internal.segment.bytes instead); Tributary still accepts down to 14 bytes, which its tests and tiered-storage examples use to roll segments quickly.',
  },
  {
    session: /^AdminSession$/,
    path: /^describeConfigs\.topic\.result\.ok\.message\.format\.version$/,
    reason:
      'Kafka 4 removed message.format.version; Tributary accepts it as Kafka 3.x did (librdkafka\'s own tests set it through AlterConfigs), ignores its value with a warning, and lists it in DescribeConfigs as 3.x did.',
  },
];
