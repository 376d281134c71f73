// A stateful Kafka Streams 4.1 application for test/compat/streams.test.ts, run against Tributary:
//   java StreamsApp <bootstrap> <application.id> <state dir>
// orders (KStream, key = customer id, value = amount) joined with customers (KTable, key =
// customer id, value = region), re-keyed by region (a repartition topic), then a 10 s tumbling
// windowed count and sum per region (a window store with its changelog topic) written to
// region-totals as key "region@windowStartMs", value "count,sum". processing.guarantee is
// exactly_once_v2 (-Dguarantee=at_least_once to see the test catch double counting) with a 1 s
// commit interval and no record cache, so a crash finds an open transaction with output in it.
// Prints one line per state change ("STATE RUNNING") and per replaced thread ("THREAD-ERROR ...")
// on stdout; runs until killed (SIGTERM closes it cleanly).
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;

public class StreamsApp {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
    p.put(StreamsConfig.STATE_DIR_CONFIG, args[2]);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, System.getProperty("guarantee", StreamsConfig.EXACTLY_ONCE_V2));
    // Input arrives every 75 ms in the kill tests: with a 1 s commit interval a kill almost always
    // finds processed but uncommitted work (an open transaction with output in it).
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    // No record cache: every input record emits its own update (count + 1), inside the open
    // transaction, so the committed output per key must read exactly 1, 2, 3, ... with no repeat.
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    // Consumed repartition records are deleted (DeleteRecords) after each commit, not every 30 s.
    p.put(StreamsConfig.REPARTITION_PURGE_INTERVAL_MS_CONFIG, 1_000);
    // A restarted instance rejoins at once instead of waiting out the dead member's session.
    p.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 10_000);
    p.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), 1_000);

    StreamsBuilder b = new StreamsBuilder();
    KTable<String, String> customers = b.table("customers", Consumed.with(Serdes.String(), Serdes.String()),
        Materialized.as("customers-store"));
    KStream<String, String> orders = b.stream("orders", Consumed.with(Serdes.String(), Serdes.String()));
    orders
        .join(customers, (amount, region) -> region + ":" + amount)
        .map((customer, regionAmount) -> {
          int colon = regionAmount.indexOf(':');
          return KeyValue.pair(regionAmount.substring(0, colon), regionAmount.substring(colon + 1));
        })
        .groupByKey(Grouped.<String, String>as("by-region").withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
        // The grace period covers every input timestamp: records from two input partitions reach
        // the repartition topic out of order, and none may be dropped as late.
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofSeconds(10), Duration.ofHours(6)))
        .aggregate(() -> "0,0", (region, amount, agg) -> {
          String[] ca = agg.split(",");
          return (Long.parseLong(ca[0]) + 1) + "," + (Long.parseLong(ca[1]) + Long.parseLong(amount));
        }, Materialized.as("region-window-agg"))
        .toStream()
        .map((w, v) -> KeyValue.pair(w.key() + "@" + w.window().start(), v))
        .to("region-totals", Produced.with(Serdes.String(), Serdes.String()));

    KafkaStreams streams = new KafkaStreams(b.build(), p);
    // A thread that dies on a broker outage is replaced, the way a long-running application runs.
    streams.setUncaughtExceptionHandler(e -> {
      System.out.println("THREAD-ERROR " + e.getClass().getName() + ": " + e.getMessage());
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    CountDownLatch done = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      System.out.println("STATE " + now);
      if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) done.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> streams.close(Duration.ofSeconds(20))));
    streams.start();
    done.await();
  }
}
