// Log compaction session: a compacted topic whose segments roll by time (segment.ms), two
// generations of the same keys (the second with a tombstone), then a record that rolls the second
// segment so both become cleanable. Waits (up to 40 s) for the cleaner to drop the first
// generation and prints what a consumer reads from the beginning. The brokers under test run with
// log.cleaner.backoff.ms lowered so the wait is short. Also: segment.bytes below Kafka 4's minimum.
// Usage: CompactionSession <bootstrap> <topic-prefix>
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class CompactionSession {
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

  /** offset:key=value (value "null" for a tombstone) of everything from the log start. */
  static List<String> readAll(String bootstrap, TopicPartition tp) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (var c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      List<String> out = new ArrayList<>();
      long deadline = System.currentTimeMillis() + 10_000;
      while (c.position(tp) < end && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) out.add(r.offset() + ":" + r.key() + "=" + r.value());
      }
      return out;
    }
  }

  static boolean hasDuplicateKeys(List<String> records) {
    Set<String> keys = new HashSet<>();
    for (String r : records) {
      if (!keys.add(r.substring(r.indexOf(':') + 1, r.indexOf('=')))) return true;
    }
    return false;
  }

  static void run(Admin admin, String bootstrap, String prefix, Transcript t) throws Exception {
    t.step("createTopic.tinySegmentBytes", "result", Transcript.attempt(() -> {
      Transcript.await(admin.createTopics(List.of(new NewTopic(prefix + "-tiny", 1, (short) 1)
          .configs(Map.of("segment.bytes", "1000")))).all());
      return true;
    }));

    String topic = prefix + "-compact";
    TopicPartition tp = new TopicPartition(topic, 0);
    Transcript.await(admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(
        "cleanup.policy", "compact", "segment.ms", "500", "min.cleanable.dirty.ratio", "0.01")))).all());
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    try (var producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 5; i++) producer.send(new ProducerRecord<>(topic, 0, "k" + i, "a" + i)).get();
      Thread.sleep(700); // the next append rolls the segment (segment.ms=500)
      producer.send(new ProducerRecord<>(topic, 0, "k0", null)).get();
      for (int i = 1; i < 5; i++) producer.send(new ProducerRecord<>(topic, 0, "k" + i, "b" + i)).get();
      Thread.sleep(700);
      producer.send(new ProducerRecord<>(topic, 0, "x", "c")).get();
    }
    List<String> after = readAll(bootstrap, tp);
    long deadline = System.currentTimeMillis() + 40_000;
    while (hasDuplicateKeys(after) && System.currentTimeMillis() < deadline) {
      Thread.sleep(250);
      after = readAll(bootstrap, tp);
    }
    t.step("afterCompaction", "compacted", !hasDuplicateKeys(after), "records", after);
    t.step("afterCompaction.offsets",
        "earliest", Transcript.await(admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp)).offset(),
        "latest", Transcript.await(admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp)).offset());
  }
}
