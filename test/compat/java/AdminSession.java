// AdminClient session: topics (create incl. invalid requests, describe, delete), topic and broker
// configs (describe with sources, incremental alter), produce with chosen timestamps, ListOffsets
// (earliest / latest / by timestamp / max timestamp) and DeleteRecords.
// Usage: AdminSession <bootstrap> <topic-prefix>
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class AdminSession {
  /** A whole minute ten minutes ago: record timestamps are BASE + a few seconds. */
  static final long BASE = (System.currentTimeMillis() / 60_000L - 10) * 60_000L;

  static long rel(long ts) {
    return ts < 0 ? ts : ts - BASE;
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String prefix = args[1];
    Transcript t = new Transcript();
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    try (Admin admin = Admin.create(p)) {
      run(admin, bootstrap, prefix, t);
    } finally {
      t.print();
    }
  }

  static Object create(Admin admin, NewTopic topic, boolean validateOnly) {
    return Transcript.attempt(() -> {
      var r = admin.createTopics(List.of(topic), new CreateTopicsOptions().validateOnly(validateOnly));
      Transcript.await(r.values().get(topic.name()));
      return Transcript.map("partitions", Transcript.await(r.numPartitions(topic.name())),
          "replicationFactor", Transcript.await(r.replicationFactor(topic.name())));
    });
  }

  static Map<String, Object> entries(Config config, Collection<String> only) {
    Map<String, Object> out = new TreeMap<>();
    for (ConfigEntry e : config.entries()) {
      if (only != null && !only.contains(e.name())) continue;
      out.put(e.name(), Transcript.map("value", e.value(), "source", e.source(), "isDefault", e.isDefault(),
          "readOnly", e.isReadOnly(), "sensitive", e.isSensitive(), "type", e.type()));
    }
    return out;
  }

  static Object describeTopicConfigs(Admin admin, String topic, Collection<String> only) {
    return Transcript.attempt(() -> {
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      return entries(Transcript.await(admin.describeConfigs(List.of(r)).all()).get(r), only);
    });
  }

  static Object alter(Admin admin, String topic, AlterConfigOp... ops) {
    return Transcript.attempt(() -> {
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Transcript.await(admin.incrementalAlterConfigs(Map.of(r, List.of(ops))).all());
      return true;
    });
  }

  static Object listOffset(Admin admin, TopicPartition tp, OffsetSpec spec) {
    return Transcript.attempt(() -> {
      var info = Transcript.await(admin.listOffsets(Map.of(tp, spec)).partitionResult(tp));
      return Transcript.map("offset", info.offset(), "timestamp", rel(info.timestamp()), "hasLeaderEpoch", info.leaderEpoch().isPresent());
    });
  }

  /** Topic metadata reaches brokers asynchronously after CreateTopics: wait before using it. */
  static void awaitTopic(Admin admin, String topic) throws Exception {
    long deadline = System.currentTimeMillis() + 20_000;
    while (true) {
      try {
        TopicDescription d = Transcript.await(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
        if (d.partitions().stream().allMatch(pi -> pi.leader() != null)) return;
      } catch (Exception e) {
        if (System.currentTimeMillis() > deadline) throw e;
      }
      Thread.sleep(100);
    }
  }

  static void run(Admin admin, String bootstrap, String prefix, Transcript t) throws Exception {
    var cluster = admin.describeCluster();
    t.step("describeCluster", "nodes", Transcript.await(cluster.nodes()).size(),
        "hasController", Transcript.await(cluster.controller()) != null,
        "hasClusterId", Transcript.await(cluster.clusterId()) != null);

    String topic = prefix + "-admin";
    NewTopic nt = new NewTopic(topic, 3, (short) 1).configs(Map.of("retention.ms", "3600000", "max.message.bytes", "200000"));
    t.step("createTopic.validateOnly", "result", create(admin, nt, true));
    t.step("createTopic", "result", create(admin, nt, false));
    awaitTopic(admin, topic);
    t.step("createTopic.again", "result", create(admin, new NewTopic(topic, 3, (short) 1), false));
    t.step("createTopic.badReplicationFactor", "result", create(admin, new NewTopic(prefix + "-rf", 1, (short) 5), false));
    t.step("createTopic.badPartitions", "result", create(admin, new NewTopic(prefix + "-np", 0, (short) 1), false));
    t.step("createTopic.badName", "result", create(admin, new NewTopic(prefix + "/bad", 1, (short) 1), false));
    t.step("createTopic.badConfigValue", "result",
        create(admin, new NewTopic(prefix + "-cv", 1, (short) 1).configs(Map.of("retention.ms", "soon")), false));
    t.step("createTopic.unknownConfig", "result",
        create(admin, new NewTopic(prefix + "-uc", 1, (short) 1).configs(Map.of("no.such.config", "1")), false));

    t.step("describeTopic", "result", Transcript.attempt(() -> {
      TopicDescription d = Transcript.await(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
      List<Object> parts = new ArrayList<>();
      for (TopicPartitionInfo pi : d.partitions()) {
        parts.add(Transcript.map("partition", pi.partition(), "hasLeader", pi.leader() != null,
            "replicas", pi.replicas().size(), "isr", pi.isr().size()));
      }
      return Transcript.map("internal", d.isInternal(), "hasTopicId", d.topicId() != null, "partitions", parts);
    }));
    t.step("describeTopic.unknown", "result",
        Transcript.attempt(() -> Transcript.await(admin.describeTopics(List.of(prefix + "-nope")).allTopicNames()).size()));

    t.step("describeConfigs.topic", "result", describeTopicConfigs(admin, topic, null));
    t.step("incrementalAlter.set", "result", alter(admin, topic,
        new AlterConfigOp(new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET),
        new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET)));
    t.step("incrementalAlter.append", "result", alter(admin, topic,
        new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.APPEND)));
    t.step("incrementalAlter.delete", "result", alter(admin, topic,
        new AlterConfigOp(new ConfigEntry("max.message.bytes", null), AlterConfigOp.OpType.DELETE)));
    t.step("incrementalAlter.badValue", "result", alter(admin, topic,
        new AlterConfigOp(new ConfigEntry("retention.ms", "later"), AlterConfigOp.OpType.SET)));
    t.step("incrementalAlter.unknownKey", "result", alter(admin, topic,
        new AlterConfigOp(new ConfigEntry("no.such.config", "1"), AlterConfigOp.OpType.SET)));
    t.step("incrementalAlter.unknownTopic", "result", alter(admin, prefix + "-nope",
        new AlterConfigOp(new ConfigEntry("retention.ms", "1000"), AlterConfigOp.OpType.SET)));
    t.step("describeConfigs.altered", "result",
        describeTopicConfigs(admin, topic, List.of("retention.ms", "cleanup.policy", "max.message.bytes")));

    // Records with chosen, non-monotonic timestamps (the max is at offset 1), recent enough that no
    // retention deletes them meanwhile; the transcript shows them relative to BASE.
    TopicPartition tp = new TopicPartition(topic, 0);
    long[] stamps = {1_000L, 5_000L, 2_000L, 3_000L, 4_000L};
    for (int i = 0; i < stamps.length; i++) stamps[i] += BASE;
    List<Object> produced = new ArrayList<>();
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.ACKS_CONFIG, "all");
    pp.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    try (var producer = new KafkaProducer<byte[], byte[]>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < stamps.length; i++) {
        RecordMetadata md = producer.send(new ProducerRecord<>(topic, 0, stamps[i], ("k" + i).getBytes(StandardCharsets.UTF_8),
            ("v" + i).getBytes(StandardCharsets.UTF_8))).get();
        produced.add(Transcript.map("offset", md.offset(), "timestamp", rel(md.timestamp())));
      }
      t.step("produce.keylessOnCompacted", "result", Transcript.attempt(() -> producer.send(new ProducerRecord<>(topic, 1, null, new byte[10])).get().offset()));
    }
    t.step("produce", "records", produced);

    t.step("listOffsets.earliest", "result", listOffset(admin, tp, OffsetSpec.earliest()));
    t.step("listOffsets.latest", "result", listOffset(admin, tp, OffsetSpec.latest()));
    t.step("listOffsets.forTimestamp", "result", listOffset(admin, tp, OffsetSpec.forTimestamp(BASE + 2_500L)));
    t.step("listOffsets.forTimestampExact", "result", listOffset(admin, tp, OffsetSpec.forTimestamp(BASE + 5_000L)));
    t.step("listOffsets.forTimestampAfterAll", "result", listOffset(admin, tp, OffsetSpec.forTimestamp(BASE + 9_000L)));
    t.step("listOffsets.maxTimestamp", "result", listOffset(admin, tp, OffsetSpec.maxTimestamp()));
    t.step("listOffsets.emptyPartition", "earliest", listOffset(admin, new TopicPartition(topic, 2), OffsetSpec.earliest()),
        "latest", listOffset(admin, new TopicPartition(topic, 2), OffsetSpec.latest()),
        "maxTimestamp", listOffset(admin, new TopicPartition(topic, 2), OffsetSpec.maxTimestamp()));
    // The client retries an unknown partition until its timeout: keep that short.
    t.step("listOffsets.unknownPartition", "result", Transcript.attempt(() -> {
      TopicPartition missing = new TopicPartition(topic, 7);
      return Transcript.await(admin.listOffsets(Map.of(missing, OffsetSpec.latest()),
          new ListOffsetsOptions().timeoutMs(2_000)).partitionResult(missing)).offset();
    }));

    t.step("deleteRecords", "result", Transcript.attempt(() ->
        Transcript.await(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(2))).lowWatermarks().get(tp)).lowWatermark()));
    t.step("listOffsets.earliestAfterDelete", "result", listOffset(admin, tp, OffsetSpec.earliest()));
    t.step("listOffsets.maxTimestampAfterDelete", "result", listOffset(admin, tp, OffsetSpec.maxTimestamp()));
    t.step("deleteRecords.beyondHighWatermark", "result", Transcript.attempt(() ->
        Transcript.await(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(99))).lowWatermarks().get(tp)).lowWatermark()));
    t.step("deleteRecords.toHighWatermark", "result", Transcript.attempt(() ->
        Transcript.await(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(-1))).lowWatermarks().get(tp)).lowWatermark()));
    t.step("listOffsets.afterDeleteAll", "earliest", listOffset(admin, tp, OffsetSpec.earliest()),
        "latest", listOffset(admin, tp, OffsetSpec.latest()));

    // Timestamp bounds for CreateTime topics: after.max defaults to 1 hour (Kafka 4), before.max is opt-in.
    try (var producer = new KafkaProducer<byte[], byte[]>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
      byte[] k = "k".getBytes(StandardCharsets.UTF_8);
      long now = System.currentTimeMillis();
      t.step("produce.futureTimestamp", "result", Transcript.attempt(() ->
          producer.send(new ProducerRecord<>(topic, 1, now + 2 * 3_600_000L, k, k)).get().offset()));
      t.step("produce.oldTimestampAllowed", "result", Transcript.attempt(() ->
          producer.send(new ProducerRecord<>(topic, 1, BASE, k, k)).get().offset()));
      t.step("incrementalAlter.beforeMax", "result", alter(admin, topic,
          new AlterConfigOp(new ConfigEntry("message.timestamp.before.max.ms", "60000"), AlterConfigOp.OpType.SET)));
      // A KRaft broker applies a config change asynchronously, after the AlterConfigs answer: wait
      // until it reports the new value, so the next produce meets it on both brokers.
      ConfigResource beforeMaxTopic = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      for (int i = 0; i < 100; i++) {
        ConfigEntry e = Transcript.await(admin.describeConfigs(List.of(beforeMaxTopic)).all()).get(beforeMaxTopic).get("message.timestamp.before.max.ms");
        if (e != null && "60000".equals(e.value())) break;
        Thread.sleep(100);
      }
      t.step("produce.oldTimestampRefused", "result", Transcript.attempt(() ->
          producer.send(new ProducerRecord<>(topic, 1, BASE, k, k)).get().offset()));
      t.step("produce.currentTimestamp", "result", Transcript.attempt(() ->
          producer.send(new ProducerRecord<>(topic, 1, System.currentTimeMillis(), k, k)).get().offset()));
    }

    t.step("deleteTopic", "result", Transcript.attempt(() -> {
      Transcript.await(admin.deleteTopics(List.of(topic)).all());
      return true;
    }));
    t.step("deleteTopic.unknown", "result", Transcript.attempt(() -> {
      Transcript.await(admin.deleteTopics(List.of(prefix + "-nope")).all());
      return true;
    }));
  }
}
