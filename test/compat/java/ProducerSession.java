// Producer session: an idempotent producer, then a transactional one (commit, abort, an open
// transaction seen through ListOffsets / DescribeProducers / DescribeTransactions, fencing by a
// second instance), read back with read_committed and read_uncommitted consumers.
// Usage: ProducerSession <bootstrap> <topic-prefix>
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class ProducerSession {
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

  static KafkaProducer<String, String> producer(String bootstrap, String transactionalId) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    if (transactionalId != null) p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  static List<Long> send(KafkaProducer<String, String> producer, String topic, String... values) throws Exception {
    List<Long> offsets = new ArrayList<>();
    for (String v : values) offsets.add(producer.send(new ProducerRecord<>(topic, 0, "k", v)).get().offset());
    return offsets;
  }

  /** Every value from the start to the end offset of the partition, as this isolation level sees it. */
  static Object readAll(String bootstrap, TopicPartition tp, String isolation) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    return Transcript.attempt(() -> {
      try (var c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
        c.assign(List.of(tp));
        c.seekToBeginning(List.of(tp));
        long end = c.endOffsets(List.of(tp)).get(tp);
        List<Object> seen = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 20_000;
        while (c.position(tp) < end && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) seen.add(r.offset() + ":" + r.value());
        }
        return Transcript.map("endOffset", end, "records", seen, "position", c.position(tp));
      }
    });
  }

  static Object latest(Admin admin, TopicPartition tp, IsolationLevel level) {
    return Transcript.attempt(() ->
        Transcript.await(admin.listOffsets(Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(level)).partitionResult(tp)).offset());
  }

  static Object producers(Admin admin, TopicPartition tp) {
    return Transcript.attempt(() -> {
      List<Object> out = new ArrayList<>();
      for (ProducerState s : Transcript.await(admin.describeProducers(List.of(tp)).partitionResult(tp)).activeProducers()) {
        out.add(Transcript.map("epoch", s.producerEpoch(), "lastSequence", s.lastSequence(),
            "hasLastTimestamp", s.lastTimestamp() > 0, "coordinatorEpoch", s.coordinatorEpoch().isPresent(),
            "transactionStartOffset", s.currentTransactionStartOffset()));
      }
      return out;
    });
  }

  static Object describeTxn(Admin admin, String tid) {
    return Transcript.attempt(() -> {
      TransactionDescription d = Transcript.await(admin.describeTransactions(List.of(tid)).description(tid));
      List<Object> parts = new ArrayList<>();
      for (TopicPartition tp : d.topicPartitions()) parts.add(tp.topic() + "-" + tp.partition());
      return Transcript.map("state", d.state(), "timeoutMs", d.transactionTimeoutMs(),
          "hasStartTime", d.transactionStartTimeMs().isPresent(), "partitions", parts);
    });
  }

  /**
   * Kafka answers EndTxn once the PREPARE state is logged and writes the markers afterwards; waits
   * (up to 10 s) for the COMPLETE state so what follows does not race the markers.
   */
  static void settle(Admin admin, String tid) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      String state = Transcript.await(admin.describeTransactions(List.of(tid)).description(tid)).state().name();
      if (!state.startsWith("PREPARE")) return;
      Thread.sleep(50);
    }
  }

  static Object listTxn(Admin admin, String tid) {
    return Transcript.attempt(() -> {
      for (TransactionListing l : Transcript.await(admin.listTransactions().all())) {
        if (l.transactionalId().equals(tid)) return l.state();
      }
      return "absent";
    });
  }

  static void run(Admin admin, String bootstrap, String prefix, Transcript t) throws Exception {
    String topic = prefix + "-txn";
    String tid = prefix + "-tid";
    TopicPartition tp = new TopicPartition(topic, 0);
    Transcript.await(admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all());

    try (var idem = producer(bootstrap, null)) {
      t.step("idempotent.send", "offsets", send(idem, topic, "i0", "i1", "i2"));
    }
    t.step("describeProducers.idempotent", "result", producers(admin, tp));
    t.step("describeTransactions.unknown", "result", describeTxn(admin, tid));

    var txp = producer(bootstrap, tid);
    try {
      t.step("initTransactions", "result", Transcript.attempt(() -> {
        txp.initTransactions();
        return true;
      }));
      t.step("describeTransactions.empty", "result", describeTxn(admin, tid));
      txp.beginTransaction();
      List<Long> committed = send(txp, topic, "c0", "c1");
      txp.commitTransaction();
      settle(admin, tid);
      t.step("txn.commit", "offsets", committed);
      txp.beginTransaction();
      List<Long> aborted = send(txp, topic, "a0", "a1");
      txp.abortTransaction();
      settle(admin, tid);
      t.step("txn.abort", "offsets", aborted);
      t.step("describeTransactions.afterAbort", "result", describeTxn(admin, tid));
      t.step("listTransactions.afterAbort", "state", listTxn(admin, tid));

      // An open transaction: the LSO stays at its first offset until it ends.
      txp.beginTransaction();
      List<Long> open = send(txp, topic, "o0");
      t.step("txn.open", "offsets", open,
          "latestUncommitted", latest(admin, tp, IsolationLevel.READ_UNCOMMITTED),
          "latestCommitted", latest(admin, tp, IsolationLevel.READ_COMMITTED));
      t.step("describeTransactions.ongoing", "result", describeTxn(admin, tid));
      t.step("listTransactions.ongoing", "state", listTxn(admin, tid));
      t.step("describeProducers.ongoing", "result", producers(admin, tp));
      txp.commitTransaction();
      settle(admin, tid);
      t.step("txn.afterCommit",
          "latestUncommitted", latest(admin, tp, IsolationLevel.READ_UNCOMMITTED),
          "latestCommitted", latest(admin, tp, IsolationLevel.READ_COMMITTED));
      t.step("describeTransactions.afterCommit", "result", describeTxn(admin, tid));

      // A second instance with the same transactional id fences the first.
      try (var second = producer(bootstrap, tid)) {
        second.initTransactions();
        t.step("fenced", "result", Transcript.attempt(() -> {
          txp.beginTransaction();
          txp.send(new ProducerRecord<>(topic, 0, "k", "zombie")).get();
          txp.commitTransaction();
          return true;
        }));
        second.beginTransaction();
        t.step("second.commit", "offsets", send(second, topic, "s0"));
        second.commitTransaction();
        settle(admin, tid);
      }
    } finally {
      txp.close(Duration.ofSeconds(5));
    }
    t.step("read.committed", "result", readAll(bootstrap, tp, "read_committed"));
    t.step("read.uncommitted", "result", readAll(bootstrap, tp, "read_uncommitted"));
  }
}
