// Resolves the reference Kafka broker, the Java client and the Kafka Streams jars from Maven Central and compiles the
// Java test programs, so that .ci/run pays for downloads and javac before the test clock starts.
//   npx tsx test/reference/prepare.ts
import { resolveKafkaJars } from '../helpers/kafka-reference.js';
import { javaClasspath, streamsClasspath } from '../helpers/java-client.js';

const t0 = performance.now();
const broker = resolveKafkaJars('broker');
const cp = javaClasspath();
console.log(`Kafka broker jars: ${broker}`);
console.log(`Java client classpath: ${cp}`);
console.log(`Kafka Streams classpath: ${streamsClasspath()}`);
console.log(`prepared in ${Math.round(performance.now() - t0)} ms`);
