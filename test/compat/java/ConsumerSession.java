// Consumer group session with one group protocol: "classic" (JoinGroup/SyncGroup) or "consumer"
// (KIP-848 ConsumerGroupHeartbeat). Subscribes, consumes everything, commits, then inspects the
// group with the AdminClient while it is stable, after the member left, after offsets are altered,
// and after the group is deleted.
// Usage: ConsumerSession <bootstrap> <topic-prefix> <classic|consumer>
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class ConsumerSession {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String prefix = args[1];
    String protocol = args[2];
    Transcript t = new Transcript();
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    try (Admin admin = Admin.create(p)) {
      run(admin, bootstrap, prefix + "-" + protocol, protocol, t);
    } finally {
      t.print();
    }
  }

  static Object describe(Admin admin, String group) {
    return Transcript.attempt(() -> {
      ConsumerGroupDescription d = Transcript.await(admin.describeConsumerGroups(List.of(group)).describedGroups().get(group));
      List<Object> members = new ArrayList<>();
      for (MemberDescription m : d.members()) {
        List<String> parts = new ArrayList<>();
        for (TopicPartition tp : m.assignment().topicPartitions()) parts.add(tp.topic() + "-" + tp.partition());
        parts.sort(null);
        members.add(Transcript.map("assignment", parts, "hasClientId", !m.clientId().isEmpty(),
            "upgraded", m.upgraded().orElse(null)));
      }
      return Transcript.map("state", d.groupState(), "type", d.type(), "assignor", d.partitionAssignor(),
          "simple", d.isSimpleConsumerGroup(), "members", members,
          "hasGroupEpoch", d.groupEpoch().isPresent(), "hasTargetAssignmentEpoch", d.targetAssignmentEpoch().isPresent());
    });
  }

  static Object offsets(Admin admin, String group) {
    return Transcript.attempt(() -> {
      Map<String, Object> out = new TreeMap<>();
      for (var e : Transcript.await(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()).entrySet()) {
        OffsetAndMetadata o = e.getValue();
        out.put(e.getKey().toString(), o == null ? null : Transcript.map("offset", o.offset(), "metadata", o.metadata(),
            "hasLeaderEpoch", o.leaderEpoch().isPresent()));
      }
      return out;
    });
  }

  static Object listed(Admin admin, String group) {
    return Transcript.attempt(() -> {
      for (GroupListing g : Transcript.await(admin.listGroups().all())) {
        if (g.groupId().equals(group)) {
          return Transcript.map("type", g.type().orElse(null), "protocol", g.protocol(), "state", g.groupState().orElse(null));
        }
      }
      return "absent";
    });
  }

  static void run(Admin admin, String bootstrap, String prefix, String protocol, Transcript t) throws Exception {
    String topic = prefix + "-grp";
    String group = prefix + "-group";
    Transcript.await(admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all());
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    try (var producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>(topic, 0, "k", "p0-" + i)).get();
        producer.send(new ProducerRecord<>(topic, 1, "k", "p1-" + i)).get();
      }
    }

    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    cp.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    t.step("describe.beforeJoin", "result", describe(admin, group));
    try (var consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      Map<String, Integer> counts = new TreeMap<>();
      int total = 0;
      long deadline = System.currentTimeMillis() + 30_000;
      while (total < 20 && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          counts.merge(topic.length() > 0 ? "p" + r.partition() : "", 1, Integer::sum);
          total++;
        }
      }
      List<String> assigned = new ArrayList<>();
      for (TopicPartition tp : consumer.assignment()) assigned.add(tp.topic() + "-" + tp.partition());
      assigned.sort(null);
      t.step("consume", "counts", counts, "assignment", assigned);
      t.step("commitSync", "result", Transcript.attempt(() -> {
        consumer.commitSync();
        return true;
      }));
      t.step("committed", "result", Transcript.attempt(() -> {
        Map<String, Object> out = new TreeMap<>();
        var c = consumer.committed(consumer.assignment());
        for (var e : c.entrySet()) out.put(e.getKey().toString(), e.getValue() == null ? null : e.getValue().offset());
        return out;
      }));
      t.step("describe.stable", "result", describe(admin, group));
      t.step("listGroups.stable", "result", listed(admin, group));
      t.step("alterOffsets.whileActive", "result", Transcript.attempt(() -> {
        Transcript.await(admin.alterConsumerGroupOffsets(group, Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(3))).all());
        return true;
      }));
      t.step("deleteGroup.whileActive", "result", Transcript.attempt(() -> {
        Transcript.await(admin.deleteConsumerGroups(List.of(group)).all());
        return true;
      }));
    }
    t.step("describe.afterLeave", "result", describe(admin, group));
    t.step("offsets.afterLeave", "result", offsets(admin, group));
    t.step("alterOffsets", "result", Transcript.attempt(() -> {
      Transcript.await(admin.alterConsumerGroupOffsets(group,
          Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(3, "note"))).all());
      return true;
    }));
    t.step("offsets.afterAlter", "result", offsets(admin, group));
    t.step("deleteOffsets", "result", Transcript.attempt(() -> {
      Transcript.await(admin.deleteConsumerGroupOffsets(group, java.util.Set.of(new TopicPartition(topic, 1))).all());
      return true;
    }));
    t.step("offsets.afterDeleteOffsets", "result", offsets(admin, group));
    t.step("deleteGroup", "result", Transcript.attempt(() -> {
      Transcript.await(admin.deleteConsumerGroups(List.of(group)).all());
      return true;
    }));
    t.step("describe.afterDelete", "result", describe(admin, group));
    t.step("listGroups.afterDelete", "result", listed(admin, group));
    t.step("deleteGroup.unknown", "result", Transcript.attempt(() -> {
      Transcript.await(admin.deleteConsumerGroups(List.of(group)).all());
      return true;
    }));
  }
}
