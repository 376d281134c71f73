// Client quotas through the Java AdminClient (AlterClientQuotas / DescribeClientQuotas): every
// entity level, defaults, removal, validateOnly, Kafka's errors for bad entities, keys and values,
// strict and non-strict filters; then a producer over its producer_byte_rate that must see the
// broker's throttle time (produce-throttle-time-max metric).
// Usage: QuotaSession <bootstrap> <topic>
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterClientQuotasOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class QuotaSession {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    Transcript t = new Transcript();
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    try (Admin admin = Admin.create(p)) {
      run(admin, t);
      produce(bootstrap, topic, t);
    } finally {
      t.print();
    }
  }

  static ClientQuotaEntity entity(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return new ClientQuotaEntity(m);
  }

  static ClientQuotaAlteration set(ClientQuotaEntity e, String key, Double value) {
    return new ClientQuotaAlteration(e, List.of(new ClientQuotaAlteration.Op(key, value)));
  }

  static Object alter(Admin admin, ClientQuotaAlteration a, boolean validateOnly) {
    return Transcript.attempt(() -> {
      Transcript.await(admin.alterClientQuotas(List.of(a), new AlterClientQuotasOptions().validateOnly(validateOnly)).all());
      return "done";
    });
  }

  /** Entities as sorted "type=name" strings (<default> for null), each with its sorted quotas. */
  static Object describe(Admin admin, ClientQuotaFilter filter) {
    return Transcript.attempt(() -> {
      Map<ClientQuotaEntity, Map<String, Double>> r = Transcript.await(admin.describeClientQuotas(filter).entities());
      Map<String, Object> out = new TreeMap<>();
      for (var e : r.entrySet()) {
        List<String> parts = new ArrayList<>();
        for (var kv : new TreeMap<>(e.getKey().entries()).entrySet()) parts.add(kv.getKey() + "=" + (kv.getValue() == null ? "<default>" : kv.getValue()));
        out.put(String.join(",", parts), new TreeMap<>(e.getValue()));
      }
      return out;
    });
  }

  static void run(Admin admin, Transcript t) {
    String u = ClientQuotaEntity.USER;
    String c = ClientQuotaEntity.CLIENT_ID;
    t.step("alter.user", "result", alter(admin, set(entity(u, "alice"), "producer_byte_rate", 1024.0), false));
    t.step("alter.userClient", "result", alter(admin, set(entity(u, "alice", c, "app"), "consumer_byte_rate", 2048.0), false));
    t.step("alter.defaultUser", "result", alter(admin, set(entity(u, null), "request_percentage", 50.5), false));
    t.step("alter.defaultClient", "result", alter(admin, set(entity(c, null), "producer_byte_rate", 4096.0), false));
    t.step("alter.ip", "result", alter(admin, set(entity(ClientQuotaEntity.IP, "10.1.2.3"), "connection_creation_rate", 5.0), false));
    t.step("alter.validateOnly", "result", alter(admin, set(entity(u, "bob"), "producer_byte_rate", 1.0), true));
    t.step("alter.unknownKey", "result", alter(admin, set(entity(u, "carol"), "bogus_rate", 1.0), false));
    t.step("alter.fractionalLong", "result", alter(admin, set(entity(u, "carol"), "producer_byte_rate", 1.5), false));
    t.step("alter.ipKeyOnUser", "result", alter(admin, set(entity(u, "carol"), "connection_creation_rate", 1.0), false));
    t.step("alter.ipWithUser", "result", alter(admin, set(entity(ClientQuotaEntity.IP, "10.1.2.3", u, "carol"), "connection_creation_rate", 1.0), false));
    t.step("alter.unknownType", "result", alter(admin, set(entity("group", "g"), "producer_byte_rate", 1.0), false));
    t.step("alter.emptyName", "result", alter(admin, set(entity(u, ""), "producer_byte_rate", 1.0), false));

    t.step("describe.all", "result", describe(admin, ClientQuotaFilter.all()));
    t.step("describe.containsAlice", "result", describe(admin, ClientQuotaFilter.contains(List.of(ClientQuotaFilterComponent.ofEntity(u, "alice")))));
    t.step("describe.onlyAlice", "result", describe(admin, ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofEntity(u, "alice")))));
    t.step("describe.defaultUser", "result", describe(admin, ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofDefaultEntity(u)))));
    t.step("describe.anyClient", "result", describe(admin, ClientQuotaFilter.contains(List.of(ClientQuotaFilterComponent.ofEntityType(c)))));
    t.step("describe.bob", "result", describe(admin, ClientQuotaFilter.contains(List.of(ClientQuotaFilterComponent.ofEntity(u, "bob")))));
    t.step("describe.unknownType", "result", describe(admin, ClientQuotaFilter.contains(List.of(ClientQuotaFilterComponent.ofEntityType("group")))));
    t.step("describe.ipAndUser", "result", describe(admin, ClientQuotaFilter.contains(List.of(ClientQuotaFilterComponent.ofEntityType(ClientQuotaEntity.IP), ClientQuotaFilterComponent.ofEntityType(u)))));

    // Removal: a null value removes the key; an entity with no key left disappears.
    t.step("alter.remove", "result", alter(admin, set(entity(u, "alice", c, "app"), "consumer_byte_rate", null), false));
    t.step("describe.afterRemove", "result", describe(admin, ClientQuotaFilter.contains(List.of(ClientQuotaFilterComponent.ofEntity(u, "alice")))));
    // Quota for the producer below.
    t.step("alter.javaProducer", "result", alter(admin, set(entity(c, "java-throttled"), "producer_byte_rate", 20480.0), false));
  }

  static void produce(String bootstrap, String topic, Transcript t) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "java-throttled");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "16384");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      byte[] value = new byte[8192];
      long start = System.currentTimeMillis();
      for (int i = 0; i < 12; i++) producer.send(new ProducerRecord<>(topic, value)).get();
      long elapsed = System.currentTimeMillis() - start;
      double throttleMax = 0;
      for (Map.Entry<MetricName, ? extends Metric> m : producer.metrics().entrySet()) {
        if (m.getKey().name().equals("produce-throttle-time-max") && m.getKey().group().equals("producer-metrics")) {
          Object v = m.getValue().metricValue();
          if (v instanceof Double d && !d.isNaN()) throttleMax = Math.max(throttleMax, d);
        }
      }
      t.step("produce.throttled", "throttleTimeSeen", throttleMax > 0, "slowerThanHalfQuotaWindow", elapsed >= 1000);
    }
  }
}
