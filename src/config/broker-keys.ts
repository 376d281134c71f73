// Every broker-level key Tributary accepts, with Kafka's names, types, defaults, validators and
// update modes (Kafka 3.x/4.x docs, "Broker Configs"). Where Tributary's default differs from
// Kafka's the doc says so: we default to a single local node (node.id 1, 127.0.0.1 listener,
// replication factors 1) so `npx tributary` just works.
//
// Keys marked "accepted, informational" are parsed, validated and reported by DescribeConfigs so
// Kafka tooling and existing server.properties files work, but Tributary does not act on them.
import { parsePerIpOverrides } from './per-ip-overrides.js';
import { bool, double, int, list, long, password, short, str, LONG_MAX, INT_MAX } from './config-def.js';
import { DEFAULT_MESSAGE_FORMAT_VERSION, messageFormatVersionValidator } from './message-format-version.js';

const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const;
const TIMESTAMP_TYPES = ['CreateTime', 'LogAppendTime'] as const;
const CLEANUP_POLICIES = ['compact', 'delete'] as const;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

const nonEmpty = (v: unknown) => (v === null || (v as string).length > 0 ? null : 'Value must not be empty');
const noBlankEntries = (v: unknown) =>
  v === null || (v as string[]).every((s) => s.length > 0) ? null : 'List entries must not be empty';
const noDuplicates = (v: unknown) =>
  v === null || new Set(v as string[]).size === (v as string[]).length ? null : 'List must not contain duplicates';
const atLeastOne = (v: unknown) => (v === null || (v as string[]).length > 0 ? null : 'List must not be empty');
const dirList = (v: unknown) => atLeastOne(v) ?? noBlankEntries(v) ?? noDuplicates(v);
const pemOnly = (v: unknown) => (v === null || v === 'PEM' ? null : 'Only PEM is supported (Node has no JKS/PKCS12 keystore support here); convert the store to PEM');
// KIP-392: the two selectors Kafka ships (src/cluster/replica-selector.ts); Java classes cannot be loaded.
const REPLICA_SELECTORS = ['org.apache.kafka.common.replica.RackAwareReplicaSelector', 'org.apache.kafka.common.replica.LeaderSelector'];
const replicaSelector = (v: unknown) =>
  v === null || REPLICA_SELECTORS.includes(v as string) ? null : `Only ${REPLICA_SELECTORS.join(' and ')} are supported`;
const clusterId = (v: unknown) =>
  v === null || /^[\x21-\x7e]+$/.test(v as string) ? null : 'Cluster id must be non-empty printable ASCII without spaces';

export const BROKER_KEYS = {
  // ---- identity & listeners ----
  'node.id': int(1, { min: 0, importance: 'high', doc: 'The node id of this broker (Kafka requires it; Tributary defaults to 1).' }),
  'broker.id': int(null, { min: -1, importance: 'high', doc: 'Legacy alias of node.id; if both are set they must agree.' }),
  'cluster.id': str(null, {
    validate: clusterId,
    importance: 'high',
    doc: 'Cluster id; when unset the broker generates one on first start and persists it in its data directory.',
  }),
  'broker.rack': str(null, { doc: 'Rack of the broker, reported in Metadata responses.' }),
  listeners: list(['PLAINTEXT://127.0.0.1:9092'], {
    mode: 'per-broker',
    importance: 'high',
    validate: atLeastOne,
    validValues: 'NAME://host:port,...',
    doc: 'Listeners to bind: NAME://host:port; empty host binds all interfaces, port 0 an ephemeral port (Kafka default PLAINTEXT://:9092).',
  }),
  'advertised.listeners': list(null, {
    mode: 'per-broker',
    importance: 'high',
    validValues: 'NAME://host:port,...',
    doc: 'Listeners published to clients; defaults to listeners, with a wildcard host replaced by the host name.',
  }),
  'listener.security.protocol.map': list(['PLAINTEXT:PLAINTEXT', 'SSL:SSL', 'SASL_PLAINTEXT:SASL_PLAINTEXT', 'SASL_SSL:SASL_SSL'], {
    mode: 'per-broker',
    importance: 'low',
    validValues: 'NAME:PROTOCOL,...',
    doc: 'Maps listener names to security protocols.',
  }),
  'inter.broker.listener.name': str(null, {
    importance: 'medium',
    doc: 'Listener brokers of a cluster use to reach each other; defaults to the listener named by security.inter.broker.protocol (PLAINTEXT), else the first.',
  }),
  'security.inter.broker.protocol': str('PLAINTEXT', {
    oneOf: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'],
    importance: 'medium',
    doc: 'Alternative to inter.broker.listener.name: the listener named after this protocol. Setting both explicitly is an error; left at its default (PLAINTEXT) it yields to inter.broker.listener.name, and without a PLAINTEXT listener the first listener is used.',
  }),
  'sasl.mechanism.inter.broker.protocol': str('PLAIN', {
    oneOf: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
    importance: 'medium',
    doc: 'SASL mechanism brokers use on a SASL inter-broker listener (Kafka default GSSAPI, not implemented); credentials from listener.name.<l>.<mech>.sasl.jaas.config username/password.',
  }),

  // ---- TLS and SASL (src/auth); each may also be set per listener as listener.name.<name>.<key> ----
  'ssl.keystore.type': str('PEM', { validate: pemOnly, importance: 'medium', doc: 'Keystore format: only PEM (Kafka default JKS; Node has no JKS).' }),
  'ssl.keystore.location': str(null, { importance: 'high', doc: 'PEM file holding the private key and the certificate chain of SSL/SASL_SSL listeners.' }),
  'ssl.keystore.password': password(null, { importance: 'high', doc: 'Unused for PEM keystores (the key passphrase is ssl.key.password), accepted for compatibility.' }),
  'ssl.key.password': password(null, { importance: 'high', doc: 'Passphrase of an encrypted PEM private key.' }),
  'ssl.keystore.certificate.chain': password(null, { importance: 'high', doc: 'Certificate chain in PEM, inline (KIP-651); alternative to ssl.keystore.location.' }),
  'ssl.keystore.key': password(null, { importance: 'high', doc: 'Private key in PEM, inline (KIP-651); alternative to ssl.keystore.location.' }),
  'ssl.truststore.type': str('PEM', { validate: pemOnly, importance: 'medium', doc: 'Truststore format: only PEM (Kafka default JKS).' }),
  'ssl.truststore.location': str(null, { importance: 'high', doc: 'PEM file of CA certificates trusted for client certificates.' }),
  'ssl.truststore.password': password(null, { importance: 'high', doc: 'Unused for PEM truststores, accepted for compatibility.' }),
  'ssl.truststore.certificates': password(null, { importance: 'high', doc: 'Trusted CA certificates in PEM, inline (KIP-651).' }),
  'ssl.client.auth': str('none', { oneOf: ['required', 'requested', 'none'], importance: 'medium', doc: 'Client certificate authentication on SSL listeners.' }),
  'ssl.enabled.protocols': list(['TLSv1.2', 'TLSv1.3'], { oneOf: ['TLSv1.2', 'TLSv1.3'], validate: atLeastOne, importance: 'medium', doc: 'TLS versions accepted.' }),
  'sasl.enabled.mechanisms': list(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], {
    oneOf: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'],
    importance: 'medium',
    doc: 'SASL mechanisms of SASL listeners (Kafka default GSSAPI, which Tributary does not implement).',
  }),
  'sasl.oauthbearer.jwks.endpoint.url': str(null, { importance: 'medium', doc: 'OAUTHBEARER with OAuthBearerValidatorCallbackHandler: JWKS URL (file:, http:, https:) of the keys that sign tokens.' }),
  'sasl.oauthbearer.jwks.endpoint.refresh.ms': long(3600000, { min: 0, doc: 'How often the JWKS is fetched again.' }),
  'sasl.oauthbearer.expected.issuer': str(null, { importance: 'low', doc: 'OAUTHBEARER (JWKS): required iss claim.' }),
  'sasl.oauthbearer.expected.audience': list(null, { importance: 'low', doc: 'OAUTHBEARER (JWKS): the aud claim must name one of these.' }),
  'sasl.oauthbearer.sub.claim.name': str('sub', { importance: 'low', doc: 'OAUTHBEARER (JWKS): claim holding the principal name.' }),
  'sasl.oauthbearer.scope.claim.name': str('scope', { importance: 'low', doc: 'OAUTHBEARER (JWKS): claim holding the scopes.' }),
  'sasl.oauthbearer.clock.skew.seconds': int(30, { min: 0, doc: 'OAUTHBEARER (JWKS): allowed clock difference for exp and iat.' }),
  'sasl.server.max.receive.size': int(524288, { min: 1, doc: 'Largest SASL token (or request before authentication) accepted; larger ones close the connection.' }),
  'connection.failed.authentication.delay.ms': int(100, {
    min: 0,
    doc: 'A connection whose authentication failed is closed this much later (slows down password guessing).',
  }),
  'tributary.authentication.timeout.ms': long(10000, {
    min: 0,
    doc: 'SASL connections that have not authenticated within this time, and TLS handshakes not done within it, are closed; 0 = no deadline.',
  }),
  'ssl.principal.mapping.rules': str('DEFAULT', {
    importance: 'low',
    doc: "Rules mapping a client certificate's subject DN to a principal name: RULE:pattern/replacement/[LU], ... , DEFAULT (Kafka's syntax).",
  }),
  'authorizer.class.name': str('', {
    importance: 'low',
    doc: "ACLs are enforced when set; Kafka's org.apache.kafka.metadata.authorizer.StandardAuthorizer and kafka.security.authorizer.AclAuthorizer are accepted as-is.",
  }),
  'super.users': str(null, { importance: 'low', doc: 'Principals that bypass ACLs, separated by semicolons: User:admin;User:ops.' }),
  'allow.everyone.if.no.acl.found': bool(false, { importance: 'low', doc: 'With an authorizer: a resource no ACL names is open to everyone (default: closed).' }),
  // ---- delegation tokens (KIP-48; src/auth/delegation-token-*.ts) ----
  'delegation.token.secret.key': password(null, { importance: 'medium', doc: 'Secret that signs delegation tokens (HMAC-SHA512 of the token id); tokens are enabled only when it is set, and it must be the same on every broker.' }),
  'delegation.token.master.key': password(null, { importance: 'low', doc: 'Deprecated name of delegation.token.secret.key (used when that one is not set).' }),
  'delegation.token.max.lifetime.ms': long(604800000, { min: 1, doc: 'Longest a delegation token can live, renewals included (7 days).' }),
  'delegation.token.expiry.time.ms': long(86400000, { min: 1, doc: 'Default renewal period of a delegation token (1 day): it expires unless renewed within it.' }),
  'delegation.token.expiry.check.interval.ms': long(3600000, { min: 1, doc: 'How often expired delegation tokens are removed.' }),
  'connections.max.reauth.ms': long(0, { min: 0, doc: 'SASL session lifetime (KIP-368): clients must re-authenticate within it; 0 = unlimited.' }),

  // ---- storage layout ----
  'log.dirs': list(null, { validate: dirList, importance: 'high', doc: 'Comma-separated data directories; if unset, log.dir is used.' }),
  'log.dir': str('./tributary-data', {
    validate: nonEmpty,
    importance: 'high',
    doc: 'Data directory, used when log.dirs is unset (Kafka default /tmp/kafka-logs).',
  }),

  // ---- topic defaults ----
  'num.partitions': int(1, { min: 1, importance: 'medium', doc: 'Default number of partitions for auto-created topics and CreateTopics with -1.' }),
  'default.replication.factor': int(1, { min: 1, importance: 'medium', doc: 'Default replication factor for automatically created topics.' }),
  'auto.create.topics.enable': bool(true, { importance: 'high', doc: 'Create a topic when a Metadata request asks for an unknown one.' }),
  'delete.topic.enable': bool(true, { importance: 'high', doc: 'Allow DeleteTopics; when false it is refused.' }),
  'min.insync.replicas': int(1, { min: 1, mode: 'cluster-wide', importance: 'high', doc: 'Minimum in-sync replicas for an acks=all write to succeed.' }),
  'unclean.leader.election.enable': bool(false, { mode: 'cluster-wide', importance: 'high', doc: 'Allow out-of-sync replicas to become leader (may lose data).' }),
  'auto.leader.rebalance.enable': bool(true, { importance: 'high', doc: 'Cluster mode: the controller periodically gives partitions back to their preferred leader when a broker is imbalanced.' }),
  'leader.imbalance.check.interval.seconds': long(300, { min: 1, importance: 'high', doc: 'Cluster mode: how often the controller checks leader imbalance.' }),
  'leader.imbalance.per.broker.percentage': int(10, { min: 0, importance: 'high', doc: 'Cluster mode: share of a broker\'s preferred partitions led elsewhere above which they are moved back.' }),
  'controlled.shutdown.enable': bool(true, { importance: 'medium', doc: 'Cluster mode: a broker closing cleanly first asks the controller to move its leadership away.' }),
  'controlled.shutdown.max.retries': int(3, { min: 0, importance: 'medium', doc: 'Cluster mode: controlled shutdown attempts while partitions are still led here.' }),
  'controlled.shutdown.retry.backoff.ms': long(5000, { min: 0, importance: 'medium', doc: 'Cluster mode: wait between controlled shutdown attempts.' }),
  'compression.type': str('producer', {
    oneOf: COMPRESSION_TYPES,
    mode: 'cluster-wide',
    importance: 'high',
    doc: "Final compression of topic data; 'producer' keeps the producer's codec.",
  }),
  'compression.gzip.level': int(-1, { validate: gzipLevel, validValues: '[1,...,9] or -1', mode: 'cluster-wide', doc: 'Level when compression.type=gzip.' }),
  'compression.lz4.level': int(9, { min: 1, max: 17, mode: 'cluster-wide', doc: 'Level when compression.type=lz4.' }),
  'compression.zstd.level': int(3, { min: -131072, max: 22, mode: 'cluster-wide', doc: 'Level when compression.type=zstd.' }),

  // ---- log segments, indexes, flushing ----
  'log.segment.bytes': int(1073741824, {
    min: 14,
    mode: 'cluster-wide',
    importance: 'high',
    doc: 'Maximum size of a single segment file (minimum 14, as in Kafka 3.x).',
  }),
  'log.roll.ms': long(null, { mode: 'cluster-wide', importance: 'high', doc: 'Maximum time before a new segment is rolled; if unset, log.roll.hours is used.' }),
  'log.roll.hours': int(168, { min: 1, importance: 'high', doc: 'Maximum time before a new segment is rolled, in hours; secondary to log.roll.ms.' }),
  'log.roll.jitter.ms': long(null, { mode: 'cluster-wide', importance: 'high', doc: 'Maximum jitter subtracted from the roll time; if unset, log.roll.jitter.hours is used.' }),
  'log.roll.jitter.hours': int(0, { min: 0, importance: 'high', doc: 'Maximum roll jitter in hours; secondary to log.roll.jitter.ms.' }),
  'log.index.interval.bytes': int(4096, { min: 0, mode: 'cluster-wide', doc: 'Bytes between entries of the sparse offset index.' }),
  'log.index.size.max.bytes': int(10485760, { min: 4, mode: 'cluster-wide', doc: 'Maximum size of an offset index file; a full index rolls the segment.' }),
  'log.flush.interval.messages': long(LONG_MAX, { min: 1, mode: 'cluster-wide', importance: 'high', doc: 'Messages accumulated on a partition before an fsync.' }),
  'log.flush.interval.ms': long(null, { mode: 'cluster-wide', importance: 'high', doc: 'Maximum time data stays unflushed; if unset, log.flush.scheduler.interval.ms is used.' }),
  'log.flush.scheduler.interval.ms': long(LONG_MAX, { importance: 'high', doc: 'How often the flusher checks whether a log needs flushing.' }),
  'log.flush.offset.checkpoint.interval.ms': int(60000, { min: 0, importance: 'high', doc: 'How often the recovery point checkpoint is written.' }),
  'log.preallocate': bool(false, { mode: 'cluster-wide', doc: 'Preallocate segment files (accepted, informational).' }),
  'log.segment.delete.delay.ms': long(60000, { min: 0, mode: 'cluster-wide', doc: 'Delay before a deleted segment file is removed from the file system.' }),
  'log.message.format.version': str(DEFAULT_MESSAGE_FORMAT_VERSION, {
    validate: messageFormatVersionValidator,
    validValues: '[0.8.0, 0.8.1, ..., 3.9-IV0] (Kafka versions)',
    doc: '[DEPRECATED] Accepted and validated as in Kafka 3.x, then ignored with a warning: the log always uses message format v2.',
  }),
  'log.message.timestamp.type': str('CreateTime', { oneOf: TIMESTAMP_TYPES, mode: 'cluster-wide', doc: 'Whether record timestamps are the create time or the log append time.' }),
  'log.message.timestamp.before.max.ms': long(LONG_MAX, { min: 0, mode: 'cluster-wide', doc: 'With CreateTime, reject batches timestamped further than this in the past.' }),
  'log.message.timestamp.after.max.ms': long(3_600_000, { min: 0, mode: 'cluster-wide', doc: 'With CreateTime, reject batches timestamped further than this in the future (1 hour since Kafka 4.0, KIP-1030).' }),

  // ---- retention & cleaning ----
  'log.retention.ms': long(null, { min: -1, mode: 'cluster-wide', importance: 'high', doc: 'Time to keep a segment; -1 = forever. If unset, log.retention.minutes is used.' }),
  'log.retention.minutes': int(null, { min: -1, importance: 'high', doc: 'Retention in minutes, secondary to log.retention.ms; if unset, log.retention.hours is used.' }),
  'log.retention.hours': int(168, { min: -1, importance: 'high', doc: 'Retention in hours, tertiary to log.retention.ms.' }),
  'log.retention.bytes': long(-1, { mode: 'cluster-wide', importance: 'high', doc: 'Maximum partition size before old segments are deleted; -1 = unlimited.' }),
  'log.retention.check.interval.ms': long(300000, { min: 1, doc: 'How often retention is checked.' }),
  'log.cleanup.policy': list(['delete'], { oneOf: CLEANUP_POLICIES, mode: 'cluster-wide', doc: "Default cleanup policy: 'delete', 'compact' or both." }),
  'log.cleaner.enable': bool(true, { doc: 'Run the log cleaner for compacted topics.' }),
  'log.cleaner.threads': int(1, { min: 0, mode: 'cluster-wide', doc: 'Log cleaner threads (accepted, informational).' }),
  'log.cleaner.backoff.ms': long(15000, { min: 0, mode: 'cluster-wide', doc: 'Sleep when there is nothing to clean.' }),
  'log.cleaner.delete.retention.ms': long(86400000, { min: 0, mode: 'cluster-wide', doc: 'How long delete tombstones are kept on compacted topics.' }),
  'log.cleaner.min.cleanable.ratio': double(0.5, { min: 0, max: 1, mode: 'cluster-wide', doc: 'Minimum dirty ratio before a log is compacted.' }),
  'log.cleaner.min.compaction.lag.ms': long(0, { min: 0, mode: 'cluster-wide', doc: 'Minimum time a record stays uncompacted.' }),
  'log.cleaner.max.compaction.lag.ms': long(LONG_MAX, { min: 1, mode: 'cluster-wide', doc: 'Maximum time a record may stay uncompacted.' }),
  'log.local.retention.ms': long(-2, { min: -2, mode: 'cluster-wide', doc: 'Local retention for tiered topics; -2 = use retention.ms.' }),
  'log.local.retention.bytes': long(-2, { min: -2, mode: 'cluster-wide', doc: 'Local retention bytes for tiered topics; -2 = use retention.bytes.' }),
  'remote.log.storage.system.enable': bool(false, { doc: 'Enable tiered storage on this broker (accepted, informational: Tributary tiers every topic with remote.storage.enable=true).' }),

  // ---- tiered storage (storage/tier, src/tier) ----
  'remote.log.manager.task.interval.ms': long(5000, { min: 1, doc: 'How often rolled segments are copied to remote storage and remote retention runs (Kafka default 30000).' }),
  'remote.log.manager.thread.pool.size': int(2, { min: 1, doc: 'Partitions copying segments at the same time (Kafka default 10).' }),
  'remote.log.manager.task.retry.backoff.ms': long(500, { min: 0, doc: 'First backoff after a failed copy or remote delete of a partition.' }),
  'remote.log.manager.task.retry.backoff.max.ms': long(30000, { min: 0, doc: 'Largest backoff after repeated failures of a partition.' }),
  'remote.log.manager.task.retry.jitter': double(0.2, { min: 0, max: 1, doc: 'Random fraction of each backoff.' }),
  'remote.log.manager.copy.max.bytes.per.second': long(LONG_MAX, { min: 1, doc: 'Upload bandwidth cap of tiered storage copies, bytes/s (s3 store); default unlimited.' }),
  'remote.list.offsets.request.timeout.ms': long(30000, { min: 1, doc: 'How long ListOffsets waits for a timestamp lookup that reads remote storage before answering REQUEST_TIMED_OUT for that partition; ListOffsets v10+ requests carry their own timeout (KIP-1075).' }),
  'remote.log.reader.threads': int(8, { min: 1, doc: 'Concurrent object-store GETs for reads of remote data (Kafka: reader threads, default 10).' }),
  'tributary.tier.store': str('local', { oneOf: ['local', 's3'], doc: "Object store for tiered data: 'local' (a directory) or 's3' (S3 or an S3-compatible server)." }),
  'tributary.tier.local.dir': str(null, { doc: "Directory of the 'local' store; default <first log dir>/tier (./tributary-data/tier)." }),
  'tributary.tier.s3.bucket': str(null, { doc: 'Bucket of the s3 store (must exist).' }),
  'tributary.tier.s3.prefix': str('', { doc: 'Key prefix inside the bucket.' }),
  'tributary.tier.s3.endpoint': str(null, { doc: 'Endpoint URL for S3-compatible servers, e.g. http://127.0.0.1:9000; unset = AWS.' }),
  'tributary.tier.s3.region': str('us-east-1', { doc: 'Region of the bucket.' }),
  'tributary.tier.s3.path.style': bool(false, { doc: 'Path-style URLs (http://host/bucket/key), needed by most S3-compatible servers.' }),
  'tributary.tier.s3.access.key.id': str(null, { doc: "Access key; unset = the AWS SDK's default credential chain (env, profile, SSO, instance metadata)." }),
  'tributary.tier.s3.secret.access.key': password(null, { doc: 'Secret key for tributary.tier.s3.access.key.id.' }),
  'tributary.tier.s3.request.timeout.ms': int(30000, { min: 100, doc: 'Deadline of one object-store request (body included); a multipart upload applies it per part.' }),
  'tributary.tier.s3.multipart.threshold.bytes': long(32 * 1024 * 1024, { min: 5 * 1024 * 1024, doc: 'Segments larger than this are uploaded as multipart uploads.' }),
  'tributary.tier.s3.part.size.bytes': long(8 * 1024 * 1024, { min: 5 * 1024 * 1024, doc: 'Part size of multipart uploads.' }),
  'tributary.tier.request.attempts': int(5, { min: 1, doc: 'Attempts of one object-store request on retriable errors (exponential backoff with jitter).' }),
  'tributary.tier.fetch.chunk.bytes': int(1024 * 1024, { min: 4096, doc: 'Size of the ranged GETs that read remote segments (the unit of the chunk cache).' }),
  'tributary.tier.cache.bytes': long(64 * 1024 * 1024, { min: 0, doc: 'Memory for cached remote chunks and indexes.' }),
  'tributary.tier.fetch.readahead.chunks': int(2, { min: 0, doc: 'Chunks prefetched after each remote read, for sequential consumers.' }),

  // ---- requests & sockets ----
  'message.max.bytes': int(1048588, { min: 0, mode: 'cluster-wide', importance: 'high', doc: 'Largest record batch size allowed (after compression).' }),
  'socket.request.max.bytes': int(104857600, { min: 1, importance: 'high', doc: 'Largest request frame accepted; larger frames close the connection.' }),
  'socket.send.buffer.bytes': int(102400, { doc: 'SO_SNDBUF for sockets; -1 = OS default.' }),
  'socket.receive.buffer.bytes': int(102400, { doc: 'SO_RCVBUF for sockets; -1 = OS default.' }),
  'socket.listen.backlog.size': int(50, { min: 1, doc: 'Pending connection backlog of each listener.' }),
  'connections.max.idle.ms': long(600000, { doc: 'Idle connections are closed after this long.' }),
  'max.connections': int(INT_MAX, {
    min: 0,
    mode: 'cluster-wide',
    doc: 'Maximum connections the broker keeps open; a new connection beyond it is closed at once (Kafka delays accepting it instead).',
  }),
  'max.connections.per.ip': int(INT_MAX, {
    min: 0,
    mode: 'cluster-wide',
    doc: 'Maximum connections from one IP address; a new connection beyond it is closed at once. 0 only with overrides.',
  }),
  'max.connections.per.ip.overrides': str('', {
    validate: perIpOverrides,
    validValues: 'host:count,...',
    mode: 'cluster-wide',
    doc: 'Per-IP (or host name) exceptions to max.connections.per.ip, e.g. "127.0.0.1:200,10.0.0.7:5".',
  }),
  // ---- client quotas (src/quota) ----
  'quota.window.num': int(11, { min: 1, doc: 'Samples retained for client quota rates (Kafka default 11).' }),
  'quota.window.size.seconds': int(1, { min: 1, doc: 'Length of each client quota rate sample, in seconds.' }),
  'replication.quota.window.num': int(11, { min: 1, doc: 'Samples retained for replication quota rates (KIP-73, Kafka default 11).' }),
  'replication.quota.window.size.seconds': int(1, { min: 1, doc: 'Length of each replication quota rate sample, in seconds.' }),
  'leader.replication.throttled.rate': long(LONG_MAX, {
    min: 0,
    mode: 'cluster-wide',
    doc: 'KIP-73: bytes/s a leader sends to followers for the partitions its topics list in leader.replication.throttled.replicas (replicas outside the ISR only).',
  }),
  'follower.replication.throttled.rate': long(LONG_MAX, {
    min: 0,
    mode: 'cluster-wide',
    doc: 'KIP-73: bytes/s a follower fetches for the partitions its topics list in follower.replication.throttled.replicas (while not in sync).',
  }),
  'replica.alter.log.dirs.io.max.bytes.per.second': long(LONG_MAX, {
    min: 0,
    mode: 'cluster-wide',
    doc: 'Bandwidth of moves between log dirs of one broker (accepted: Tributary never moves a replica between its log dirs).',
  }),
  'controller.quota.window.num': int(11, { min: 1, doc: 'Samples of the controller_mutation_rate quota: its token bucket holds quota x samples x window size (KIP-599).' }),
  'controller.quota.window.size.seconds': int(1, { min: 1, doc: 'Length of each controller_mutation_rate sample, in seconds.' }),
  'queued.max.requests': int(500, {
    min: 1,
    doc: 'Requests read but not yet answered, across all connections, before the broker stops reading from sockets until some are answered.',
  }),
  'queued.max.request.bytes': long(512 * 1024 * 1024, {
    validate: (v) => ((v as number) === -1 || (v as number) > 0 ? null : 'Value must be -1 or positive'),
    validValues: '-1 or [socket.request.max.bytes,...]',
    doc: 'Bytes of requests still being received (the declared size of each partial frame), across all connections, before reads pause; -1 = unbounded (Kafka default -1).',
  }),
  'tributary.request.receive.timeout.ms': int(30000, {
    min: 0,
    doc: 'A request whose frame is still incomplete this long after its first bytes closes its connection (slow senders; counted from the start of the frame, so trickling bytes does not extend it); 0 = off. Default: the 30 s clients wait for a response (request.timeout.ms) before giving up anyway.',
  }),
  'num.network.threads': int(3, { min: 1, mode: 'cluster-wide', importance: 'high', doc: 'Network threads (accepted, informational: Node is single-threaded).' }),
  'num.io.threads': int(8, { min: 1, mode: 'cluster-wide', importance: 'high', doc: 'Request handler threads (accepted, informational).' }),
  'num.recovery.threads.per.data.dir': int(1, { min: 1, mode: 'cluster-wide', importance: 'high', doc: 'Log recovery threads per directory (accepted, informational).' }),
  'num.replica.fetchers': int(1, { mode: 'cluster-wide', importance: 'high', doc: 'Replica fetcher threads (accepted, informational).' }),
  'fetch.max.bytes': int(57671680, { min: 1024, doc: 'Maximum bytes returned by one Fetch request.' }),
  'replica.fetch.max.bytes': int(1048576, { min: 0, doc: 'Bytes per partition a follower fetch asks for.' }),
  'replica.fetch.wait.max.ms': int(500, { min: 0, doc: 'How long a follower fetch waits at the leader for new records.' }),
  'replica.fetch.min.bytes': int(1, { min: 1, doc: 'Bytes a follower fetch waits for (informational: followers ask for 1).' }),
  'replica.fetch.response.max.bytes': int(10485760, { min: 0, doc: 'Bytes one follower fetch response may carry in all.' }),
  'replica.fetch.backoff.ms': int(1000, { min: 0, doc: 'How long a follower waits after a failed fetch before the next.' }),
  'request.timeout.ms': int(30000, { min: 1, doc: 'Cluster mode: how long a __transaction_state write waits for every in-sync replica (Kafka\'s transaction coordinator uses request.timeout.ms); then the client gets COORDINATOR_NOT_AVAILABLE.' }),
  'replica.selector.class': str(null, { validate: replicaSelector, importance: 'medium', doc: 'KIP-392: how a leader picks the replica a consumer with client.rack should fetch from (RackAwareReplicaSelector: one in its rack). Unset: always the leader.' }),
  'replica.lag.time.max.ms': long(30000, { doc: 'A follower that has not caught up in this time leaves the ISR.' }),
  'max.incremental.fetch.session.cache.slots': int(1000, { min: 0, doc: 'Incremental fetch sessions the broker keeps.' }),

  // ---- group coordinator ----
  'group.initial.rebalance.delay.ms': int(3000, { doc: 'Wait for more members before the first rebalance of an empty group.' }),
  'group.min.session.timeout.ms': int(6000, { doc: 'Smallest session timeout a member may ask for.' }),
  'group.max.session.timeout.ms': int(1800000, { doc: 'Largest session timeout a member may ask for.' }),
  'group.max.size': int(INT_MAX, { min: 1, doc: 'Maximum members in one consumer group.' }),
  'group.coordinator.rebalance.protocols': list(['classic', 'consumer'], {
    oneOf: ['classic', 'consumer'],
    doc: 'Group protocols served: "consumer" enables KIP-848 groups (ConsumerGroupHeartbeat). Kafka 4.0 default.',
  }),
  'group.consumer.session.timeout.ms': int(45000, { min: 1, doc: 'A KIP-848 group member that does not heartbeat for this long is removed.' }),
  'group.consumer.heartbeat.interval.ms': int(5000, { min: 1, doc: 'Heartbeat interval given to KIP-848 group members (also how soon they see a new assignment).' }),
  'group.consumer.max.size': int(INT_MAX, { min: 1, doc: 'Maximum members in one KIP-848 consumer group.' }),
  'group.consumer.assignors': list(['uniform', 'range'], {
    oneOf: ['uniform', 'range', 'org.apache.kafka.coordinator.group.assignor.UniformAssignor', 'org.apache.kafka.coordinator.group.assignor.RangeAssignor'],
    doc: 'Server-side assignors of KIP-848 groups; the first is the default.',
  }),
  // ---- share groups (KIP-932; src/coordinator/share/) ----
  'group.share.record.lock.duration.ms': int(30000, { min: 1000, max: 3600000, doc: 'How long a share consumer holds the records it acquired before they are offered again.' }),
  'group.share.delivery.count.limit': int(5, { min: 2, max: 10, doc: 'Deliveries after which a share-group record is archived instead of redelivered.' }),
  'group.share.partition.max.record.locks': int(2000, { min: 100, max: 10000, doc: 'In-flight records (acquired or awaiting redelivery) per share partition.' }),
  'group.share.session.timeout.ms': int(45000, { min: 1, doc: 'A share group member that does not heartbeat for this long is removed.' }),
  'group.share.heartbeat.interval.ms': int(5000, { min: 1, doc: 'Heartbeat interval given to share group members.' }),
  'group.share.max.size': int(200, { min: 1, max: 1000, doc: 'Maximum members in one share group.' }),
  // Bounds of the per-group share.* configs (IncrementalAlterConfigs on GROUP resources), Kafka 4.4's defaults.
  'group.share.min.record.lock.duration.ms': int(15000, { min: 1000, doc: 'Smallest share.record.lock.duration.ms a share group may set.' }),
  'group.share.max.record.lock.duration.ms': int(60000, { min: 1000, max: 3600000, doc: 'Largest share.record.lock.duration.ms a share group may set.' }),
  'group.share.min.delivery.count.limit': int(2, { min: 2, max: 10, doc: 'Smallest share.delivery.count.limit a share group may set.' }),
  'group.share.max.delivery.count.limit': int(10, { min: 2, max: 10, doc: 'Largest share.delivery.count.limit a share group may set.' }),
  'group.share.min.partition.max.record.locks': int(100, { min: 100, max: 10000, doc: 'Smallest share.partition.max.record.locks a share group may set.' }),
  'group.share.max.partition.max.record.locks': int(4000, { min: 100, max: 10000, doc: 'Largest share.partition.max.record.locks a share group may set.' }),
  'group.share.min.session.timeout.ms': int(45000, { min: 1, doc: 'Smallest share.session.timeout.ms a share group may set.' }),
  'group.share.max.session.timeout.ms': int(60000, { min: 1, doc: 'Largest share.session.timeout.ms a share group may set.' }),
  'group.share.min.heartbeat.interval.ms': int(5000, { min: 1, doc: 'Smallest share.heartbeat.interval.ms a share group may set.' }),
  'group.share.max.heartbeat.interval.ms': int(15000, { min: 1, doc: 'Largest share.heartbeat.interval.ms a share group may set.' }),
  'group.share.assignment.interval.ms': int(1000, { min: 0, doc: 'Accepted, informational: Tributary computes a share group\'s assignment at once on every membership change.' }),
  'group.share.min.assignment.interval.ms': int(0, { min: 0, doc: 'Smallest share.assignment.interval.ms a share group may set.' }),
  'group.share.max.assignment.interval.ms': int(15000, { min: 0, doc: 'Largest share.assignment.interval.ms a share group may set.' }),
  'group.share.assignor.offload.enable': bool(true, { doc: 'Accepted, informational: share-group assignments are computed on the request path (they are cheap).' }),
  'share.coordinator.snapshot.update.records.per.snapshot': int(500, { min: 0, max: 500, doc: 'ShareUpdate records written to __share_group_state between two ShareSnapshot records of a share partition.' }),
  'share.coordinator.state.topic.num.partitions': int(50, { min: 1, doc: 'Partitions of __share_group_state in cluster mode (a single broker uses one).' }),
  'share.coordinator.state.topic.replication.factor': short(1, { min: 1, doc: 'Replication of __share_group_state (a single broker: 1; in cluster mode unset means Kafka\'s default 3).' }),
  'share.coordinator.state.topic.min.isr': short(1, { min: 1, doc: 'min.insync.replicas of __share_group_state (in cluster mode unset means Kafka\'s default 2).' }),
  'group.share.auto.offset.reset': str('latest', { oneOf: ['earliest', 'latest'], doc: 'Tributary: where a new share partition starts when the group sets no share.auto.offset.reset (Kafka: latest).' }),
  'offsets.topic.num.partitions': int(50, { min: 1, importance: 'high', doc: 'Partitions of __consumer_offsets (fixed once created).' }),
  'offsets.topic.replication.factor': short(1, { min: 1, importance: 'high', doc: 'Replication of __consumer_offsets. A single broker uses 1; in cluster mode an unset key means Kafka\'s default 3.' }),
  'offsets.topic.segment.bytes': int(104857600, { min: 1, importance: 'high', doc: 'Segment size of __consumer_offsets.' }),
  'offsets.retention.minutes': int(10080, { min: 1, importance: 'high', doc: 'Committed offsets of an empty group are dropped after this long.' }),
  'offsets.retention.check.interval.ms': long(600000, { min: 1, importance: 'high', doc: 'How often stale offsets are looked for.' }),
  'offsets.commit.timeout.ms': int(5000, { min: 1, importance: 'high', doc: 'Cluster mode: how long a __consumer_offsets write (offset commit, group metadata) waits for every in-sync replica; then the client gets COORDINATOR_NOT_AVAILABLE, as from Kafka.' }),

  // ---- transactions & idempotence ----
  'transaction.max.timeout.ms': int(900000, { min: 1, importance: 'high', doc: 'Largest transaction timeout a producer may ask for.' }),
  'transaction.state.log.num.partitions': int(50, { min: 1, importance: 'high', doc: 'Partitions of __transaction_state.' }),
  'transaction.state.log.replication.factor': short(1, { min: 1, importance: 'high', doc: 'Replication of __transaction_state. A single broker uses 1; in cluster mode an unset key means Kafka\'s default 3.' }),
  'transaction.state.log.min.isr': int(1, { min: 1, importance: 'high', doc: 'min.insync.replicas of __transaction_state (Kafka default 2).' }),
  'transaction.state.log.segment.bytes': int(104857600, { min: 1, importance: 'high', doc: 'Segment size of __transaction_state.' }),
  'transactional.id.expiration.ms': int(604800000, { min: 1, importance: 'high', doc: 'A transactional id idle this long is expired.' }),
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': int(10000, { min: 1, doc: 'How often timed-out transactions are aborted.' }),
  'producer.id.expiration.ms': int(86400000, { min: 1, mode: 'cluster-wide', doc: 'Idle producer ids are forgotten after this long.' }),
  'producer.id.expiration.check.interval.ms': int(600000, { min: 1, importance: 'low', doc: 'How often idle producer ids are looked for.' }),
  'transaction.remove.expired.transaction.cleanup.interval.ms': int(3600000, { min: 1, doc: 'How often expired transactional ids are removed.' }),
  'transaction.partition.verification.enable': bool(true, {
    mode: 'cluster-wide',
    doc: "Verify with the transaction coordinator that a partition is in the producer's transaction before its first transactional write (KIP-890).",
  }),

  // ---- aggregation stage (src/aggregation) ----
  'tributary.aggregations.enable': bool(true, { doc: 'Run the aggregation stage (definitions in __tributary_aggregations, managed with `tributary aggregations`).' }),
  'tributary.aggregations.file': str(null, { doc: 'JSON file of aggregation definitions (an array, or {"aggregations": [...]}) stored at startup when they differ from the stored ones.' }),
  'tributary.aggregation.status.interval.ms': int(2000, { min: 100, doc: 'How often aggregation status is published to __tributary_aggregation_status (when it changed).' }),
  'tributary.aggregation.max.records.per.step': int(5000, { min: 1, doc: 'Input records folded into one changelog batch (one atomic step) at most.' }),
  'tributary.aggregation.retry.backoff.ms': int(500, { min: 1, doc: 'First backoff after a failed source fetch or step; doubles up to the max.' }),
  'tributary.aggregation.retry.backoff.max.ms': int(10000, { min: 1, doc: 'Largest backoff between retries of a source or a failed aggregation.' }),
  'tributary.aggregation.replication.factor': int(3, { min: 1, doc: 'Cluster mode: replicas of the topics the aggregation stage creates (__tributary_aggregations, __tributary_aggregation_status, changelogs, outputs, dead letters), as offsets.topic.replication.factor: they are created once this many brokers are alive. Ignored on a single broker (1).' }),

  'tributary.log.tail.cache.bytes': long(64 * 1024 * 1024, { min: 0, importance: 'medium', doc: 'Memory for the tail cache of recent appends (consumers that keep up are served from memory), shared by all partitions; 0 disables it.' }),

  // ---- log recovery ----
  'tributary.log.recover.on.start': bool(false, {
    doc:
      'Validate every batch (CRC-32C) of every segment at startup, even after a clean shutdown, and cut each damaged partition at its first bad batch ' +
      '(offsets are never reused). Reads all data, so startup takes as long as that; `tributary log check` does the same offline. ' +
      'Kafka has no equivalent: it re-validates only what an unclean shutdown left unflushed.',
  }),

  // ---- metrics ----
  'tributary.metadata.store': str('', {
    importance: 'high',
    doc: 'Cluster metadata store: empty = a single broker (no cluster); "memory:NAME" = brokers in one process sharing an in-memory store; "etcd://host:2379[,host2:2379…]" = etcd (v3 API).',
  }),
  'tributary.metadata.session.timeout.ms': int(6000, { min: 1000, importance: 'high', doc: "Lease TTL of this broker's registration in the metadata store: a broker that stops renewing it for this long is declared dead and its partitions get new leaders (Kafka's zookeeper.session.timeout.ms)." }),
  'tributary.metadata.root': str('/tributary/', { doc: 'Key prefix in the metadata store (one etcd can hold several clusters).' }),
  'tributary.metrics.port': int(-1, { min: -1, max: 65535, doc: 'Port of the Prometheus metrics endpoint (GET /metrics); -1 = off, 0 = any free port.' }),
  'tributary.metrics.host': str('127.0.0.1', { doc: 'Address the metrics endpoint binds to.' }),
  'tributary.metrics.internal.topics': bool(false, { doc: 'Report per-partition series of internal topics (__consumer_offsets, ...) too; off by default so they do not flood a scrape.' }),

  // ---- web console (src/cli/console, started by `tributary start`) ----
  'tributary.console.port': int(-1, { min: -1, max: 65535, doc: 'Port of the web console beside the broker (also `start --console[=PORT]`); -1 = off, 0 = any free port.' }),
  'tributary.console.host': str('127.0.0.1', { doc: 'Address the web console binds to. It has no login: bind it beyond loopback only behind your own access control.' }),

  // ---- Tributary's own knobs ----
  'tributary.max.inflight.requests.per.connection': int(100, {
    min: 1,
    doc: 'Requests read from one connection but not yet answered before its reads pause (backpressure).',
  }),
  'tributary.max.unsent.response.bytes': long(64 * 1024 * 1024, {
    min: 1,
    doc: 'Response bytes queued on one socket but not yet written before its reads pause (backpressure).',
  }),
  'tributary.connection.turn.request.bytes': int(512 * 1024, {
    min: 0,
    doc: 'Request bytes one connection handles before the others get a turn of the event loop (a pipelining producer of ~1 MB requests handles one per turn, so a consumer keeping up with it gets its Fetch in between); 0 = no limit.',
  }),
  'tributary.shutdown.timeout.ms': int(30000, { min: 0, doc: 'How long a graceful shutdown may take before the process exits anyway.' }),
  'tributary.log.level': str('info', { oneOf: LOG_LEVELS, doc: 'Level of the broker log (env TRIBUTARY_LOG_LEVEL).' }),
  'tributary.log.format': str('auto', {
    oneOf: ['auto', 'json', 'text', 'pretty'],
    doc: 'Broker log format: json (one object per line), text (one readable line; pretty is an alias), or auto (text on a TTY, else json; env TRIBUTARY_LOG_FORMAT).',
  }),
} as const;

function perIpOverrides(v: unknown): string | null {
  if (v === null) return null;
  try {
    parsePerIpOverrides(v as string);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function gzipLevel(v: unknown): string | null {
  const n = v as number;
  return n === -1 || (n >= 1 && n <= 9) ? null : 'Value must be -1 (default) or between 1 and 9';
}

export type BrokerKeys = typeof BROKER_KEYS;
export type BrokerKey = keyof BrokerKeys;
