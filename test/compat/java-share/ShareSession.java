// One KafkaShareConsumer (KIP-932) member in explicit acknowledgement mode. Prints every delivery
// it saw (partition, offset, value, delivery count) as a transcript.
// Usage: ShareSession <bootstrap> <group> <topic> <mode> <stopAfter> <timeoutMs> [set-earliest]
//   set-earliest: first set the group config share.auto.offset.reset=earliest with the Admin
//   client (Apache Kafka; Tributary takes it from group.share.auto.offset.reset)
//   accept   accept every record; stop once <stopAfter> deliveries were seen in all (or timeout)
//   release  release records on their first delivery, accept the redeliveries
//   poison   release every record every time (the delivery-count limit must archive them)
//   hold     poll until something is acquired, then halt the JVM without acknowledging (a crash)
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import java.util.Properties;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

public final class ShareSession {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String group = args[1];
    String topic = args[2];
    String mode = args[3];
    int stopAfter = Integer.parseInt(args[4]);
    long timeoutMs = Long.parseLong(args[5]);
    Transcript t = new Transcript();
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put("share.acknowledgement.mode", "explicit");
    if (args.length > 6 && args[6].equals("set-earliest")) {
      Properties ap = new Properties();
      ap.put("bootstrap.servers", bootstrap);
      try (Admin admin = Admin.create(ap)) {
        ConfigResource r = new ConfigResource(ConfigResource.Type.GROUP, group);
        AlterConfigOp op = new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET);
        admin.incrementalAlterConfigs(Map.of(r, List.of(op))).all().get();
      }
    }
    List<Object> deliveries = new ArrayList<>();
    long deadline = System.currentTimeMillis() + timeoutMs;
    try (KafkaShareConsumer<String, String> c = new KafkaShareConsumer<>(p)) {
      c.subscribe(List.of(topic));
      t.step("subscribed", "topics", List.copyOf(c.subscription()));
      while (deliveries.size() < stopAfter && System.currentTimeMillis() < deadline) {
        ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(500));
        for (ConsumerRecord<String, String> r : records) {
          int count = r.deliveryCount().map(Short::intValue).orElse(-1);
          deliveries.add(Transcript.map("partition", r.partition(), "offset", r.offset(), "value", r.value(), "deliveryCount", count));
          if (mode.equals("hold")) continue;
          AcknowledgeType type = AcknowledgeType.ACCEPT;
          if (mode.equals("poison") || (mode.equals("release") && count == 1)) type = AcknowledgeType.RELEASE;
          c.acknowledge(r, type);
        }
        if (mode.equals("hold") && !deliveries.isEmpty()) {
          t.step("deliveries", "records", deliveries);
          t.print();
          Runtime.getRuntime().halt(0);
        }
        if (!records.isEmpty()) c.commitSync();
      }
      t.step("deliveries", "records", deliveries);
    } catch (Exception e) {
      t.step("failed", "error", Transcript.error(e), "message", String.valueOf(e.getMessage()));
    } finally {
      t.print();
    }
  }
}
