// Delegation tokens (KIP-48) through kafka-clients: the Java AdminClient, logged in as alice with
// SASL/PLAIN, creates a token (renewer bob), describes and renews it; a second AdminClient and a
// producer log in with SCRAM-SHA-256 and the token (ScramLoginModule tokenauth=true) and work as
// alice; that token-authenticated client may not create tokens; carol may not expire alice's
// token; alice expires it and the token login is refused.
// Usage: TokenSession <bootstrap of the SASL_PLAINTEXT listener> <topic>
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateDelegationTokenOptions;
import org.apache.kafka.clients.admin.ExpireDelegationTokenOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.token.delegation.DelegationToken;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class TokenSession {
  static Properties props(String bootstrap, String mechanism, String jaas) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
    p.put("security.protocol", "SASL_PLAINTEXT");
    p.put("sasl.mechanism", mechanism);
    p.put("sasl.jaas.config", jaas);
    return p;
  }

  static Properties plain(String bootstrap, String user, String password) {
    return props(bootstrap, "PLAIN", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user + "\" password=\"" + password + "\";");
  }

  static Properties token(String bootstrap, DelegationToken t) {
    return props(bootstrap, "SCRAM-SHA-256", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + t.tokenInfo().tokenId() + "\" password=\"" + t.hmacAsBase64String() + "\" tokenauth=\"true\";");
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    Transcript t = new Transcript();
    try (Admin alice = Admin.create(plain(bootstrap, "alice", "alice-pw")); Admin carol = Admin.create(plain(bootstrap, "carol", "carol-pw"))) {
      DelegationToken token = Transcript.await(alice.createDelegationToken(
          new CreateDelegationTokenOptions().renewers(List.of(new KafkaPrincipal("User", "bob")))).delegationToken());
      t.step("create", "owner", token.tokenInfo().owner().toString(), "renewers", token.tokenInfo().renewers().toString(),
          "lifetimeMs", token.tokenInfo().maxTimestamp() - token.tokenInfo().issueTimestamp());
      List<DelegationToken> described = Transcript.await(alice.describeDelegationToken().delegationTokens());
      t.step("describe", "found", described.stream().anyMatch(d -> d.tokenInfo().tokenId().equals(token.tokenInfo().tokenId())));
      t.step("renew", "result", Transcript.attempt(() -> Transcript.await(alice.renewDelegationToken(token.hmac()).expiryTimestamp()) > System.currentTimeMillis()));

      try (Admin viaToken = Admin.create(token(bootstrap, token))) {
        t.step("token.describeCluster", "result", Transcript.attempt(() -> Transcript.await(viaToken.describeCluster().nodes()).size()));
        t.step("token.createToken", "result", Transcript.attempt(() -> Transcript.await(viaToken.createDelegationToken().delegationToken()).tokenInfo().tokenId()));
      }
      Properties pp = token(bootstrap, token);
      pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      pp.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
        t.step("token.produce", "result", Transcript.attempt(() -> producer.send(new ProducerRecord<>(topic, "via-token".getBytes())).get().offset()));
      }

      t.step("carol.expire", "result", Transcript.attempt(() -> Transcript.await(carol.expireDelegationToken(token.hmac()).expiryTimestamp())));
      t.step("alice.expire", "result", Transcript.attempt(() -> {
        Transcript.await(alice.expireDelegationToken(token.hmac(), new ExpireDelegationTokenOptions().expiryTimePeriodMs(-1)).expiryTimestamp());
        return "done";
      }));
      Properties after = token(bootstrap, token);
      after.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "8000");
      after.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "8000");
      try (Admin expired = Admin.create(after)) {
        t.step("expired.describeCluster", "result", Transcript.attempt(() -> Transcript.await(expired.describeCluster().nodes()).size()));
      }
    } finally {
      t.print();
    }
  }
}
