// Fetch and metadata session: consumer offset resets (none / earliest / latest), fetching out of
// range (past the end, below the log start after DeleteRecords), Metadata shape seen through
// partitionsFor / listTopics, topic auto-creation by a producer, broker config descriptions.
// Usage: FetchSession <bootstrap> <topic-prefix>
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class FetchSession {
  /** Broker configs whose defaults both brokers should report alike (none is set by the test harness). */
  static final List<String> BROKER_KEYS = List.of("num.partitions", "default.replication.factor", "auto.create.topics.enable",
      "log.retention.hours", "log.retention.ms", "log.retention.bytes", "log.segment.bytes", "log.roll.hours",
      "log.cleanup.policy", "message.max.bytes", "compression.type", "min.insync.replicas", "delete.topic.enable",
      "log.message.timestamp.type", "log.message.timestamp.after.max.ms", "group.min.session.timeout.ms",
      "group.max.session.timeout.ms", "offsets.retention.minutes", "transaction.max.timeout.ms",
      "transactional.id.expiration.ms", "log.cleaner.enable", "unclean.leader.election.enable");

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String prefix = args[1];
    Transcript t = new Transcript();
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    try (Admin admin = Admin.create(p)) {
      run(admin, bootstrap, prefix, t);
    } finally {
      t.print();
    }
  }

  static KafkaConsumer<String, String> consumer(String bootstrap, String reset) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, reset);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  /** Polls from the current position until `want` records or an exception; reports both. */
  static Object poll(KafkaConsumer<String, String> c, TopicPartition tp, int want) {
    List<Object> seen = new ArrayList<>();
    try {
      // Expecting nothing: keep polling a while (1.5 s) so an offset reset or a stray record shows.
      long deadline = System.currentTimeMillis() + (want == 0 ? 1_500 : 10_000);
      while ((want == 0 || seen.size() < want) && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) seen.add(r.offset());
      }
      return Transcript.map("offsets", seen, "position", c.position(tp));
    } catch (Exception e) {
      return Transcript.map("offsets", seen, "error", Transcript.error(e));
    }
  }

  static void run(Admin admin, String bootstrap, String prefix, Transcript t) throws Exception {
    String topic = prefix + "-fetch";
    TopicPartition tp = new TopicPartition(topic, 0);
    Transcript.await(admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all());
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    try (var producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)).get();
      // A batch larger than the topic's max.message.bytes (the client's own limits are higher).
      String small = prefix + "-small";
      Transcript.await(admin.createTopics(List.of(new NewTopic(small, 1, (short) 1).configs(Map.of("max.message.bytes", "1000")))).all());
      t.step("produce.overMaxMessageBytes", "result", Transcript.attempt(() ->
          producer.send(new ProducerRecord<>(small, 0, "k", "x".repeat(2_000))).get().offset()));
      t.step("produce.underMaxMessageBytes", "result", Transcript.attempt(() ->
          producer.send(new ProducerRecord<>(small, 0, "k", "x".repeat(500))).get().offset()));
      // A topic that does not exist yet: the producer's Metadata request auto-creates it.
      t.step("produce.autoCreate", "result", Transcript.attempt(() ->
          producer.send(new ProducerRecord<>(prefix + "-auto", "k", "v")).get().offset()));
    }
    t.step("partitionsFor.autoCreated", "result", Transcript.attempt(() -> {
      try (var c = consumer(bootstrap, "earliest")) {
        return c.partitionsFor(prefix + "-auto").size();
      }
    }));

    try (var c = consumer(bootstrap, "none")) {
      List<Object> parts = new ArrayList<>();
      for (PartitionInfo pi : c.partitionsFor(topic)) {
        parts.add(Transcript.map("partition", pi.partition(), "hasLeader", pi.leader() != null,
            "replicas", pi.replicas().length, "isr", pi.inSyncReplicas().length, "offline", pi.offlineReplicas().length));
      }
      parts.sort((a, b) -> Integer.compare((Integer) ((Map<?, ?>) a).get("partition"), (Integer) ((Map<?, ?>) b).get("partition")));
      t.step("partitionsFor", "partitions", parts);
      t.step("partitionsFor.unknown", "result", Transcript.attempt(() -> {
        try (var c2 = consumer(bootstrap, "none")) {
          return c2.partitionsFor(prefix + "-absent-" + "x", Duration.ofSeconds(3)).size();
        }
      }));
      // Kafka (KRaft) forwards an auto-creation to the controller and first answers
      // UNKNOWN_TOPIC_OR_PARTITION; the topic shows up a moment later.
      t.step("consumerMetadata.autoCreates", "result", Transcript.attempt(() -> {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
          if (c.listTopics().containsKey(prefix + "-absent-x")) return true;
          Thread.sleep(100);
        }
        return false;
      }));
      Map<String, Object> listed = new TreeMap<>();
      for (var e : c.listTopics().entrySet()) {
        if (e.getKey().startsWith(prefix)) listed.put(e.getKey(), e.getValue().size());
      }
      t.step("listTopics", "topics", listed);

      c.assign(List.of(tp));
      t.step("reset.none", "result", poll(c, tp, 1));
      c.seek(tp, 20);
      t.step("seek.pastEnd.resetNone", "result", poll(c, tp, 1));
      c.seek(tp, 10);
      t.step("seek.atEnd", "result", poll(c, tp, 0));
      c.seek(tp, 7);
      t.step("seek.middle", "result", poll(c, tp, 3));
    }
    try (var c = consumer(bootstrap, "latest")) {
      c.assign(List.of(tp));
      t.step("reset.latest", "position", c.position(tp));
      c.seek(tp, 50);
      t.step("seek.pastEnd.resetLatest", "result", poll(c, tp, 0));
    }

    Transcript.await(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(4))).all());
    try (var c = consumer(bootstrap, "earliest")) {
      c.assign(List.of(tp));
      t.step("reset.earliest.afterDeleteRecords", "position", c.position(tp));
      c.seek(tp, 1);
      t.step("seek.belowLogStart.resetEarliest", "result", poll(c, tp, 6));
    }
    try (var c = consumer(bootstrap, "none")) {
      c.assign(List.of(tp));
      c.seek(tp, 1);
      t.step("seek.belowLogStart.resetNone", "result", poll(c, tp, 1));
    }

    t.step("describeConfigs.broker", "result", Transcript.attempt(() -> {
      String nodeId = String.valueOf(Transcript.await(admin.describeCluster().nodes()).iterator().next().id());
      ConfigResource r = new ConfigResource(ConfigResource.Type.BROKER, nodeId);
      Map<String, Object> out = new TreeMap<>();
      for (ConfigEntry e : Transcript.await(admin.describeConfigs(List.of(r)).all()).get(r).entries()) {
        if (BROKER_KEYS.contains(e.name())) {
          out.put(e.name(), Transcript.map("value", e.value(), "source", e.source(), "readOnly", e.isReadOnly(), "type", e.type()));
        }
      }
      return out;
    }));
    // A broker id that is not in the cluster: the client has no node to ask and times out.
    t.step("describeConfigs.brokerUnknown", "result", Transcript.attempt(() -> {
      ConfigResource r = new ConfigResource(ConfigResource.Type.BROKER, "4242");
      return Transcript.await(admin.describeConfigs(List.of(r), new DescribeConfigsOptions().timeoutMs(2_000)).all()).get(r).entries().size();
    }));
    t.step("describeConfigs.topicUnknown", "result", Transcript.attempt(() -> {
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, prefix + "-absent");
      return Transcript.await(admin.describeConfigs(List.of(r)).all()).get(r).entries().size();
    }));
  }
}
