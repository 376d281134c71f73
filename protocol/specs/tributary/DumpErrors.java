// Writes error-codes.tsv (code, name, exception class, message) from a kafka-clients jar:
//   javac -cp kafka-clients-X.jar DumpErrors.java
//   java -cp kafka-clients-X.jar:slf4j-api.jar:. DumpErrors > ../error-codes.tsv
import org.apache.kafka.common.protocol.Errors;

public class DumpErrors {
  public static void main(String[] args) {
    for (Errors e : Errors.values()) {
      String cls = e.exception() == null ? "" : e.exception().getClass().getSimpleName();
      System.out.println(e.code() + "\t" + e.name() + "\t" + cls + "\t" + (e.message() == null ? "" : e.message()));
    }
  }
}
