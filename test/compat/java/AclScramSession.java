// AdminClient session for ACLs and SCRAM users, run as a super user ("admin", SASL PLAIN) on a
// SASL_PLAINTEXT listener of a broker with an authorizer: CreateAcls (valid and invalid bindings,
// LITERAL/PREFIXED, ALLOW/DENY), DescribeAcls and DeleteAcls with filters (LITERAL, PREFIXED, ANY,
// MATCH, by principal/operation/permission), what a non-super user ("alice") may then do,
// Alter/DescribeUserScramCredentials (upsert, delete, unknown user, iterations out of bounds,
// duplicate user in one request, empty name) and SCRAM logins with the credentials made here.
// ACLs and credentials reach a KRaft broker's caches shortly after the answer, so every read that
// follows a change first waits until the change shows.
// Usage: AclScramSession <sasl bootstrap> <name prefix>
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

public final class AclScramSession {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String prefix = args[1];
    Transcript t = new Transcript();
    try (Admin admin = Admin.create(props(bootstrap, "PLAIN", "admin", "admin-secret"))) {
      acls(admin, bootstrap, prefix, t);
      scram(admin, bootstrap, prefix, t);
    } finally {
      t.print();
    }
  }

  static Properties props(String bootstrap, String mechanism, String user, String password) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    p.put("security.protocol", "SASL_PLAINTEXT");
    p.put("sasl.mechanism", mechanism);
    String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
        : "org.apache.kafka.common.security.scram.ScramLoginModule";
    p.put("sasl.jaas.config", module + " required username=\"" + user + "\" password=\"" + password + "\";");
    return p;
  }

  static List<String> ops(java.util.Set<AclOperation> set) {
    if (set == null) return null;
    List<String> out = new ArrayList<>();
    for (AclOperation o : set) out.add(o.name());
    out.sort(null);
    return out;
  }

  static String show(AclBinding b) {
    ResourcePattern r = b.pattern();
    AccessControlEntry e = b.entry();
    return r.resourceType() + ":" + r.patternType() + ":" + r.name() + " " + e.principal() + "@" + e.host() + " "
        + e.operation() + " " + e.permissionType();
  }

  /** ACL bindings stored after the creates, and how many the deletes removed since. */
  static int stored;
  static int removed;

  /** The bindings a DeleteAcls removed, sorted; counted in `removed`. */
  static List<String> deleted(Collection<AclBinding> bindings) {
    removed += bindings.size();
    return sorted(bindings);
  }

  static List<String> sorted(Collection<AclBinding> bindings) {
    List<String> out = new ArrayList<>();
    for (AclBinding b : bindings) out.add(show(b));
    out.sort(null);
    return out;
  }

  static Object describe(Admin admin, AclBindingFilter f) {
    return Transcript.attempt(() -> sorted(Transcript.await(admin.describeAcls(f).values())));
  }

  /** Polls until the check holds (or 15 s pass): a KRaft broker applies ACLs and credentials asynchronously. */
  static <T> void awaitState(Transcript.Call<T> read, Predicate<T> done) throws Exception {
    long deadline = System.currentTimeMillis() + 15_000;
    while (System.currentTimeMillis() < deadline) {
      try {
        if (done.test(read.get())) return;
      } catch (Exception ignored) {
        // not there yet
      }
      Thread.sleep(100);
    }
  }

  static AclBinding acl(ResourceType type, String name, PatternType pattern, String principal, String host,
      AclOperation op, AclPermissionType perm) {
    return new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry(principal, host, op, perm));
  }

  static AclBindingFilter filter(ResourceType type, String name, PatternType pattern, String principal,
      AclOperation op, AclPermissionType perm) {
    return new AclBindingFilter(new ResourcePatternFilter(type, name, pattern),
        new AccessControlEntryFilter(principal, null, op, perm));
  }

  static void acls(Admin admin, String bootstrap, String prefix, Transcript t) throws Exception {
    String topic = prefix + "-acl";
    t.step("createTopic", "result", Transcript.attempt(() -> {
      Transcript.await(admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1), new NewTopic(prefix + "-hidden", 1, (short) 1),
          new NewTopic("other-" + prefix, 1, (short) 1))).all());
      return true;
    }));
    t.step("describeAcls.empty", "result", describe(admin, AclBindingFilter.ANY));

    List<AclBinding> good = List.of(
        acl(ResourceType.TOPIC, topic, PatternType.LITERAL, "User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW),
        acl(ResourceType.TOPIC, prefix + "-", PatternType.PREFIXED, "User:alice", "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW),
        acl(ResourceType.TOPIC, topic, PatternType.LITERAL, "User:alice", "10.0.0.1", AclOperation.WRITE, AclPermissionType.DENY),
        acl(ResourceType.TOPIC, "*", PatternType.LITERAL, "User:bob", "*", AclOperation.ALL, AclPermissionType.ALLOW),
        acl(ResourceType.GROUP, prefix + "-g", PatternType.LITERAL, "User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW),
        acl(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL, "User:alice", "*", AclOperation.DESCRIBE_CONFIGS, AclPermissionType.ALLOW),
        acl(ResourceType.TRANSACTIONAL_ID, prefix + "-tx", PatternType.PREFIXED, "User:alice", "*", AclOperation.WRITE, AclPermissionType.ALLOW),
        acl(ResourceType.DELEGATION_TOKEN, "token-1", PatternType.LITERAL, "User:alice", "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW),
        acl(ResourceType.USER, "User:carol", PatternType.LITERAL, "User:alice", "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW),
        // DENY wins over the PREFIXED allow, for connections from this host only.
        acl(ResourceType.TOPIC, prefix + "-hidden", PatternType.LITERAL, "User:alice", "127.0.0.1", AclOperation.DESCRIBE, AclPermissionType.DENY));
    t.step("createAcls", "result", Transcript.attempt(() -> {
      var r = admin.createAcls(good);
      Transcript.await(r.all());
      return r.values().size();
    }));
    // The same bindings again: Kafka treats a repeat as success (no duplicates stored).
    t.step("createAcls.again", "result", Transcript.attempt(() -> {
      Transcript.await(admin.createAcls(good.subList(0, 2)).all());
      return true;
    }));

    Map<String, AclBinding> bad = new TreeMap<>();
    bad.put("clusterWrongName", acl(ResourceType.CLUSTER, "other-cluster", PatternType.LITERAL, "User:alice", "*", AclOperation.ALTER, AclPermissionType.ALLOW));
    bad.put("principalNoType", acl(ResourceType.TOPIC, topic, PatternType.LITERAL, "alice", "*", AclOperation.READ, AclPermissionType.ALLOW));
    bad.put("emptyName", acl(ResourceType.TOPIC, "", PatternType.LITERAL, "User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW));
    bad.put("wildcardPrefixed", acl(ResourceType.TOPIC, "*", PatternType.PREFIXED, "User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW));
    bad.put("opNotForTopic", acl(ResourceType.TOPIC, topic, PatternType.LITERAL, "User:alice", "*", AclOperation.IDEMPOTENT_WRITE, AclPermissionType.ALLOW));
    bad.put("groupPrincipal", acl(ResourceType.TOPIC, topic, PatternType.LITERAL, "Group:devs", "*", AclOperation.READ, AclPermissionType.ALLOW));
    for (Map.Entry<String, AclBinding> e : bad.entrySet()) {
      t.step("createAcls.invalid." + e.getKey(), "result", Transcript.attempt(() -> {
        Transcript.await(admin.createAcls(List.of(e.getValue())).all());
        return true;
      }));
    }
    // One request with a good and a bad binding: each gets its own answer.
    t.step("createAcls.mixed", "result", Transcript.attempt(() -> {
      var r = admin.createAcls(List.of(
          acl(ResourceType.TOPIC, prefix + "-mixed", PatternType.LITERAL, "User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW),
          bad.get("clusterWrongName")));
      Map<String, Object> each = new TreeMap<>();
      for (var v : r.values().entrySet()) each.put(show(v.getKey()), Transcript.attempt(() -> { Transcript.await(v.getValue()); return true; }));
      return each;
    }));

    int expected = good.size() + 1;
    awaitState(() -> Transcript.await(admin.describeAcls(AclBindingFilter.ANY).values()).size(), n -> n >= expected);
    stored = Transcript.await(admin.describeAcls(AclBindingFilter.ANY).values()).size();
    t.step("describeAcls.any", "result", describe(admin, AclBindingFilter.ANY));
    t.step("describeAcls.literalTopic", "result", describe(admin,
        filter(ResourceType.TOPIC, topic, PatternType.LITERAL, null, AclOperation.ANY, AclPermissionType.ANY)));
    t.step("describeAcls.prefixed", "result", describe(admin,
        filter(ResourceType.TOPIC, null, PatternType.PREFIXED, null, AclOperation.ANY, AclPermissionType.ANY)));
    t.step("describeAcls.matchTopic", "result", describe(admin,
        filter(ResourceType.TOPIC, topic, PatternType.MATCH, null, AclOperation.ANY, AclPermissionType.ANY)));
    t.step("describeAcls.matchOtherTopic", "result", describe(admin,
        filter(ResourceType.TOPIC, "elsewhere", PatternType.MATCH, null, AclOperation.ANY, AclPermissionType.ANY)));
    t.step("describeAcls.anyPatternByName", "result", describe(admin,
        filter(ResourceType.ANY, topic, PatternType.ANY, null, AclOperation.ANY, AclPermissionType.ANY)));
    t.step("describeAcls.principal", "result", describe(admin,
        filter(ResourceType.ANY, null, PatternType.ANY, "User:bob", AclOperation.ANY, AclPermissionType.ANY)));
    t.step("describeAcls.deny", "result", describe(admin,
        filter(ResourceType.ANY, null, PatternType.ANY, null, AclOperation.ANY, AclPermissionType.DENY)));
    t.step("describeAcls.operation", "result", describe(admin,
        filter(ResourceType.ANY, null, PatternType.ANY, null, AclOperation.READ, AclPermissionType.ANY)));
    t.step("describeAcls.group", "result", describe(admin,
        filter(ResourceType.GROUP, null, PatternType.ANY, null, AclOperation.ANY, AclPermissionType.ANY)));
    t.step("describeAcls.none", "result", describe(admin,
        filter(ResourceType.TOPIC, "nothing-here", PatternType.LITERAL, null, AclOperation.ANY, AclPermissionType.ANY)));
    t.step("describeAcls.unknownPattern", "result", describe(admin,
        filter(ResourceType.TOPIC, null, PatternType.UNKNOWN, null, AclOperation.ANY, AclPermissionType.ANY)));

    // What alice (no super user) may do with these ACLs.
    try (Admin alice = Admin.create(props(bootstrap, "PLAIN", "alice", "alice-secret"))) {
      t.step("alice.listTopics", "result", Transcript.attempt(() -> {
        List<String> names = new ArrayList<>(Transcript.await(alice.listTopics().names()));
        names.sort(null);
        return names;
      }));
      t.step("alice.createTopic", "result", Transcript.attempt(() -> {
        Transcript.await(alice.createTopics(List.of(new NewTopic(prefix + "-alice", 1, (short) 1))).all());
        return true;
      }));
      t.step("alice.describeAcls", "result", describe(alice, AclBindingFilter.ANY));
      t.step("alice.createAcls", "result", Transcript.attempt(() -> {
        Transcript.await(alice.createAcls(List.of(good.get(0))).all());
        return true;
      }));
      t.step("alice.describeHidden", "result", Transcript.attempt(() ->
          Transcript.await(alice.describeTopics(List.of(prefix + "-hidden")).allTopicNames()).size()));
      t.step("alice.describeTopicOperations", "result", Transcript.attempt(() -> {
        var d = Transcript.await(alice.describeTopics(List.of(topic), new DescribeTopicsOptions().includeAuthorizedOperations(true)).allTopicNames()).get(topic);
        return ops(d.authorizedOperations());
      }));
      t.step("alice.describeOutside", "result", Transcript.attempt(() ->
          Transcript.await(alice.describeTopics(List.of("other-" + prefix)).allTopicNames()).size()));
      t.step("alice.describeGroupOperations", "result", Transcript.attempt(() -> {
        var g = Transcript.await(alice.describeConsumerGroups(List.of(prefix + "-g"), new DescribeConsumerGroupsOptions().includeAuthorizedOperations(true)).all()).get(prefix + "-g");
        return Transcript.map("state", g.groupState(), "operations", ops(g.authorizedOperations()));
      }));
      t.step("alice.describeOtherGroup", "result", Transcript.attempt(() ->
          Transcript.await(alice.describeConsumerGroups(List.of(prefix + "-other")).all()).size()));
      t.step("alice.describeClusterOperations", "result", Transcript.attempt(() ->
          ops(Transcript.await(alice.describeCluster(new DescribeClusterOptions().includeAuthorizedOperations(true)).authorizedOperations()))));
      t.step("alice.describeBrokerConfigs", "result", Transcript.attempt(() -> {
        String id = Transcript.await(alice.describeCluster().nodes()).iterator().next().idString();
        ConfigResource r = new ConfigResource(ConfigResource.Type.BROKER, id);
        return Transcript.await(alice.describeConfigs(List.of(r)).all()).get(r).get("num.partitions").value();
      }));
      t.step("alice.alterTopicConfig", "result", Transcript.attempt(() -> {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Transcript.await(alice.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "1000"), AlterConfigOp.OpType.SET)))).all());
        return true;
      }));
      t.step("alice.deleteTopic", "result", Transcript.attempt(() -> {
        Transcript.await(alice.deleteTopics(List.of(topic)).all());
        return true;
      }));
      t.step("alice.groupOffsets", "result", Transcript.attempt(() ->
          Transcript.await(alice.listConsumerGroupOffsets(prefix + "-g").partitionsToOffsetAndMetadata()).size()));
      t.step("alice.otherGroupOffsets", "result", Transcript.attempt(() ->
          Transcript.await(alice.listConsumerGroupOffsets(prefix + "-other").partitionsToOffsetAndMetadata()).size()));
      t.step("alice.describeScram", "result", Transcript.attempt(() -> Transcript.await(alice.describeUserScramCredentials().all()).size()));
      t.step("alice.alterScram", "result", Transcript.attempt(() -> {
        Transcript.await(alice.alterUserScramCredentials(List.of(upsert(prefix + "-eve", ScramMechanism.SCRAM_SHA_256, 8192, "x"))).all());
        return true;
      }));
    }

    // DeleteAcls: each filter answers with the bindings it removed.
    t.step("deleteAcls.literalTopicDeny", "result", Transcript.attempt(() -> deleted(Transcript.await(admin.deleteAcls(List.of(
        filter(ResourceType.TOPIC, topic, PatternType.LITERAL, null, AclOperation.ANY, AclPermissionType.DENY))).all()))));
    t.step("deleteAcls.nothingMatches", "result", Transcript.attempt(() -> deleted(Transcript.await(admin.deleteAcls(List.of(
        filter(ResourceType.GROUP, "nothing-here", PatternType.LITERAL, null, AclOperation.ANY, AclPermissionType.ANY))).all()))));
    t.step("deleteAcls.twoFilters", "result", Transcript.attempt(() -> {
      var r = admin.deleteAcls(List.of(
          filter(ResourceType.TOPIC, topic, PatternType.MATCH, "User:alice", AclOperation.ANY, AclPermissionType.ANY),
          filter(ResourceType.GROUP, null, PatternType.ANY, null, AclOperation.ANY, AclPermissionType.ANY)));
      List<Object> each = new ArrayList<>();
      for (var v : r.values().entrySet()) {
        each.add(Transcript.attempt(() -> {
          List<AclBinding> gone = new ArrayList<>();
          for (var fr : Transcript.await(v.getValue()).values()) {
            if (fr.exception() != null) throw fr.exception();
            gone.add(fr.binding());
          }
          return deleted(gone);
        }));
      }
      each.sort((a, b) -> String.valueOf(a).compareTo(String.valueOf(b)));
      return each;
    }));
    // (No DeleteAcls with an UNKNOWN pattern type: kafka-clients 4.1 fails to build that request
    // and its admin thread then times out every later call, on any broker.)
    int left = stored - removed;
    awaitState(() -> Transcript.await(admin.describeAcls(AclBindingFilter.ANY).values()).size(), n -> n <= left);
    t.step("describeAcls.afterDelete", "result", describe(admin, AclBindingFilter.ANY));
    t.step("deleteAcls.all", "result", Transcript.attempt(() -> Transcript.await(admin.deleteAcls(List.of(AclBindingFilter.ANY)).all()).size()));
    awaitState(() -> Transcript.await(admin.describeAcls(AclBindingFilter.ANY).values()).size(), n -> n == 0);
    t.step("describeAcls.afterDeleteAll", "result", describe(admin, AclBindingFilter.ANY));
  }

  static Object users(Admin admin, List<String> names) {
    return Transcript.attempt(() -> {
      var r = names == null ? admin.describeUserScramCredentials() : admin.describeUserScramCredentials(names);
      Map<String, Object> out = new TreeMap<>();
      for (Map.Entry<String, UserScramCredentialsDescription> e : Transcript.await(r.all()).entrySet()) {
        List<String> creds = new ArrayList<>();
        for (ScramCredentialInfo i : e.getValue().credentialInfos()) creds.add(i.mechanism() + "/" + i.iterations());
        creds.sort(null);
        out.put(e.getKey(), creds);
      }
      return out;
    });
  }

  /** Each user's own answer to one describe (names listed, so per-user errors show). */
  static Object eachUser(Admin admin, List<String> names) {
    return Transcript.attempt(() -> {
      var r = admin.describeUserScramCredentials(names);
      Map<String, Object> out = new TreeMap<>();
      for (String n : names) {
        out.put(n, Transcript.attempt(() -> {
          List<String> creds = new ArrayList<>();
          for (ScramCredentialInfo i : Transcript.await(r.description(n)).credentialInfos()) creds.add(i.mechanism() + "/" + i.iterations());
          creds.sort(null);
          return creds;
        }));
      }
      return out;
    });
  }

  static Object alter(Admin admin, List<UserScramCredentialAlteration> alterations) {
    return Transcript.attempt(() -> {
      var r = admin.alterUserScramCredentials(alterations);
      Map<String, Object> out = new TreeMap<>();
      for (var e : r.values().entrySet()) {
        out.put(e.getKey(), Transcript.attempt(() -> { Transcript.await(e.getValue()); return true; }));
      }
      return out;
    });
  }

  static UserScramCredentialUpsertion upsert(String user, ScramMechanism m, int iterations, String password) {
    return new UserScramCredentialUpsertion(user, new ScramCredentialInfo(m, iterations), password);
  }

  static Object login(String bootstrap, String mechanism, String user, String password) {
    return Transcript.attempt(() -> {
      try (Admin a = Admin.create(props(bootstrap, mechanism, user, password))) {
        return Transcript.await(a.describeCluster().nodes()).size() > 0;
      }
    });
  }

  static void scram(Admin admin, String bootstrap, String prefix, Transcript t) throws Exception {
    String bob = prefix + "-bob";
    String carol = prefix + "-carol";
    t.step("scram.describeAll.empty", "result", users(admin, null));
    t.step("scram.upsert", "result", alter(admin, List.of(
        upsert(bob, ScramMechanism.SCRAM_SHA_256, 8192, "bob-secret"),
        upsert(carol, ScramMechanism.SCRAM_SHA_512, 4096, "carol-secret"))));
    t.step("scram.upsertSecondMechanism", "result", alter(admin, List.of(upsert(bob, ScramMechanism.SCRAM_SHA_512, 10000, "bob-secret"))));
    awaitState(() -> Transcript.await(admin.describeUserScramCredentials().all()), m -> m.containsKey(carol) && m.containsKey(bob)
        && m.get(bob).credentialInfos().size() == 2);
    t.step("scram.describeAll", "result", users(admin, null));
    t.step("scram.describeOne", "result", users(admin, List.of(carol)));
    t.step("scram.describeUnknown", "result", eachUser(admin, List.of(carol, prefix + "-nobody")));
    t.step("scram.describeDuplicate", "result", eachUser(admin, List.of(carol, carol)));
    t.step("scram.describeEmptyList", "result", users(admin, List.of()));

    t.step("scram.iterationsTooLow", "result", alter(admin, List.of(upsert(prefix + "-low", ScramMechanism.SCRAM_SHA_256, 1000, "x"))));
    t.step("scram.iterationsBounds", "result", alter(admin, List.of(upsert(prefix + "-max", ScramMechanism.SCRAM_SHA_512, 16384, "x"),
        upsert(prefix + "-min", ScramMechanism.SCRAM_SHA_256, 4096, "x"))));
    t.step("scram.iterationsTooHigh", "result", alter(admin, List.of(upsert(prefix + "-high", ScramMechanism.SCRAM_SHA_256, 20000, "x"))));
    t.step("scram.emptyUser", "result", alter(admin, List.of(upsert("", ScramMechanism.SCRAM_SHA_256, 8192, "x"))));
    t.step("scram.emptyPassword", "result", alter(admin, List.of(upsert(prefix + "-nopw", ScramMechanism.SCRAM_SHA_256, 8192, ""))));
    t.step("scram.duplicateUser", "result", alter(admin, List.of(
        upsert(prefix + "-dup", ScramMechanism.SCRAM_SHA_256, 8192, "x"),
        new UserScramCredentialDeletion(prefix + "-dup", ScramMechanism.SCRAM_SHA_512))));
    t.step("scram.duplicateUserWithOther", "result", alter(admin, List.of(
        upsert(prefix + "-dup2", ScramMechanism.SCRAM_SHA_256, 8192, "x"),
        upsert(prefix + "-dup2", ScramMechanism.SCRAM_SHA_256, 4096, "y"),
        upsert(prefix + "-ok", ScramMechanism.SCRAM_SHA_256, 4096, "ok-secret"))));
    t.step("scram.deleteUnknownUser", "result", alter(admin, List.of(new UserScramCredentialDeletion(prefix + "-nobody", ScramMechanism.SCRAM_SHA_256))));
    t.step("scram.deleteUnknownMechanism", "result", alter(admin, List.of(new UserScramCredentialDeletion(carol, ScramMechanism.SCRAM_SHA_256))));
    t.step("scram.unknownMechanism", "result", alter(admin, List.of(upsert(prefix + "-um", ScramMechanism.UNKNOWN, 8192, "x"))));

    awaitState(() -> Transcript.await(admin.describeUserScramCredentials().all()), m -> m.containsKey(prefix + "-ok") && m.containsKey(prefix + "-max"));
    t.step("scram.describeAfterErrors", "result", users(admin, null));
    t.step("login.bob256", "result", login(bootstrap, "SCRAM-SHA-256", bob, "bob-secret"));
    t.step("login.bob512", "result", login(bootstrap, "SCRAM-SHA-512", bob, "bob-secret"));
    t.step("login.carolWrongMechanism", "result", login(bootstrap, "SCRAM-SHA-256", carol, "carol-secret"));
    t.step("login.carolWrongPassword", "result", login(bootstrap, "SCRAM-SHA-512", carol, "nope"));
    t.step("login.carol", "result", login(bootstrap, "SCRAM-SHA-512", carol, "carol-secret"));
    t.step("login.plainWrongPassword", "result", login(bootstrap, "PLAIN", "alice", "nope"));

    // A SCRAM user's principal is User:<name>: ACLs for it apply to a SCRAM login.
    t.step("bob.createTopicDenied", "result", Transcript.attempt(() -> {
      try (Admin b = Admin.create(props(bootstrap, "SCRAM-SHA-512", bob, "bob-secret"))) {
        Transcript.await(b.createTopics(List.of(new NewTopic(prefix + "-bobs", 1, (short) 1))).all());
        return true;
      }
    }));
    AclBinding bobAll = acl(ResourceType.TOPIC, prefix + "-bob", PatternType.PREFIXED, "User:" + bob, "*", AclOperation.ALL, AclPermissionType.ALLOW);
    t.step("bob.grant", "result", Transcript.attempt(() -> { Transcript.await(admin.createAcls(List.of(bobAll)).all()); return true; }));
    awaitState(() -> Transcript.await(admin.describeAcls(bobAll.toFilter()).values()).size(), n -> n == 1);
    t.step("bob.createTopicAllowed", "result", Transcript.attempt(() -> {
      try (Admin b = Admin.create(props(bootstrap, "SCRAM-SHA-512", bob, "bob-secret"))) {
        Transcript.await(b.createTopics(List.of(new NewTopic(prefix + "-bobs", 1, (short) 1))).all());
        List<String> names = new ArrayList<>(Transcript.await(b.listTopics().names()));
        names.sort(null);
        return names;
      }
    }));
    t.step("scram.delete", "result", alter(admin, List.of(new UserScramCredentialDeletion(bob, ScramMechanism.SCRAM_SHA_256))));
    awaitState(() -> Transcript.await(admin.describeUserScramCredentials(List.of(bob)).all()).get(bob).credentialInfos().size(), n -> n == 1);
    t.step("scram.describeAfterDelete", "result", users(admin, List.of(bob)));
    t.step("login.bob256AfterDelete", "result", login(bootstrap, "SCRAM-SHA-256", bob, "bob-secret"));
    t.step("scram.deleteLast", "result", alter(admin, List.of(new UserScramCredentialDeletion(bob, ScramMechanism.SCRAM_SHA_512))));
    awaitState(() -> Transcript.await(admin.describeUserScramCredentials().all()), m -> !m.containsKey(bob));
    t.step("scram.describeGone", "result", eachUser(admin, List.of(bob)));
    t.step("scram.passwordChange", "result", alter(admin, List.of(upsert(carol, ScramMechanism.SCRAM_SHA_512, 4096, "carol-new"))));
    awaitState(() -> login(bootstrap, "SCRAM-SHA-512", carol, "carol-new"), r -> r instanceof Map<?, ?> m && m.containsKey("ok"));
    t.step("login.carolOldPassword", "result", login(bootstrap, "SCRAM-SHA-512", carol, "carol-secret"));
    t.step("login.carolNewPassword", "result", login(bootstrap, "SCRAM-SHA-512", carol, "carol-new"));
  }
}
