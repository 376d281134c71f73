// Three-broker cluster session, in three phases so the harness can stop and restart one broker in
// between (the Java program cannot stop a broker itself):
//   before    create a RF 3 / 6 partition topic with min.insync.replicas=2, Metadata shape, produce
//             acks=all and consume with a group, DescribeCluster, ElectLeaders (preferred, unclean,
//             unknown partition), AlterPartitionReassignments + ListPartitionReassignments.
//   stopped   (broker <id> was stopped cleanly) ISR shrinks and leaders move off it; acks=all still
//             works with min.insync 2 and fails with NOT_ENOUGH_REPLICAS after setting it to 3.
//   restarted (broker <id> is back) it rejoins every ISR; ElectLeaders moves leadership back;
//             DescribeConfigs of broker and topic; CreatePartitions; DeleteTopics.
// Prints counts and flags instead of broker ids (the stopped broker is named only as "the stopped
// one"), so the transcripts of Kafka and Tributary compare as they are.
// Usage: ClusterSession <bootstrap> <topic-prefix> before|stopped|restarted [<stopped node id>]
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ElectLeadersOptions;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class ClusterSession {
  static final int PARTITIONS = 6;
  static final int PER_PARTITION = 10;
  static final List<String> TOPIC_CONFIGS = List.of("min.insync.replicas", "unclean.leader.election.enable",
      "cleanup.policy", "retention.ms", "segment.bytes", "max.message.bytes");
  static final List<String> BROKER_CONFIGS = List.of("min.insync.replicas", "default.replication.factor", "num.partitions",
      "unclean.leader.election.enable", "auto.leader.rebalance.enable", "replica.lag.time.max.ms",
      "offsets.topic.replication.factor", "transaction.state.log.replication.factor", "transaction.state.log.min.isr",
      "auto.create.topics.enable", "message.max.bytes", "log.retention.hours");

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1] + "-cluster";
    String phase = args[2];
    int stopped = args.length > 3 ? Integer.parseInt(args[3]) : -1;
    Transcript t = new Transcript();
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    try (Admin admin = Admin.create(p)) {
      switch (phase) {
        case "before" -> before(admin, bootstrap, topic, t);
        case "stopped" -> stopped(admin, bootstrap, topic, stopped, t);
        case "restarted" -> restarted(admin, bootstrap, topic, stopped, t);
        default -> throw new IllegalArgumentException(phase);
      }
    } finally {
      t.print();
    }
  }

  // ---- helpers ----

  static TopicDescription describe(Admin admin, String topic) throws Exception {
    return Transcript.await(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
  }

  /** Polls the topic's description until `ok` holds (true) or 60 s pass (false). */
  static boolean waitFor(Admin admin, String topic, Predicate<TopicDescription> ok) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      try {
        if (ok.test(describe(admin, topic))) return true;
      } catch (Exception e) {
        // not there yet
      }
      Thread.sleep(100);
    }
    return false;
  }

  static boolean allLed(TopicDescription d, int isr) {
    return d.partitions().stream().allMatch(pi -> pi.leader() != null && pi.isr().size() == isr);
  }

  /**
   * Metadata shape without ids: per partition replica/ISR counts and flags, plus how leadership is
   * spread. Which partitions prefer which broker is the assignor's (random) choice on both brokers,
   * so only balance and "every leader is its preferred one, except where that broker is stopped"
   * are recorded.
   */
  static Map<String, Object> shape(TopicDescription d, int stopped) {
    List<Object> parts = new ArrayList<>();
    Set<Integer> leaders = new HashSet<>();
    Map<Integer, Integer> preferredCount = new TreeMap<>();
    boolean leadersPreferred = true;
    for (TopicPartitionInfo pi : d.partitions()) {
      Node leader = pi.leader();
      if (leader != null) leaders.add(leader.id());
      int preferred = pi.replicas().get(0).id();
      preferredCount.merge(preferred, 1, Integer::sum);
      if (preferred != stopped && (leader == null || leader.id() != preferred)) leadersPreferred = false;
      parts.add(Transcript.map("partition", pi.partition(), "hasLeader", leader != null, "replicas", pi.replicas().size(),
          "isr", pi.isr().size(), "leaderInIsr", leader != null && pi.isr().stream().anyMatch(n -> n.id() == leader.id()),
          "stoppedInIsr", pi.isr().stream().anyMatch(n -> n.id() == stopped),
          "stoppedLeads", leader != null && leader.id() == stopped,
          "elr", pi.elr() == null ? null : pi.elr().size()));
    }
    int most = preferredCount.values().stream().max(Integer::compare).orElse(0);
    int least = preferredCount.size() < 3 ? 0 : preferredCount.values().stream().min(Integer::compare).orElse(0);
    return Transcript.map("partitions", parts, "distinctLeaders", leaders.size(), "distinctPreferred", preferredCount.size(),
        "preferredBalanced", most - least <= 1, "leadersPreferredExceptStopped", leadersPreferred,
        "internal", d.isInternal(), "hasTopicId", d.topicId() != null);
  }

  static KafkaProducer<byte[], byte[]> producer(String bootstrap, String acks, boolean retries) {
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.ACKS_CONFIG, acks);
    pp.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    pp.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, "500");
    if (!retries) {
      // The error the broker answered, not the client's retry timeout: no retries, so no idempotence.
      pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
      pp.put(ProducerConfig.RETRIES_CONFIG, "0");
    }
    pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    pp.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    return new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** PER_PARTITION records to every partition; per partition the offset of the last one (or the error). */
  static Object produceAll(String bootstrap, String topic, String acks, boolean retries, int partitions) {
    return Transcript.attempt(() -> {
      List<Object> last = new ArrayList<>();
      try (var producer = producer(bootstrap, acks, retries)) {
        for (int part = 0; part < partitions; part++) {
          long offset = -1;
          for (int i = 0; i < PER_PARTITION; i++) {
            offset = producer.send(new ProducerRecord<>(topic, part, ("k" + i).getBytes(StandardCharsets.UTF_8),
                ("v" + part + "-" + i).getBytes(StandardCharsets.UTF_8))).get().offset();
          }
          last.add(offset);
        }
      }
      return last;
    });
  }

  /** One record to one partition: its offset or the error class. */
  static Object produceOne(String bootstrap, String topic, int partition, String acks, boolean retries) {
    return Transcript.attempt(() -> {
      try (var producer = producer(bootstrap, acks, retries)) {
        return producer.send(new ProducerRecord<>(topic, partition, null, "one".getBytes(StandardCharsets.UTF_8))).get().offset();
      }
    });
  }

  /** A group consumer reads until it has `expected` records (or 30 s pass) and commits; counts per partition. */
  static Object consume(String bootstrap, String topic, String group, int expected) {
    return Transcript.attempt(() -> {
      Properties cp = new Properties();
      cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
      cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      Map<Integer, Integer> counts = new TreeMap<>();
      int total = 0;
      try (var consumer = new KafkaConsumer<byte[], byte[]>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        consumer.subscribe(List.of(topic));
        // Generous: on a loaded machine a three-node group takes a while to fetch from every leader.
        long deadline = System.currentTimeMillis() + 90_000;
        while (total < expected && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            counts.merge(r.partition(), 1, Integer::sum);
            total++;
          }
        }
        consumer.commitSync();
      }
      return Transcript.map("total", total, "perPartition", counts);
    });
  }

  static Object committed(Admin admin, String group) {
    return Transcript.attempt(() -> {
      Map<TopicPartition, OffsetAndMetadata> m = Transcript.await(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
      Map<Integer, Long> out = new TreeMap<>();
      for (var e : m.entrySet()) out.put(e.getKey().partition(), e.getValue().offset());
      return out;
    });
  }

  /** ElectLeaders for these partitions: per partition "ok" or the error class. */
  static Object elect(Admin admin, ElectionType type, Set<TopicPartition> tps) {
    return Transcript.attempt(() -> {
      Map<TopicPartition, Optional<Throwable>> r = Transcript.await(admin.electLeaders(type, tps, new ElectLeadersOptions()).partitions());
      Map<String, Object> out = new TreeMap<>();
      for (var e : r.entrySet()) out.put(String.valueOf(e.getKey().partition()), e.getValue().map(Transcript::error).orElse("ok"));
      return out;
    });
  }

  static Set<TopicPartition> partitions(String topic, int n) {
    Set<TopicPartition> s = new HashSet<>();
    for (int i = 0; i < n; i++) s.add(new TopicPartition(topic, i));
    return s;
  }

  static Object alterTopic(Admin admin, String topic, String key, String value) {
    return Transcript.attempt(() -> {
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Transcript.await(admin.incrementalAlterConfigs(Map.of(r, List.of(
          new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET)))).all());
      return true;
    });
  }

  static Object describeConfigs(Admin admin, ConfigResource r, Collection<String> only) {
    return Transcript.attempt(() -> {
      Config config = Transcript.await(admin.describeConfigs(List.of(r)).all()).get(r);
      Map<String, Object> out = new TreeMap<>();
      for (ConfigEntry e : config.entries()) {
        if (!only.contains(e.name())) continue;
        out.put(e.name(), Transcript.map("value", e.value(), "source", e.source(), "isDefault", e.isDefault(),
            "readOnly", e.isReadOnly(), "sensitive", e.isSensitive(), "type", e.type()));
      }
      return out;
    });
  }

  static Object describeCluster(Admin admin) {
    return Transcript.attempt(() -> {
      var c = admin.describeCluster();
      Collection<Node> nodes = Transcript.await(c.nodes());
      Node controller = Transcript.await(c.controller());
      return Transcript.map("nodes", nodes.size(), "hasController", controller != null && controller.id() >= 0,
          "controllerIsANode", controller != null && nodes.stream().anyMatch(n -> n.id() == controller.id()),
          "hasClusterId", Transcript.await(c.clusterId()) != null);
    });
  }

  // ---- phases ----

  static void before(Admin admin, String bootstrap, String topic, Transcript t) throws Exception {
    t.step("describeCluster", "result", describeCluster(admin));
    t.step("createTopic", "result", Transcript.attempt(() -> {
      var r = admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 3).configs(Map.of("min.insync.replicas", "2"))));
      Transcript.await(r.all());
      return Transcript.map("partitions", Transcript.await(r.numPartitions(topic)), "replicationFactor", Transcript.await(r.replicationFactor(topic)));
    }));
    t.step("createTopic.rf4", "result", Transcript.attempt(() -> {
      Transcript.await(admin.createTopics(List.of(new NewTopic(topic + "-rf4", 1, (short) 4))).all());
      return true;
    }));
    t.step("metadata.ready", "ok", waitFor(admin, topic, d -> allLed(d, 3)));
    TopicDescription d = describe(admin, topic);
    t.step("metadata", "result", shape(d, -1));

    t.step("produce.acksAll", "result", produceAll(bootstrap, topic, "all", true, PARTITIONS));
    t.step("consume.group", "result", consume(bootstrap, topic, topic + "-g", PARTITIONS * PER_PARTITION));
    t.step("consume.committed", "result", committed(admin, topic + "-g"));

    Set<TopicPartition> all = partitions(topic, PARTITIONS);
    t.step("electLeaders.preferred", "result", elect(admin, ElectionType.PREFERRED, all));
    t.step("electLeaders.unclean", "result", elect(admin, ElectionType.UNCLEAN, Set.of(new TopicPartition(topic, 0))));
    t.step("electLeaders.unknownPartition", "result", elect(admin, ElectionType.PREFERRED, Set.of(new TopicPartition(topic, 42))));
    t.step("electLeaders.unknownTopic", "result", elect(admin, ElectionType.PREFERRED, Set.of(new TopicPartition(topic + "-nope", 0))));

    // Reassignment: with RF 3 on three brokers only the order can change; reversing partition 0's
    // replicas makes its preferred leader another broker, and a preferred election then moves it.
    List<Integer> reversed = new ArrayList<>();
    for (Node n : d.partitions().get(0).replicas()) reversed.add(0, n.id());
    TopicPartition p0 = new TopicPartition(topic, 0);
    t.step("reassign.reverse", "result", Transcript.attempt(() -> {
      Transcript.await(admin.alterPartitionReassignments(Map.of(p0, Optional.of(new NewPartitionReassignment(reversed)))).all());
      return true;
    }));
    boolean done = false;
    long deadline = System.currentTimeMillis() + 30_000;
    while (!done && System.currentTimeMillis() < deadline) {
      done = Transcript.await(admin.listPartitionReassignments(Set.of(p0)).reassignments()).isEmpty();
      if (!done) Thread.sleep(100);
    }
    t.step("reassign.listAfter", "completed", done,
        "all", Transcript.attempt(() -> Transcript.await(admin.listPartitionReassignments().reassignments()).size()));
    // Metadata reaches the brokers a moment after the controller finished the reassignment.
    t.step("reassign.applied", "ok", waitFor(admin, topic, x -> {
      List<Integer> now = new ArrayList<>();
      for (Node n : x.partitions().get(0).replicas()) now.add(n.id());
      return now.equals(reversed);
    }));
    t.step("reassign.electPreferred", "result", elect(admin, ElectionType.PREFERRED, Set.of(p0)));
    t.step("reassign.leaderIsPreferred", "ok", waitFor(admin, topic, x -> {
      TopicPartitionInfo pi = x.partitions().get(0);
      return pi.leader() != null && pi.leader().id() == reversed.get(0);
    }));
    t.step("reassign.unknownBroker", "result", Transcript.attempt(() -> {
      Transcript.await(admin.alterPartitionReassignments(Map.of(new TopicPartition(topic, 1),
          Optional.of(new NewPartitionReassignment(List.of(1, 2, 99))))).all());
      return true;
    }));
    t.step("reassign.duplicateBroker", "result", Transcript.attempt(() -> {
      Transcript.await(admin.alterPartitionReassignments(Map.of(new TopicPartition(topic, 1),
          Optional.of(new NewPartitionReassignment(List.of(1, 1, 2))))).all());
      return true;
    }));
    t.step("reassign.unknownTopic", "result", Transcript.attempt(() -> {
      Transcript.await(admin.alterPartitionReassignments(Map.of(new TopicPartition(topic + "-nope", 0),
          Optional.of(new NewPartitionReassignment(List.of(1, 2, 3))))).all());
      return true;
    }));
    t.step("reassign.cancelNone", "result", Transcript.attempt(() -> {
      Transcript.await(admin.alterPartitionReassignments(Map.of(new TopicPartition(topic, 1), Optional.empty())).all());
      return true;
    }));
  }

  static void stopped(Admin admin, String bootstrap, String topic, int stopped, Transcript t) throws Exception {
    t.step("stopped.describeCluster", "result", describeCluster(admin));
    t.step("stopped.isrShrunk", "ok", waitFor(admin, topic, d -> d.partitions().stream().allMatch(pi ->
        pi.leader() != null && pi.leader().id() != stopped && pi.isr().stream().noneMatch(n -> n.id() == stopped))));
    TopicDescription d = describe(admin, topic);
    t.step("stopped.metadata", "result", shape(d, stopped));
    // Preferred elections while a preferred leader is down: per partition, the expected answer is
    // PREFERRED_LEADER_NOT_AVAILABLE where the stopped broker is preferred, ELECTION_NOT_NEEDED elsewhere.
    Object elected = elect(admin, ElectionType.PREFERRED, partitions(topic, PARTITIONS));
    boolean asExpected = false;
    if (elected instanceof Map<?, ?> m && m.get("ok") instanceof Map<?, ?> per) {
      asExpected = true;
      for (var e : per.entrySet()) {
        int part = Integer.parseInt(String.valueOf(e.getKey()));
        boolean preferredStopped = d.partitions().get(part).replicas().get(0).id() == stopped;
        Object expected = preferredStopped ? "PreferredLeaderNotAvailableException" : "ElectionNotNeededException";
        if (!expected.equals(e.getValue())) asExpected = false;
      }
    }
    t.step("stopped.electPreferred", "asExpected", asExpected,
        "outcomes", elected instanceof Map<?, ?> m && m.get("ok") instanceof Map<?, ?> per ? countValues(per).keySet() : elected);
    t.step("stopped.createTopic.rf3", "result", Transcript.attempt(() -> {
      var r = admin.createTopics(List.of(new NewTopic(topic + "-rf3-down", 1, (short) 3)));
      Transcript.await(r.all());
      return Transcript.await(r.replicationFactor(topic + "-rf3-down"));
    }));
    t.step("stopped.createTopic.rf2", "result", Transcript.attempt(() -> {
      var r = admin.createTopics(List.of(new NewTopic(topic + "-rf2-down", 1, (short) 2)));
      Transcript.await(r.all());
      return Transcript.await(r.replicationFactor(topic + "-rf2-down"));
    }));
    // Reordering partition 1's replicas while one of them is down: the reassignment cannot finish
    // before that replica is back in the ISR (checked in the restarted phase). The new order puts
    // the stopped broker first (and differs from the current one), so the restarted phase knows it.
    List<Integer> current1 = new ArrayList<>();
    for (Node n : d.partitions().get(1).replicas()) current1.add(n.id());
    List<Integer> others = new ArrayList<>(current1);
    others.remove(Integer.valueOf(stopped));
    if (current1.get(0) == stopped) java.util.Collections.reverse(others);
    List<Integer> target1 = new ArrayList<>(List.of(stopped));
    target1.addAll(others);
    TopicPartition p1 = new TopicPartition(topic, 1);
    t.step("stopped.reassign.reorder", "result", Transcript.attempt(() -> {
      Transcript.await(admin.alterPartitionReassignments(Map.of(p1, Optional.of(new NewPartitionReassignment(target1)))).all());
      return true;
    }));
    t.step("stopped.reassign.list", "result", Transcript.attempt(() -> {
      var r = Transcript.await(admin.listPartitionReassignments(Set.of(p1)).reassignments());
      return Transcript.map("ongoing", r.size(), "adding", r.isEmpty() ? null : r.get(p1).addingReplicas().size(),
          "removing", r.isEmpty() ? null : r.get(p1).removingReplicas().size());
    }));
    t.step("stopped.produce.minIsr2", "result", produceAll(bootstrap, topic, "all", true, PARTITIONS));
    t.step("stopped.alter.minIsr3", "result", alterTopic(admin, topic, "min.insync.replicas", "3"));
    // Config changes reach every broker asynchronously: retry until the broker refuses (30 s at most).
    Object refused = null;
    long deadline = System.currentTimeMillis() + 30_000;
    do {
      refused = produceOne(bootstrap, topic, 1, "all", false);
      if (refused instanceof Map<?, ?> m && m.containsKey("error")) break;
      Thread.sleep(200);
    } while (System.currentTimeMillis() < deadline);
    t.step("stopped.produce.minIsr3", "result", refused);
    t.step("stopped.produce.minIsr3.acks1", "result", Transcript.attempt(() ->
        ((Map<?, ?>) produceOne(bootstrap, topic, 1, "1", false)).containsKey("ok")));
    t.step("stopped.alter.minIsr2", "result", alterTopic(admin, topic, "min.insync.replicas", "2"));
    Object accepted = null;
    deadline = System.currentTimeMillis() + 30_000;
    do {
      accepted = produceOne(bootstrap, topic, 2, "all", false);
      if (accepted instanceof Map<?, ?> m && m.containsKey("ok")) break;
      Thread.sleep(200);
    } while (System.currentTimeMillis() < deadline);
    t.step("stopped.produce.minIsr2Again", "result", accepted);
  }

  static void restarted(Admin admin, String bootstrap, String topic, int stopped, Transcript t) throws Exception {
    t.step("restarted.rejoined", "ok", waitFor(admin, topic, d -> allLed(d, 3)));
    t.step("restarted.describeCluster", "result", describeCluster(admin));
    TopicPartition p1 = new TopicPartition(topic, 1);
    boolean reassigned = false;
    long until = System.currentTimeMillis() + 30_000;
    while (!reassigned && System.currentTimeMillis() < until) {
      reassigned = Transcript.await(admin.listPartitionReassignments(Set.of(p1)).reassignments()).isEmpty();
      if (!reassigned) Thread.sleep(100);
    }
    t.step("restarted.reassign.completed", "ok", reassigned);
    t.step("restarted.reassign.applied", "ok", waitFor(admin, topic, x -> x.partitions().get(1).replicas().get(0).id() == stopped));
    TopicDescription d = describe(admin, topic);
    t.step("restarted.metadata", "result", shape(d, stopped));
    // Leadership went back only through an election: exactly the partitions whose preferred leader
    // is the restarted broker are elected, the others need none.
    Set<Integer> preferredOnStopped = new HashSet<>();
    for (TopicPartitionInfo pi : d.partitions()) if (pi.replicas().get(0).id() == stopped) preferredOnStopped.add(pi.partition());
    Object elected = elect(admin, ElectionType.PREFERRED, partitions(topic, PARTITIONS));
    boolean okExactlyThere = false;
    if (elected instanceof Map<?, ?> m && m.get("ok") instanceof Map<?, ?> per) {
      okExactlyThere = true;
      for (var e : per.entrySet()) {
        int part = Integer.parseInt(String.valueOf(e.getKey()));
        Node leader = d.partitions().get(part).leader();
        boolean expectOk = preferredOnStopped.contains(part) && (leader == null || leader.id() != stopped);
        Object expected = expectOk ? "ok" : "ElectionNotNeededException";
        if (!expected.equals(e.getValue())) okExactlyThere = false;
      }
    }
    t.step("restarted.electPreferred", "okExactlyWherePreferredIsRestarted", okExactlyThere,
        "outcomes", elected instanceof Map<?, ?> m && m.get("ok") instanceof Map<?, ?> per ? countValues(per).keySet() : elected);
    t.step("restarted.leadersPreferred", "ok", waitFor(admin, topic, x -> x.partitions().stream().allMatch(pi ->
        pi.leader() != null && pi.leader().id() == pi.replicas().get(0).id())));
    t.step("restarted.produce", "result", produceAll(bootstrap, topic, "all", true, PARTITIONS));
    // The stopped phase's retries add a record or two: read up to the end offsets, whatever they are.
    long end = 0;
    var latest = Transcript.await(admin.listOffsets(partitions(topic, PARTITIONS).stream().collect(
        java.util.stream.Collectors.toMap(tp -> tp, tp -> org.apache.kafka.clients.admin.OffsetSpec.latest()))).all());
    for (var info : latest.values()) end += info.offset();
    Object read = consume(bootstrap, topic, topic + "-g2", (int) end);
    long endOffsets = end;
    t.step("restarted.consume", "readToEnd", read instanceof Map<?, ?> m && m.get("ok") instanceof Map<?, ?> r
        && ((Number) r.get("total")).longValue() == endOffsets, "atLeast", end >= PARTITIONS * 2 * PER_PARTITION + 2);

    t.step("describeConfigs.topic", "result", describeConfigs(admin, new ConfigResource(ConfigResource.Type.TOPIC, topic), TOPIC_CONFIGS));
    t.step("describeConfigs.broker", "result", describeConfigs(admin, new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(stopped)), BROKER_CONFIGS));

    t.step("createPartitions", "result", Transcript.attempt(() -> {
      Transcript.await(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(9))).all());
      return true;
    }));
    t.step("createPartitions.ready", "ok", waitFor(admin, topic, x -> x.partitions().size() == 9 && allLed(x, 3)));
    t.step("createPartitions.metadata", "result", Transcript.attempt(() -> shape(describe(admin, topic), -1)));
    t.step("createPartitions.produceNew", "result", produceOne(bootstrap, topic, 8, "all", true));
    t.step("createPartitions.decrease", "result", Transcript.attempt(() -> {
      Transcript.await(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(5))).all());
      return true;
    }));
    t.step("createPartitions.same", "result", Transcript.attempt(() -> {
      Transcript.await(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(9))).all());
      return true;
    }));
    t.step("createPartitions.badAssignment", "result", Transcript.attempt(() -> {
      Transcript.await(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(10, List.of(List.of(1, 2, 99))))).all());
      return true;
    }));
    t.step("createPartitions.unknownTopic", "result", Transcript.attempt(() -> {
      Transcript.await(admin.createPartitions(Map.of(topic + "-nope", NewPartitions.increaseTo(9))).all());
      return true;
    }));

    t.step("deleteTopic", "result", Transcript.attempt(() -> {
      Transcript.await(admin.deleteTopics(List.of(topic)).all());
      return true;
    }));
    boolean gone = false;
    long deadline = System.currentTimeMillis() + 30_000;
    while (!gone && System.currentTimeMillis() < deadline) {
      gone = !Transcript.await(admin.listTopics().names()).contains(topic);
      if (!gone) Thread.sleep(100);
    }
    t.step("deleteTopic.gone", "ok", gone);
    t.step("deleteTopic.describe", "result", Transcript.attempt(() -> describe(admin, topic).partitions().size()));
    t.step("deleteTopic.again", "result", Transcript.attempt(() -> {
      Transcript.await(admin.deleteTopics(List.of(topic)).all());
      return true;
    }));
  }

  static Map<String, Integer> countValues(Map<?, ?> m) {
    Map<String, Integer> out = new TreeMap<>();
    for (Object v : m.values()) out.merge(String.valueOf(v), 1, Integer::sum);
    return out;
  }
}
