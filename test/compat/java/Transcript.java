// What a Java session observed, as one JSON line on stdout: an ordered list of steps, each a map of
// what the client saw (offsets, error classes, states, config rows). The compat tests assert on it;
// the differential test compares the transcripts of Apache Kafka and Tributary. No JSON library:
// kafka-clients is the only dependency besides slf4j.
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

public final class Transcript {
  private final List<Object> steps = new ArrayList<>();

  /** Records one step: name followed by key/value pairs. */
  public void step(String name, Object... kv) {
    Map<String, Object> m = map(kv);
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("step", name);
    s.putAll(m);
    steps.add(s);
  }

  public static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) m.put(String.valueOf(kv[i]), kv[i + 1]);
    return m;
  }

  /** The client-visible name of a failure: the cause's class for a failed future. */
  public static String error(Throwable t) {
    Throwable c = t;
    while ((c instanceof ExecutionException || c instanceof java.util.concurrent.CompletionException) && c.getCause() != null) c = c.getCause();
    return c.getClass().getSimpleName();
  }

  public interface Call<T> { T get() throws Exception; }

  /** Runs a call; returns {"ok": value} or {"error": ExceptionClass}. */
  public static Map<String, Object> attempt(Call<?> call) {
    try {
      return map("ok", call.get());
    } catch (Exception e) {
      return map("error", error(e));
    }
  }

  /** Waits for a future with the session timeout. */
  public static <T> T await(Future<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  public void print() {
    System.out.println(json(map("steps", steps)));
    System.out.flush();
  }

  public static String json(Object v) {
    StringBuilder sb = new StringBuilder();
    write(sb, v);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v) {
    if (v == null) sb.append("null");
    else if (v instanceof String s) quote(sb, s);
    else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short) sb.append(v);
    else if (v instanceof Number n) sb.append(n.doubleValue());
    else if (v instanceof Enum<?> e) quote(sb, e.name());
    else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) sb.append(',');
        first = false;
        quote(sb, String.valueOf(e.getKey()));
        sb.append(':');
        write(sb, e.getValue());
      }
      sb.append('}');
    } else if (v instanceof Collection<?> c) {
      sb.append('[');
      boolean first = true;
      for (Object o : c) {
        if (!first) sb.append(',');
        first = false;
        write(sb, o);
      }
      sb.append(']');
    } else if (v instanceof java.util.Optional<?> o) write(sb, o.orElse(null));
    else if (v instanceof java.util.OptionalLong o) write(sb, o.isPresent() ? o.getAsLong() : null);
    else if (v instanceof java.util.OptionalInt o) write(sb, o.isPresent() ? o.getAsInt() : null);
    else quote(sb, String.valueOf(v));
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
          else sb.append(ch);
        }
      }
    }
    sb.append('"');
  }
}
