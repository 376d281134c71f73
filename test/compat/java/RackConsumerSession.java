// KIP-392 from the Java consumer: client.rack set, partition 0 of a topic assigned, read from the
// beginning until `count` records arrived (or 30 s), group-less. Which broker served the records is
// the broker's business (its follower-read counters); this prints what the consumer got.
// Usage: RackConsumerSession <bootstrap> <topic> <rack> <count> <read_uncommitted|read_committed>
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public final class RackConsumerSession {
  public static void main(String[] args) {
    String bootstrap = args[0];
    String topic = args[1];
    String rack = args[2];
    int count = Integer.parseInt(args[3]);
    String isolation = args[4];
    Transcript t = new Transcript();
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.CLIENT_RACK_CONFIG, rack);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "50");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    List<String> values = new ArrayList<>();
    List<Long> offsets = new ArrayList<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long deadline = System.currentTimeMillis() + 30_000;
      while (values.size() < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
          values.add(r.value());
          offsets.add(r.offset());
        }
      }
      t.step("consumed", "values", values, "offsets", offsets);
    } catch (Exception e) {
      t.step("failed", "error", Transcript.error(e), "values", values);
    } finally {
      t.print();
    }
  }
}
